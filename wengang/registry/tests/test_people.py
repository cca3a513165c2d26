"""Registry people: validation, history, scope on every read path, masking and audited unmasking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from conftest import make_id
from wengang.audit.models import AuditEvent
from wengang.regions.models import Region
from wengang.registry.identity import IdentityError, normalize_phone, parse_resident_id
from wengang.registry.models import EmploymentEvent, Household, Person
from wengang.registry.services import EmploymentChange, person_create, person_update

BACKEND = "wengang.accounts.backends.StaffBackend"


def _village(prefix: str) -> str:
    return Region.objects.filter(code__startswith=prefix, level="village").order_by("code").first().code


def test_resident_id_parsing():
    number = make_id("410329", "19900101", 11)
    rid = parse_resident_id(
        "  " + number.translate(str.maketrans("0123456789", "０１２３４５６７８９")) + " "
    )
    assert (rid.number, rid.birth_date, rid.gender, rid.warnings) == (number, dt.date(1990, 1, 1), "M", [])
    with translation.override("en"):
        with pytest.raises(IdentityError, match="check digit"):
            parse_resident_id(number[:-1] + ("1" if number[-1] != "1" else "2"))
        with pytest.raises(IdentityError, match="stored by Excel as a number"):
            parse_resident_id("4.10329E+17")
        with pytest.raises(IdentityError, match="18 characters"):
            parse_resident_id("41032919900101")
    # A code that did not exist in the birth year is a warning, not a rejection (410307 was created in 2021).
    old = parse_resident_id(make_id("410307", "19800101", 21))
    assert old.warnings
    lower_x = next(
        make_id("410329", "19850505", n) for n in range(1, 999) if make_id("410329", "19850505", n)[-1] == "X"
    )
    assert parse_resident_id(lower_x.lower()).number == lower_x


def test_phone_normalisation():
    assert normalize_phone("+86 138-1234-1234") == "13812341234"
    assert normalize_phone("") == ""
    with pytest.raises(IdentityError):
        normalize_phone("12345")


@pytest.mark.django_db
def test_create_derives_gender_and_birth_and_opens_history(people):
    person = person_create(
        actor=people["specialist"],
        id_number=make_id("410329", "19920304", 22),
        name="李四",
        village_code=_village("410329001"),
        phone="13800001111",
        employment=EmploymentChange(status="unemployed_seeking", occurred_on=dt.date(2026, 2, 10)),
        intent="local_job",
    )
    assert (person.gender, person.birth_date) == ("F", dt.date(1992, 3, 4))
    assert person.status == "unemployed_seeking"
    assert person.intent == "local_job"
    assert person.household.head == person
    assert person.id_masked.startswith("410329")
    assert "*" in person.id_masked
    assert person.phone_masked == "138****1111"
    assert AuditEvent.objects.filter(
        action="create", object_type="registry.person", object_id=str(person.pk)
    ).exists()


@pytest.mark.django_db
def test_duplicate_id_is_refused(people, person_in_township):
    with pytest.raises(ValidationError):
        person_create(
            actor=people["county_admin"],
            id_number=make_id("410329", "19900101", 11),
            name="重复",
            village_code=_village("410329001"),
        )
    assert Person.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["specialist", "other_county_admin", "viewer"])
def test_out_of_scope_create_writes_nothing(people, actor):
    counts = (Person.objects.count(), Household.objects.count(), AuditEvent.objects.count())
    village = _village("410329002") if actor == "specialist" else _village("410329001")
    with pytest.raises(PermissionDenied):
        person_create(
            actor=people[actor],
            id_number=make_id("410329", "19900101", 33),
            name="越界",
            village_code=village,
        )
    assert (Person.objects.count(), Household.objects.count(), AuditEvent.objects.count()) == counts


@pytest.mark.django_db
def test_update_appends_history_and_repeating_changes_nothing(people, person_in_township):
    person = person_in_township
    change = EmploymentChange(status="unemployed_seeking", occurred_on=dt.date(2026, 4, 20))
    assert person_update(actor=people["specialist"], person=person, employment=change) == ["status"]
    assert person_update(actor=people["specialist"], person=person, employment=change) == []
    person.refresh_from_db()
    assert person.status == "unemployed_seeking"
    history = EmploymentEvent.objects.filter(person=person).order_by("occurred_on")
    assert list(history.values_list("status", flat=True)) == [
        "employed_out_of_province",
        "unemployed_seeking",
    ]
    # An older event joins the history without becoming the current status.
    older = EmploymentChange(status="student", occurred_on=dt.date(2020, 9, 1))
    person_update(actor=people["specialist"], person=person, employment=older)
    person.refresh_from_db()
    assert person.status == "unemployed_seeking"
    assert history.count() == 3
    assert person_update(actor=people["specialist"], person=person, name="张测试") == []
    assert person_update(actor=people["specialist"], person=person, phone="13900000000", name="张改名") == [
        "name",
        "phone",
    ]


@pytest.mark.django_db
def test_lists_pages_and_api_are_scoped(client, people, person_in_township):
    other = person_create(
        actor=people["other_county_admin"],
        id_number=make_id("410307", "19880808", 44),
        name="偃师人",
        village_code=_village("410307"),
    )
    elsewhere_in_county = person_create(
        actor=people["county_admin"],
        id_number=make_id("410329", "19870707", 55),
        name="伊川别乡",
        village_code=_village("410329002"),
    )
    expected = {
        "city_admin": {"张测试", "偃师人", "伊川别乡"},
        "county_admin": {"张测试", "伊川别乡"},
        "specialist": {"张测试"},
        "other_county_admin": {"偃师人"},
    }
    for role, names in expected.items():
        client.force_login(people[role], backend=BACKEND)
        page = client.get(reverse("registry:person_list"))
        assert {p.name for p in page.context["page"]} == names, role
        api = client.get("/api/v1/registry/persons").json()
        assert {p["name"] for p in api["items"]} == names, role
        for person in (person_in_township, other, elsewhere_in_county):
            visible = person.name in names
            assert (
                client.get(reverse("registry:person_detail", kwargs={"pk": person.pk})).status_code == 200
            ) == visible
            assert (client.get(f"/api/v1/registry/persons/{person.pk}").status_code == 200) == visible
    for role in ("viewer", "health_officer", "liaison", "employer", "auditor"):
        client.force_login(people[role], backend=BACKEND)
        assert client.get(reverse("registry:person_list")).status_code == 403
        assert client.get("/api/v1/registry/persons").status_code == 403


@pytest.mark.django_db
def test_search_by_exact_id_or_phone_uses_the_keyed_hash(client, people, person_in_township):
    client.force_login(people["county_admin"], backend=BACKEND)
    for q in (make_id("410329", "19900101", 11), "139 1234 0001", "张测"):
        page = client.get(reverse("registry:person_list"), {"q": q})
        assert [p.name for p in page.context["page"]] == ["张测试"], q
    assert list(client.get(reverse("registry:person_list"), {"q": "13912340002"}).context["page"]) == []


@pytest.mark.django_db
def test_filters(client, people, person_in_township):
    client.force_login(people["county_admin"], backend=BACKEND)
    url = reverse("registry:person_list")
    assert len(client.get(url, {"status": "employed_out_of_province"}).context["page"]) == 1
    assert len(client.get(url, {"status": "student"}).context["page"]) == 0
    age = timezone.localdate().year - 1990
    assert len(client.get(url, {"age_min": age - 2, "age_max": age + 1}).context["page"]) == 1
    assert len(client.get(url, {"age_min": age + 3}).context["page"]) == 0
    assert len(client.get(url, {"area": "410307"}).context["page"]) == 0  # outside scope: nothing


@pytest.mark.django_db
def test_pages_and_api_show_masked_numbers_and_unmask_is_audited(client, people, person_in_township):
    client.force_login(people["specialist"], backend=BACKEND)
    number = make_id("410329", "19900101", 11)
    for body in (
        client.get(reverse("registry:person_list")).content.decode(),
        client.get(reverse("registry:person_detail", kwargs={"pk": person_in_township.pk})).content.decode(),
        client.get("/api/v1/registry/persons").content.decode(),
    ):
        assert number not in body
        assert "13912340001" not in body
        assert "139****0001" in body
    url = reverse("registry:person_unmask", kwargs={"pk": person_in_township.pk})
    response = client.post(url, {"field": "id_number", "reason": "核实身份信息"})
    assert response.context["revealed"] == number
    event = AuditEvent.objects.filter(action="unmask").latest("id")
    assert (event.actor_username, event.object_id, event.changes, event.reason) == (
        "t_spec",
        str(person_in_township.pk),
        {"field": "id_number"},
        "核实身份信息",
    )


@pytest.mark.django_db
def test_no_plaintext_id_or_phone_anywhere_in_the_database(people, person_in_township):
    number, phone = make_id("410329", "19900101", 11), "13912340001"
    person_update(actor=people["specialist"], person=person_in_township, notes="已电话联系")
    with connection.cursor() as cur:
        for table in connection.introspection.table_names():
            cur.execute(f'SELECT * FROM "{table}"')  # noqa: S608  (table names come from the schema)
            for row in cur.fetchall():
                text = " ".join(str(v) for v in row)
                assert number not in text, table
                assert phone not in text, table


@pytest.mark.django_db
def test_register_and_edit_through_the_pages(client, people):
    client.force_login(people["specialist"], backend=BACKEND)
    village = _village("410329001")
    number = make_id("410329", "19950607", 77)
    form = {
        "id_number": number.lower(),
        "name": "王五",
        "phone": "+86 137-0000-2222",
        "village_code": village,
        "poverty_category": "unstable",
        "health": "healthy",
        "skills": "电焊、叉车",
        "status": "unemployed_seeking",
        "status_date": "2026-02-09",
        "intent": "local_job",
    }
    response = client.post(reverse("registry:person_create"), form)
    assert response.status_code == 302, response.context["form"].errors
    person = Person.objects.get(name="王五")
    assert (person.skills, person.status, person.household.poverty_category) == (
        ["电焊", "叉车"],
        "unemployed_seeking",
        "unstable",
    )
    assert person.phone_masked == "137****2222"
    again = client.post(reverse("registry:person_create"), form)
    assert again.status_code == 200
    assert Person.objects.filter(name="王五").count() == 1
    edit = client.post(
        reverse("registry:person_edit", kwargs={"pk": person.pk}),
        {
            "name": "王五",
            "village_code": village,
            "health": "healthy",
            "skills": "电焊",
            "status": "employed_in_county",
            "status_date": "2026-03-01",
            "employer_name": "伊川测试企业",
            "monthly_income": "4200",
        },
    )
    assert edit.status_code == 302
    person.refresh_from_db()
    assert (person.skills, person.status) == (["电焊"], "employed_in_county")
    assert person.employment_events.count() == 2


@pytest.mark.django_db
def test_form_rejects_bad_id_and_out_of_scope_village_writing_nothing(client, people):
    client.force_login(people["specialist"], backend=BACKEND)
    base = {
        "name": "赵六",
        "village_code": _village("410329001"),
        "poverty_category": "general",
        "health": "healthy",
    }
    bad = client.post(reverse("registry:person_create"), {**base, "id_number": "410329199001011230"})
    assert bad.status_code == 200
    assert bad.context["form"].errors["id_number"]
    outside = client.post(
        reverse("registry:person_create"),
        {**base, "id_number": make_id("410329", "19900101", 88), "village_code": _village("410329002")},
    )
    assert outside.context["form"].errors["village_code"]
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_skill_and_certificate_filters_find_chinese_text(client, people, person_in_township):
    person_update(
        actor=people["specialist"],
        person=person_in_township,
        skills=["电焊", "叉车"],
        certificates=["焊工证"],
    )
    client.force_login(people["specialist"], backend=BACKEND)
    url = reverse("registry:person_list")
    assert [p.name for p in client.get(url, {"skill": "电焊"}).context["page"]] == ["张测试"]
    assert [p.name for p in client.get(url, {"certificate": "焊工"}).context["page"]] == ["张测试"]
    assert list(client.get(url, {"skill": "厨师"}).context["page"]) == []


def _sheet(content: bytes) -> list[tuple]:
    import io

    from openpyxl import load_workbook

    return list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))


@pytest.mark.django_db
def test_export_is_masked_scoped_audited_and_reimportable(client, people, person_in_township):
    person_create(
        actor=people["other_county_admin"],
        id_number=make_id("410307", "19880808", 44),
        name="偃师人",
        village_code=_village("410307"),
    )
    client.force_login(people["county_admin"], backend=BACKEND)
    response = client.get(reverse("registry:person_export"))
    rows = _sheet(response.content)
    assert rows[0][:3] == ("姓名", "身份证号", "联系电话")
    assert [r[0] for r in rows[1:]] == ["张测试"]
    assert rows[1][1] == "410329********0111" or "*" in rows[1][1]
    assert rows[1][2] == "139****0001"
    assert rows[1][7] == "省外务工"
    event = AuditEvent.objects.filter(action="export", object_type="registry.person").latest("id")
    assert (event.changes["count"], event.changes["unmasked"]) == (1, False)
    # Full numbers need a reason; with one, the export carries them and the audit row carries the reason.
    refused = client.post(reverse("registry:person_export"), {"reason": ""})
    assert refused.status_code == 302
    full = _sheet(client.post(reverse("registry:person_export"), {"reason": "核对台账"}).content)
    assert full[1][1] == make_id("410329", "19900101", 11)
    assert AuditEvent.objects.filter(action="export", reason="核对台账").count() == 1
    # The export reads back through the importer: nothing changes.
    from wengang.registry.imports import ledger_import_load, ledger_import_validate

    data = client.post(reverse("registry:person_export"), {"reason": "回导测试"}).content
    record = ledger_import_load(
        import_id=ledger_import_validate(user=people["county_admin"], data=data, filename="export.xlsx").pk
    )
    assert (record.created, record.updated, record.unchanged, record.rejected_rows) == (0, 0, 1, 0)


@pytest.mark.django_db
def test_large_export_runs_in_the_background(
    client, people, person_in_township, monkeypatch, django_capture_on_commit_callbacks
):
    from wengang.registry import exports

    monkeypatch.setattr(exports, "BACKGROUND_THRESHOLD", 0)
    client.force_login(people["county_admin"], backend=BACKEND)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("registry:person_export"))
    assert "/tasks/" in response["Location"]
    page = client.get(response["Location"])
    task = page.context["task"]
    assert (task.status, task.result["rows"]) == ("succeeded", 1)
    assert 'data-testid="export-download"' in page.content.decode()
    download = client.get(reverse("registry:export_download", kwargs={"task_id": task.pk}))
    assert [r[0] for r in _sheet(download.content)[1:]] == ["张测试"]
    client.force_login(people["city_admin"], backend=BACKEND)
    assert client.get(reverse("registry:export_download", kwargs={"task_id": task.pk})).status_code == 404


@pytest.mark.django_db
def test_api_create_update_history_and_household_are_scoped(client, people, person_in_township):
    from wengang.accounts.services import token_create

    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=people['specialist'])}"}
    body = {
        "id_number": make_id("410329", "19930303", 91),
        "name": "接口新人",
        "village_code": _village("410329001"),
        "phone": "13600001234",
        "poverty_category": "marginal",
        "employment": {"status": "unemployed_seeking", "occurred_on": "2026-02-10"},
        "intent": "local_job",
    }
    created = client.post("/api/v1/registry/persons", body, content_type="application/json", **auth)
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["phone"], data["status"], data["poverty_category"]) == (
        "136****1234",
        "unemployed_seeking",
        "marginal",
    )
    assert body["id_number"] not in created.content.decode()
    duplicate = client.post("/api/v1/registry/persons", body, content_type="application/json", **auth)
    assert duplicate.status_code == 400
    assert list(duplicate.json()["detail"]) == ["id_number"]
    outside = client.post(
        "/api/v1/registry/persons",
        {**body, "id_number": make_id("410329", "19930303", 92), "village_code": _village("410329002")},
        content_type="application/json",
        **auth,
    )
    assert outside.status_code == 403
    assert _village("410329002") in outside.json()["detail"]
    pid = data["id"]
    patch = client.patch(
        f"/api/v1/registry/persons/{pid}",
        {
            "employment": {
                "status": "employed_in_county",
                "occurred_on": "2026-03-01",
                "employer_name": "伊川测试企业",
            }
        },
        content_type="application/json",
        **auth,
    )
    assert patch.json() == {"id": pid, "changed": ["status"]}
    history = client.get(f"/api/v1/registry/persons/{pid}/history", **auth).json()
    assert [h["status"] for h in history] == ["employed_in_county", "unemployed_seeking"]
    hh = client.patch(
        f"/api/v1/registry/households/{data['household_id']}",
        {"poverty_category": "unstable"},
        content_type="application/json",
        **auth,
    )
    assert hh.json()["poverty_category"] == "unstable"
    # Another county's admin sees none of it.
    other = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=people['other_county_admin'])}"}
    assert client.get(f"/api/v1/registry/persons/{pid}", **other).status_code == 404
    assert (
        client.patch(
            f"/api/v1/registry/persons/{pid}", {"name": "x"}, content_type="application/json", **other
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/registry/households/{data['household_id']}", **other).status_code == 404
    viewer = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=people['viewer'])}"}
    assert (
        client.post("/api/v1/registry/persons", body, content_type="application/json", **viewer).status_code
        == 403
    )
