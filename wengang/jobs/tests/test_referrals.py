"""Referral services and pages: the pipeline, a hire's effects, duplicates, scope per role, audit rows."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from conftest import make_id
from wengang.audit.models import AuditEvent
from wengang.jobs import referrals as referrals_module
from wengang.jobs.choices import PostingStatus
from wengang.jobs.models import Posting, Referral, ReferralEvent
from wengang.jobs.referrals import (
    posting_pipeline_context,
    referral_create,
    referral_transition,
    work_place,
)
from wengang.jobs.tests.factories import make_posting
from wengang.regions.models import Region
from wengang.registry.models import EmploymentEvent, Person
from wengang.registry.services import person_create

STAFF_BACKEND = "wengang.accounts.backends.StaffBackend"
HIRED_ON = timezone.localdate() - dt.timedelta(days=2)


def _audit(referral: Referral) -> list[str]:
    rows = AuditEvent.objects.filter(object_type="jobs.referral", object_id=str(referral.pk)).order_by("id")
    return list(rows.values_list("action", flat=True))


def _events(referral: Referral) -> list[str]:
    return list(referral.events.order_by("id").values_list("state", flat=True))


@pytest.fixture
def posting(people):
    return make_posting(people["employer"].enterprise, title="装配工", headcount=2, address="伊川产业园 3 号")


@pytest.fixture
def referral(people, person_in_township, posting):
    return referral_create(
        actor=people["specialist"],
        person=person_in_township,
        posting=posting,
        source="staff",
        note="电话已通知",
    )


def _move(actor, referral, *states, **kw):
    for state in states:
        referral = referral_transition(actor=actor, referral=referral, to=state, **kw)
    return referral


def test_full_pipeline_to_hired_records_employment_and_fills_a_place(people, person_in_township, posting):
    referral = referral_create(
        actor=people["specialist"], person=person_in_township, posting=posting, source="staff"
    )
    assert (referral.state, referral.created_by) == ("recommended", people["specialist"])
    _move(people["specialist"], referral, "contacted")
    employer = people["employer"]
    hired = _move(employer, referral, "interviewing")
    hired = referral_transition(
        actor=employer, referral=referral, to="hired", hired_on=HIRED_ON, note="已签合同"
    )

    assert (hired.state, hired.hired_on) == ("hired", HIRED_ON)
    assert _events(hired) == ["recommended", "contacted", "interviewing", "hired"]
    assert hired.events.last().note == "已签合同"
    event = EmploymentEvent.objects.filter(person=person_in_township).order_by("-id").first()
    assert event is not None
    assert (event.status, event.source, event.occurred_on) == (
        "employed_in_county",
        "enterprise",
        HIRED_ON,
    )
    assert (event.enterprise, event.employer_name, event.monthly_income) == (
        posting.enterprise,
        "伊川测试企业",
        4000,
    )
    assert (event.work_province, event.work_city, event.work_place) == ("河南省", "洛阳市", "伊川产业园 3 号")
    assert event.recorded_by == employer
    person = Person.objects.get(pk=person_in_township.pk)
    assert (person.status, person.status_since) == ("employed_in_county", HIRED_ON)
    posting.refresh_from_db()
    assert (posting.filled_count, posting.status) == (1, PostingStatus.PUBLISHED)
    assert _audit(hired) == ["create", "status", "status", "status"]
    last = AuditEvent.objects.filter(object_type="jobs.referral", object_id=str(hired.pk)).order_by("-id")[0]
    assert last.changes["state"] == ["interviewing", "hired"]
    assert last.actor_id == employer.pk
    assert AuditEvent.objects.filter(
        object_type="registry.person", object_id=str(person.pk), action="update"
    ).exists()


def test_staff_hire_is_sourced_staff_and_dated_today(people, referral):
    hired = _move(people["county_admin"], referral, "contacted", "hired")
    event = EmploymentEvent.objects.filter(person=hired.person).order_by("-id").first()
    assert (event.source, event.occurred_on) == ("staff", timezone.localdate())
    assert hired.hired_on == timezone.localdate()


def test_last_place_marks_the_posting_filled_and_closes_it_to_new_referrals(people, person_in_township):
    posting = make_posting(people["employer"].enterprise, headcount=1)
    referral = referral_create(
        actor=people["specialist"], person=person_in_township, posting=posting, source="self"
    )
    _move(people["specialist"], referral, "contacted", "hired")
    posting.refresh_from_db()
    assert (posting.filled_count, posting.status) == (1, PostingStatus.FILLED)
    assert AuditEvent.objects.filter(
        object_type="jobs.posting", object_id=str(posting.pk), action="status"
    ).exists()
    other = person_create(
        actor=people["county_admin"],
        id_number=make_id("410329", "19920202", 21),
        name="李测试",
        village_code=person_in_township.village_code,
    )
    with pytest.raises(ValidationError):
        referral_create(actor=people["specialist"], person=other, posting=posting, source="staff")
    assert Referral.objects.filter(posting=posting).count() == 1


def test_a_hire_beyond_the_headcount_is_refused(people, person_in_township):
    posting = make_posting(people["employer"].enterprise, headcount=2)
    referral = referral_create(
        actor=people["specialist"], person=person_in_township, posting=posting, source="staff"
    )
    _move(people["specialist"], referral, "contacted")
    Posting.objects.filter(pk=posting.pk).update(filled_count=2, status=PostingStatus.FILLED)
    with pytest.raises(ValidationError) as exc:
        referral_transition(actor=people["specialist"], referral=referral, to="hired")
    assert "to" in exc.value.message_dict
    referral.refresh_from_db()
    assert referral.state == "contacted"
    assert not EmploymentEvent.objects.filter(person=person_in_township, enterprise__isnull=False).exists()


@pytest.mark.parametrize(
    ("area", "status", "province", "city"),
    [
        ("township", "employed_local", "河南省", "洛阳市"),
        ("410329", "employed_in_county", "河南省", "洛阳市"),
        ("410307", "employed_in_province", "河南省", "洛阳市"),
        ("320211", "employed_out_of_province", "", ""),
    ],
)
def test_where_the_work_is_decides_the_employment_status(
    people, person_in_township, area, status, province, city
):
    code = person_in_township.village_code[:9] if area == "township" else area
    posting = make_posting(people["employer"].enterprise, area_code=code)
    where = work_place(person_in_township, posting)
    assert (where.status, where.province, where.city) == (status, province, city)


def test_an_old_county_code_counts_as_the_new_county(people):
    person = Person(village_code="410381001001")
    posting = Posting(area_code="410307", address="")
    assert work_place(person, posting).status == "employed_in_county"


def test_ending_without_a_reason_is_refused_and_changes_nothing(people, referral):
    before_audit = AuditEvent.objects.count()
    for state in ("declined", "withdrawn"):
        with pytest.raises(ValidationError) as exc:
            referral_transition(actor=people["specialist"], referral=referral, to=state)
        assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError):
        referral_transition(actor=people["specialist"], referral=referral, to="declined", reason="made_up")
    referral.refresh_from_db()
    assert (referral.state, referral.reason) == ("recommended", "")
    assert _events(referral) == ["recommended"]
    assert AuditEvent.objects.count() == before_audit
    declined = referral_transition(
        actor=people["specialist"], referral=referral, to="declined", reason="wage"
    )
    assert (declined.state, declined.reason) == ("declined", "wage")
    assert declined.events.last().reason == "wage"
    assert _audit(declined) == ["create", "status"]


def test_illegal_transitions_are_refused(people, referral):
    with pytest.raises(ValidationError):
        referral_transition(actor=people["specialist"], referral=referral, to="hired")
    with pytest.raises(ValidationError):
        referral_transition(actor=people["specialist"], referral=referral, to="nonsense")
    hired = _move(people["specialist"], referral, "contacted", "hired")
    with pytest.raises(ValidationError):
        referral_transition(actor=people["specialist"], referral=hired, to="withdrawn", reason="other")
    hired.refresh_from_db()
    assert hired.state == "hired"
    assert _audit(hired) == ["create", "status", "status"]


def test_hire_date_in_the_future_is_refused(people, referral):
    _move(people["specialist"], referral, "contacted")
    with pytest.raises(ValidationError) as exc:
        referral_transition(
            actor=people["specialist"],
            referral=referral,
            to="hired",
            hired_on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert "hired_on" in exc.value.message_dict
    referral.refresh_from_db()
    assert referral.state == "contacted"


def test_second_open_referral_is_refused_until_the_first_is_closed(
    people, person_in_township, posting, referral
):
    with pytest.raises(ValidationError) as exc:
        referral_create(
            actor=people["county_admin"], person=person_in_township, posting=posting, source="staff"
        )
    assert "张测试" in " ".join(exc.value.messages)
    assert Referral.objects.filter(person=person_in_township, posting=posting).count() == 1
    referral_transition(actor=people["specialist"], referral=referral, to="withdrawn", reason="found_other")
    again = referral_create(
        actor=people["county_admin"], person=person_in_township, posting=posting, source="recommendation"
    )
    assert again.state == "recommended"
    assert Referral.objects.filter(person=person_in_township, posting=posting).count() == 2


def test_a_race_past_the_check_is_caught_from_the_database_constraint(
    monkeypatch, people, person_in_township, posting, referral
):
    monkeypatch.setattr(referrals_module, "OPEN_REFERRAL_STATES", frozenset())  # the check sees nothing
    with pytest.raises(ValidationError) as exc:
        referral_create(
            actor=people["specialist"], person=person_in_township, posting=posting, source="staff"
        )
    assert "posting" in exc.value.message_dict
    # The outer transaction is still usable and holds one referral.
    assert Referral.objects.filter(person=person_in_township, posting=posting).count() == 1


def test_only_published_postings_with_places_and_people_in_scope(people, person_in_township, posting):
    draft = make_posting(people["employer"].enterprise, status=PostingStatus.DRAFT)
    with pytest.raises(ValidationError) as exc:
        referral_create(actor=people["specialist"], person=person_in_township, posting=draft, source="staff")
    assert "posting" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        referral_create(
            actor=people["other_county_admin"], person=person_in_township, posting=posting, source="staff"
        )
    assert "person" in exc.value.message_dict
    with pytest.raises(ValidationError):
        referral_create(
            actor=people["specialist"], person=person_in_township, posting=posting, source="magic"
        )
    with pytest.raises(PermissionDenied):
        referral_create(actor=people["employer"], person=person_in_township, posting=posting, source="self")
    assert not Referral.objects.exists()
    assert not AuditEvent.objects.filter(object_type="jobs.referral").exists()


def test_staff_may_refer_to_another_countys_published_posting(people, person_in_township):
    yanshi = make_posting(people["other_employer"].enterprise, title="偃师岗位")
    referral = referral_create(
        actor=people["specialist"], person=person_in_township, posting=yanshi, source="staff"
    )
    assert referral.posting == yanshi
    # Seen by 伊川 staff (the person is theirs) and the 偃师 enterprise (its posting), not by 偃师 staff.
    from wengang.jobs.selectors import referral_queryset

    assert referral_queryset(people["specialist"]).filter(pk=referral.pk).exists()
    assert referral_queryset(people["other_employer"]).filter(pk=referral.pk).exists()
    assert not referral_queryset(people["other_county_admin"]).filter(pk=referral.pk).exists()
    assert not referral_queryset(people["employer"]).filter(pk=referral.pk).exists()


def test_employer_moves_only_interviews_and_outcomes_of_its_own_referrals(people, referral):
    employer = people["employer"]
    with pytest.raises(PermissionDenied):
        referral_transition(actor=employer, referral=referral, to="contacted")
    _move(people["specialist"], referral, "contacted")
    with pytest.raises(PermissionDenied):
        referral_transition(actor=employer, referral=referral, to="withdrawn", reason="other")
    with pytest.raises(PermissionDenied):
        referral_transition(actor=people["other_employer"], referral=referral, to="interviewing")
    with pytest.raises(PermissionDenied):
        referral_transition(actor=people["viewer"], referral=referral, to="interviewing")
    referral.refresh_from_db()
    assert referral.state == "contacted"
    assert _audit(referral) == ["create", "status"]
    moved = referral_transition(actor=employer, referral=referral, to="no_show", reason="unreachable")
    assert moved.state == "no_show"


def test_pipeline_counts_for_the_posting_page(people, person_in_township, posting, referral):
    ctx = posting_pipeline_context(user=people["employer"], posting=posting)
    counts = {c.state: c.count for c in ctx["counts"]}
    assert counts["recommended"] == 1
    assert sum(counts.values()) == 1
    assert ctx["can_refer"] is False
    assert posting_pipeline_context(user=people["specialist"], posting=posting)["can_refer"] is True
    hidden = posting_pipeline_context(user=people["other_county_admin"], posting=posting)
    assert sum(c.count for c in hidden["counts"]) == 0


# --- pages ---------------------------------------------------------------------------------------------


def _login(client, user):
    client.force_login(user, backend=STAFF_BACKEND)


def test_staff_list_filters_and_scope(client, people, person_in_township, posting, referral):
    _login(client, people["specialist"])
    page = client.get(reverse("jobs:referral_list")).content.decode()
    assert "张测试" in page
    assert "装配工" in page
    assert "张测试" not in client.get(reverse("jobs:referral_list"), {"state": "hired"}).content.decode()
    assert "张测试" in client.get(reverse("jobs:referral_list"), {"q": "伊川测试"}).content.decode()
    assert "张测试" in client.get(reverse("jobs:referral_list"), {"posting": posting.pk}).content.decode()
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert "张测试" not in client.get(reverse("jobs:referral_list"), {"date_from": future}).content.decode()
    assert AuditEvent.objects.filter(
        object_type="jobs.referral", action="view", actor_id=people["specialist"].pk
    ).exists()

    _login(client, people["other_county_admin"])
    assert "张测试" not in client.get(reverse("jobs:referral_list")).content.decode()
    assert client.get(reverse("jobs:referral_detail", args=[referral.pk])).status_code == 404
    response = client.post(reverse("jobs:referral_transition", args=[referral.pk]), {"to": "contacted"})
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.state == "recommended"


def test_employer_page_shows_candidate_facts_and_no_registry_details(
    client, people, person_in_township, referral
):
    person_in_township.skills = ["电焊"]
    person_in_township.certificates = ["焊工证"]
    person_in_township.save()
    village = Region.objects.get(code=person_in_township.village_code)
    _login(client, people["employer"])
    for url in (reverse("jobs:referral_list"), reverse("jobs:referral_detail", args=[referral.pk])):
        page = client.get(url).content.decode()
        assert "张测试" in page
        assert "电焊" in page
        assert "焊工证" in page
        assert person_in_township.phone_masked in page
        assert person_in_township.id_masked not in page
        assert village.name not in page
        assert person_in_township.village_code not in page
        assert reverse("registry:person_detail", args=[person_in_township.pk]) not in page
    assert "装配工" in client.get(reverse("jobs:referral_list")).content.decode()


def test_employer_gets_404_on_another_enterprises_referral_and_403_on_create(
    client, people, person_in_township, referral
):
    _login(client, people["other_employer"])
    assert client.get(reverse("jobs:referral_detail", args=[referral.pk])).status_code == 404
    response = client.post(reverse("jobs:referral_transition", args=[referral.pk]), {"to": "interviewing"})
    assert response.status_code == 404
    assert "张测试" not in client.get(reverse("jobs:referral_list")).content.decode()
    assert client.get(reverse("jobs:referral_create")).status_code == 403
    assert (
        client.post(
            reverse("jobs:referral_create"), {"person": person_in_township.pk, "posting": referral.posting_id}
        ).status_code
        == 403
    )
    referral.refresh_from_db()
    assert referral.state == "recommended"
    assert Referral.objects.count() == 1


def test_detail_page_moves_the_pipeline_and_shows_errors(client, people, referral):
    _login(client, people["specialist"])
    url = reverse("jobs:referral_detail", args=[referral.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="step-contacted"' in page
    assert 'data-testid="step-hired"' not in page
    transition = reverse("jobs:referral_transition", args=[referral.pk])
    response = client.post(transition, {"to": "contacted", "note": "已电话联系"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == "contacted"
    response = client.post(transition, {"to": "declined"})
    assert response.status_code == 200
    assert 'data-testid="step-declined" open' in response.content.decode()
    referral.refresh_from_db()
    assert referral.state == "contacted"
    page = client.get(url).content.decode()
    assert "已电话联系" in page
    _login(client, people["employer"])
    page = client.get(url).content.decode()
    assert 'data-testid="step-interviewing"' in page
    assert 'data-testid="step-withdrawn"' not in page
    assert client.post(transition, {"to": "withdrawn", "reason": "other"}).status_code == 200
    referral.refresh_from_db()
    assert referral.state == "contacted"


def test_create_from_a_person_and_from_a_posting(client, people, person_in_township, posting):
    _login(client, people["specialist"])
    url = reverse("jobs:referral_create")
    page = client.get(url, {"person": person_in_township.pk, "q": "装配"}).content.decode()
    assert "装配工" in page
    draft = make_posting(people["employer"].enterprise, title="草稿岗位", status=PostingStatus.DRAFT)
    assert "草稿岗位" not in client.get(url, {"person": person_in_township.pk}).content.decode()
    assert client.get(url, {"person": person_in_township.pk, "posting": draft.pk}).status_code == 404
    page = client.get(url, {"posting": posting.pk, "q": "张测试"}).content.decode()
    assert person_in_township.id_masked in page
    by_phone = client.get(url, {"posting": posting.pk, "q": "13912340001"}).content.decode()
    assert f"?person={person_in_township.pk}&posting={posting.pk}" in by_phone
    response = client.post(
        f"{url}?person={person_in_township.pk}&posting={posting.pk}",
        {"person": person_in_township.pk, "posting": posting.pk, "source": "staff", "note": "推荐"},
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert response["Location"] == reverse("jobs:referral_detail", args=[referral.pk])
    again = client.post(url, {"person": person_in_township.pk, "posting": posting.pk, "source": "staff"})
    assert again.status_code == 200
    assert 'class="errorlist"' in again.content.decode()
    assert Referral.objects.count() == 1
    _login(client, people["other_specialist"])
    assert client.get(url, {"person": person_in_township.pk}).status_code == 404
    found = client.get(url, {"posting": posting.pk, "q": "张测试"}).content.decode()
    assert person_in_township.id_masked not in found


def test_export_is_scoped_masked_and_audited(client, people, person_in_township, referral):
    _login(client, people["specialist"])
    response = client.get(reverse("jobs:referral_export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    flat = " ".join(str(v) for v in rows[1])
    assert "张测试" in flat
    assert person_in_township.phone_masked in flat
    assert "13912340001" not in flat
    assert person_in_township.id_masked in flat
    audit = AuditEvent.objects.filter(object_type="jobs.referral", action="export").get()
    assert audit.changes["rows"] == 1
    _login(client, people["employer"])
    rows = list(
        load_workbook(io.BytesIO(client.get(reverse("jobs:referral_export")).content)).active.iter_rows(
            values_only=True
        )
    )
    flat = " ".join(str(v) for v in rows[1])
    assert "张测试" in flat
    assert person_in_township.id_masked not in flat
    assert person_in_township.village_code not in flat
    _login(client, people["other_county_admin"])
    rows = list(
        load_workbook(io.BytesIO(client.get(reverse("jobs:referral_export")).content)).active.iter_rows(
            values_only=True
        )
    )
    assert len(rows) == 1


def test_events_keep_the_history(people, referral):
    _move(people["specialist"], referral, "contacted")
    assert ReferralEvent.objects.filter(referral=referral).count() == 2
    first = referral.events.order_by("id").first()
    assert (first.state, first.note, first.actor) == ("recommended", "电话已通知", people["specialist"])
