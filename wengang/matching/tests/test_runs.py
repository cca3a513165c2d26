"""Match runs from the database: loading, hard filters, reasons, scope, re-runs, command, pages, API."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from conftest import make_id
from wengang.audit.models import AuditEvent
from wengang.jobs.tests.factories import make_posting
from wengang.matching.arrays import SCOPE_COUNTY, SCOPE_LOCAL, SCOPE_OUT, SCOPE_PROVINCE
from wengang.matching.loading import load_arrays
from wengang.matching.models import MatchRun, Recommendation, RunStatus
from wengang.matching.runs import match_run_create, match_run_execute, match_run_start
from wengang.regions.models import Region
from wengang.registry.services import EmploymentChange, person_create

BACKEND = "wengang.accounts.backends.StaffBackend"
TOWN = "410329001"


def _village(prefix: str = TOWN) -> str:
    return (
        Region.objects.filter(code__startswith=prefix, level="village")
        .order_by("code")
        .values_list("code", flat=True)[0]
    )


def _person(people, seq: int, birth: str, *, status: str = "unemployed_seeking", county="410329", **kw):
    actor = people["county_admin"] if county == "410329" else people["other_county_admin"]
    village = _village(TOWN if county == "410329" else "410307")
    return person_create(
        actor=actor,
        id_number=make_id(county, birth, seq),
        name=f"测试{seq}",
        village_code=village,
        employment=EmploymentChange(status=status, occurred_on=dt.date(2026, 1, 5), monthly_income=3000),
        **kw,
    )


@pytest.fixture
def world(people):
    """Two seekers in 伊川 (30 and 55 years old), one not seeking, one in 偃师, and two postings."""
    young = _person(people, 1, "19960301")
    old = _person(people, 2, "19700301")
    idle = _person(people, 3, "19900301", status="not_seeking")
    yanshi = _person(people, 4, "19920301", county="410307")
    capped = make_posting(people["employer"].enterprise, title="包装工（40岁以下）", age_max=40, board="both")
    return {"young": young, "old": old, "idle": idle, "yanshi": yanshi, "capped": capped}


def _run(people, scope="410329", role="county_admin", capture=None):
    with capture(execute=True):
        run = match_run_start(actor=people[role], scope_code=scope)
    run.refresh_from_db()
    return run


def test_loading_builds_the_seekers_and_postings_of_the_area(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        loaded = load_arrays("410329")
    ids = set(loaded.person_ids.tolist())
    assert ids == {world["young"].pk, world["old"].pk}  # not_seeking and 偃师 left out
    assert loaded.posting_ids.tolist() == [world["capped"].pk]
    row = loaded.person_ids.tolist().index(world["young"].pk)
    assert loaded.seekers.occupation[row] == -1  # no skill stated → general labour
    assert loaded.seekers.last_income[row] == 3000
    assert loaded.seekers.scope[row] == SCOPE_PROVINCE
    assert loaded.postings.age_max[0] == 40
    assert loaded.postings.board[0] == 3
    assert loaded.precision == {"county": 2}  # the shipped data has county centres only


def test_loading_queries_do_not_grow_with_people(people, world, django_assert_max_num_queries):
    for seq in range(10, 40):
        _person(people, seq, "19950101", skills=["电焊工"], certificates=["焊工证"])
    with django_assert_max_num_queries(12):
        loaded = load_arrays("410329")
    assert len(loaded.seekers) == 32


def test_intents_become_acceptable_places(people):
    local = _person(people, 5, "19900101", intent="local_job")
    out = _person(people, 6, "19900101", intent="go_out", intent_destination="江苏无锡")
    anywhere = _person(people, 7, "19900101", intent="go_out")
    three = _person(people, 8, "19900101", is_three_without=True)
    loaded = load_arrays("410329")
    at = {pid: i for i, pid in enumerate(loaded.person_ids.tolist())}
    assert loaded.seekers.scope[at[local.pk]] == SCOPE_COUNTY
    assert loaded.seekers.scope[at[out.pk]] == SCOPE_OUT
    assert loaded.seekers.destination[at[out.pk]] == 3202
    assert loaded.seekers.destination[at[anywhere.pk]] == -1
    assert loaded.seekers.scope[at[three.pk]] == SCOPE_LOCAL
    assert loaded.seekers.priority[at[three.pk]] == 8


def test_a_run_stores_recommendations_with_reasons_and_respects_age(
    people, world, django_capture_on_commit_callbacks
):
    run = _run(people, capture=django_capture_on_commit_callbacks)
    assert run.status == RunStatus.DONE
    assert (run.seekers, run.postings, run.recommendations) == (2, 1, 1)
    rec = Recommendation.objects.get(run=run)
    assert rec.person_id == world["young"].pk  # the 55-year-old is over the posting's age limit
    assert rec.posting_id == world["capped"].pk
    assert rec.rank == 1
    assert rec.is_current
    assert rec.reasons == "在您所在的县（区）内 · 月薪 4000–6000 元 · 高于您上次的收入 · 包吃住"
    assert rec.score == pytest.approx(sum(v for k, v in rec.terms.items() if k != "km"), abs=0.05)
    assert not Recommendation.objects.filter(person=world["old"]).exists()
    assert run.stats["by_county"] == {"410329": 1}
    assert run.stats["seekers_without"] == 1
    assert run.task.status == "succeeded"
    assert AuditEvent.objects.filter(object_type="matching.run", object_id=str(run.pk)).exists()


def test_a_rerun_replaces_the_old_recommendations(people, world, django_capture_on_commit_callbacks):
    first = _run(people, capture=django_capture_on_commit_callbacks)
    second = _run(people, capture=django_capture_on_commit_callbacks)
    assert not Recommendation.objects.filter(run=first).exists()
    assert list(Recommendation.objects.filter(run=second).values_list("is_current", flat=True)) == [True]
    first.refresh_from_db()
    assert first.recommendations == 1  # the replaced run keeps its figures


def test_a_run_outside_ones_area_is_refused(people, world):
    with pytest.raises(PermissionDenied):
        match_run_start(actor=people["other_county_admin"], scope_code="410329")
    with pytest.raises(PermissionDenied):
        match_run_start(actor=people["employer"], scope_code="410329")
    with pytest.raises(PermissionDenied):
        match_run_start(actor=people["specialist"], scope_code="410329")  # wider than their township
    assert not MatchRun.objects.exists()


def test_executing_twice_does_nothing_the_second_time(people, world):
    run = match_run_create(actor=people["county_admin"], scope_code="410329")
    match_run_execute(run_id=run.pk)
    match_run_execute(run_id=run.pk)
    assert Recommendation.objects.filter(run=run).count() == 1


def test_the_command_runs_synchronously(people, world):
    out = StringIO()
    call_command("match", "--scope", "410329", stdout=out)
    run = MatchRun.objects.get()
    assert run.status == RunStatus.DONE
    assert run.recommendations == 1
    text = out.getvalue()
    assert "410329" in text
    assert "recommendations: 1" in text


@pytest.fixture
def ran(people, world, django_capture_on_commit_callbacks):
    run = _run(people, capture=django_capture_on_commit_callbacks)
    return {**world, "run": run}


def test_the_person_page_block_shows_rank_reasons_and_a_referral_link(client, people, ran):
    client.force_login(people["specialist"], backend=BACKEND)
    response = client.get(reverse("matching:person_recommendations", args=[ran["young"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "包装工（40岁以下）" in html
    assert "在您所在的县（区）内 · 月薪 4000–6000 元" in html
    posting = ran["capped"].pk
    assert f"/jobs/referrals/new/?person={ran['young'].pk}&amp;posting={posting}" in html
    assert f'href="/board/{posting}/"' in html  # the specialist may not open the enterprise's staff page
    assert AuditEvent.objects.filter(object_type="registry.person", object_id=str(ran["young"].pk)).exists()


def test_another_countys_staff_cannot_see_the_recommendations(client, people, ran):
    client.force_login(people["other_specialist"], backend=BACKEND)
    assert client.get(reverse("matching:person_recommendations", args=[ran["young"].pk])).status_code == 404
    assert client.get(reverse("matching:run_detail", args=[ran["run"].pk])).status_code == 404
    client.force_login(people["other_county_admin"], backend=BACKEND)
    url = reverse("api:person_recommendations_api", kwargs={"person_id": ran["young"].pk})
    assert client.get(url).status_code == 404
    assert client.get(reverse("api:match_runs")).json()["items"] == []
    response = client.get(reverse("matching:posting_candidates", args=[ran["capped"].pk]))
    assert "测试1" not in response.content.decode()


def test_the_template_tag_renders_the_block(rf, people, ran):
    from django.template import Context, Template

    request = rf.get("/")
    request.user = people["county_admin"]
    html = Template("{% load matching_tags %}{% person_recommendations person %}").render(
        Context({"request": request, "person": ran["young"]})
    )
    assert 'data-testid="person-recommendations"' in html
    assert f'href="/jobs/postings/{ran["capped"].pk}/"' in html  # county staff see the posting's page
    request.user = people["other_county_admin"]
    html = Template("{% load matching_tags %}{% person_recommendations person %}").render(
        Context({"request": request, "person": ran["young"]})
    )
    assert "包装工" not in html


def test_the_enterprise_sees_only_consenting_candidates_name_and_masked_phone(client, people, ran):
    from wengang.registry.models import Person

    url = reverse("matching:posting_candidates", args=[ran["capped"].pk])
    client.force_login(people["employer"], backend=BACKEND)
    assert "测试1" not in client.get(url).content.decode()  # no consent to job pushes yet
    Person.objects.filter(pk=ran["young"].pk).update(consent_sms=True, phone_masked="139****0001")
    html = client.get(url).content.decode()
    assert "测试1" in html
    assert "139****0001" in html
    assert "/registry/" not in html  # no link into the registry, no score or reasons
    assert "包吃住" not in html
    client.force_login(people["other_employer"], backend=BACKEND)
    assert client.get(url).status_code == 404
    client.force_login(people["county_admin"], backend=BACKEND)
    html = client.get(url).content.decode()
    assert "测试1" in html
    assert "包吃住" in html


def test_run_pages_list_and_show_statistics(client, people, ran):
    client.force_login(people["county_admin"], backend=BACKEND)
    html = client.get(reverse("matching:run_list")).content.decode()
    assert reverse("matching:run_detail", args=[ran["run"].pk]) in html
    html = client.get(reverse("matching:run_detail", args=[ran["run"].pk])).content.decode()
    assert 'id="county-chart"' in html
    data = json.loads(html.split('id="county-data" type="application/json">')[1].split("</script>")[0])
    assert data["labels"] == ["伊川县"]
    assert data["values"] == [1]


def test_the_start_button_starts_a_run_for_my_area(client, people, world, django_capture_on_commit_callbacks):
    client.force_login(people["county_admin"], backend=BACKEND)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("matching:run_start"))
    run = MatchRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("background:task_detail", args=[run.task_id])
    run.refresh_from_db()
    assert (run.scope_code, run.status, run.recommendations) == ("410329", RunStatus.DONE, 1)


def test_the_api_starts_and_lists_runs_and_gives_recommendations(
    client, people, world, django_capture_on_commit_callbacks
):
    client.force_login(people["county_admin"], backend=BACKEND)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("api:match_runs"), data={"scope_code": "410329"}, content_type="application/json"
        )
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    assert [r["id"] for r in client.get(reverse("api:match_runs")).json()["items"]] == [run_id]
    url = reverse("api:person_recommendations_api", kwargs={"person_id": world["young"].pk})
    body = client.get(url).json()
    assert [(r["rank"], r["posting_id"], r["run_id"]) for r in body] == [(1, world["capped"].pk, run_id)]
    assert body[0]["reasons"].endswith("包吃住")
    terms = body[0]["terms"]  # the score's terms by name, as the run stored them
    assert list(terms) == ["distance", "wage_income", "wage_local", "board", "skills", "key_enterprise"] + [
        "priority",
        "km",
    ]
    assert body[0]["score"] == pytest.approx(sum(v for k, v in terms.items() if k != "km"), abs=0.05)
    other = client.post(
        reverse("api:match_runs"), data={"scope_code": "410307"}, content_type="application/json"
    )
    assert other.status_code == 403


def test_a_second_run_for_an_overlapping_area_waits(people, world):
    match_run_create(actor=people["county_admin"], scope_code="410329")
    with pytest.raises(ValidationError) as exc:
        match_run_start(actor=people["specialist"], scope_code=TOWN)
    assert "410329" in exc.value.messages[0]
    assert MatchRun.objects.count() == 1


def test_a_failed_run_keeps_the_current_recommendations(people, world, monkeypatch):
    good = match_run_create(actor=people["county_admin"], scope_code="410329")
    match_run_execute(run_id=good.pk)
    bad = match_run_create(actor=people["county_admin"], scope_code="410329")

    def broken(scope_code):
        raise RuntimeError("数据库读取失败")

    monkeypatch.setattr("wengang.matching.runs.load_arrays", broken)
    with pytest.raises(RuntimeError):
        match_run_execute(run_id=bad.pk)
    bad.refresh_from_db()
    assert (bad.status, bad.message) == (RunStatus.FAILED, "数据库读取失败")
    assert list(Recommendation.objects.filter(is_current=True).values_list("run_id", flat=True)) == [good.pk]
