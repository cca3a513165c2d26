"""The training API: programmes, enrolments, completion, subsidy claims, totals, scope and audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from conftest import make_id
from wengang.audit.models import AuditEvent
from wengang.jobs.tests.factories import make_occupation
from wengang.regions.models import Region
from wengang.registry.services import person_create
from wengang.training.models import Enrolment, Programme
from wengang.training.services import enrol, programme_create

pytestmark = pytest.mark.django_db
BACKEND = "wengang.accounts.backends.StaffBackend"
API = "/api/v1/training"
START = dt.date(2026, 4, 1)
YANSHI_TOWN = "410307004"  # 首阳山街道, 偃师区


@pytest.fixture
def yanshi_specialist(db):
    from wengang.accounts.tests.factories import make_user

    return make_user("t_spec_ys", "specialist", YANSHI_TOWN)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _programme(actor, area_code: str, name: str, places: int = 2) -> Programme:
    return programme_create(
        actor=actor,
        name=name,
        provider="测试职业培训学校",
        area_code=area_code,
        start_date=START,
        end_date=START + dt.timedelta(days=9),
        places=places,
        subsidy_per_person=Decimal("1500"),
    )


@pytest.fixture
def two_counties(people, person_in_township):
    """One course and one enrolment in 伊川 (410329001), the same in 偃师 (410307004)."""
    yanshi_village = Region.objects.filter(code__startswith=YANSHI_TOWN, level="village").order_by("code")[0]
    yanshi_person = person_create(
        actor=people["other_county_admin"],
        id_number=make_id("410307", "19910101", 31),
        name="偃师测试",
        village_code=yanshi_village.code,
    )
    yichuan = _programme(people["county_admin"], "410329001", "伊川电焊班")
    yanshi = _programme(people["other_county_admin"], YANSHI_TOWN, "偃师叉车班")
    return {
        "yichuan": yichuan,
        "yanshi": yanshi,
        "yichuan_enrolment": enrol(
            actor=people["county_admin"], programme=yichuan, person=person_in_township
        ),
        "yanshi_enrolment": enrol(actor=people["other_county_admin"], programme=yanshi, person=yanshi_person),
    }


def _login(client, user):
    client.force_login(user, backend=BACKEND)


@pytest.mark.parametrize("role", ["specialist", "yanshi_specialist"])
def test_a_specialist_sees_only_their_own_countys_rows(client, people, yanshi_specialist, two_counties, role):
    own, other = ("yichuan", "yanshi") if role == "specialist" else ("yanshi", "yichuan")
    _login(client, people["specialist"] if role == "specialist" else yanshi_specialist)
    listed = client.get(f"{API}/programmes").json()
    assert [p["id"] for p in listed["items"]] == [two_counties[own].pk]
    assert listed["count"] == 1
    enrolments = client.get(f"{API}/enrolments").json()["items"]
    assert [e["id"] for e in enrolments] == [two_counties[f"{own}_enrolment"].pk]
    assert client.get(f"{API}/programmes/{two_counties[other].pk}").status_code == 404
    theirs = two_counties[f"{other}_enrolment"].pk
    assert client.get(f"{API}/enrolments/{theirs}").status_code == 404
    response = client.post(
        f"{API}/enrolments/{theirs}/record", {"status": "attending"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert Enrolment.objects.get(pk=theirs).status == "enrolled"  # nothing changed
    totals = {row["state"]: row["enrolments"] for row in client.get(f"{API}/subsidies").json()}
    assert totals["none"] == 1


def test_roles_without_training_are_refused(client, people, two_counties):
    _login(client, people["employer"])
    assert client.get(f"{API}/programmes").status_code == 403
    response = client.post(f"{API}/programmes", {}, content_type="application/json")
    assert response.status_code == 403
    assert Programme.objects.count() == 2


def test_create_a_programme_and_its_place_counts(client, people):
    occupation = make_occupation("6-18-02-04", "焊工", general_labour=False)
    _login(client, people["county_admin"])
    body = {
        "name": "焊工证培训班",
        "provider": "伊川县职业培训学校",
        "area_code": "410329",
        "start_date": "2026-05-01",
        "end_date": "2026-05-10",
        "places": 30,
        "occupation_code": occupation.code,
        "subsidy_per_person": "1200",
    }
    response = client.post(f"{API}/programmes", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["places"], data["places_taken"], data["places_left"]) == (30, 0, 30)
    assert data["occupation_name"] == "焊工"
    assert AuditEvent.objects.filter(object_type="training.programme", object_id=str(data["id"])).exists()
    outside = client.post(
        f"{API}/programmes", {**body, "area_code": "410307"}, content_type="application/json"
    )
    assert outside.status_code == 400
    assert list(outside.json()["detail"]) == ["area_code"]  # the service names the field
    bad = client.post(f"{API}/programmes", {"name": "x"}, content_type="application/json")
    assert bad.status_code == 400
    assert Programme.objects.count() == 1


def test_enrol_complete_with_a_certificate_and_claim_the_subsidy(client, people, person_in_township):
    programme = _programme(people["county_admin"], "410329", "电焊班", places=1)
    _login(client, people["specialist"])
    response = client.post(
        f"{API}/enrolments",
        {"programme_id": programme.pk, "person_id": person_in_township.pk, "enrolled_on": "2026-03-20"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    enrolment_id = response.json()["id"]
    assert client.get(f"{API}/programmes/{programme.pk}").json()["places_left"] == 0
    response = client.post(
        f"{API}/enrolments/{enrolment_id}/record",
        {"status": "completed", "attendance_days": 10, "completed_on": "2026-04-10", "certificate": "焊工证"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["certificate"]) == ("completed", "焊工证")
    person_in_township.refresh_from_db()
    assert "焊工证" in person_in_township.certificates
    too_much = client.post(
        f"{API}/enrolments/{enrolment_id}/subsidy",
        {"state": "claimed", "amount": "2000"},
        content_type="application/json",
    )
    assert too_much.status_code == 400
    response = client.post(
        f"{API}/enrolments/{enrolment_id}/subsidy", {"state": "claimed"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert (response.json()["subsidy_state"], response.json()["subsidy_amount"]) == ("claimed", "1500.00")
    rows = client.get(f"{API}/subsidies").json()
    totals = {r["state"]: (r["enrolments"], Decimal(r["amount"])) for r in rows}
    assert totals["claimed"] == (1, Decimal("1500"))
    skipped = client.post(
        f"{API}/enrolments/{enrolment_id}/subsidy", {"state": "paid"}, content_type="application/json"
    )
    assert skipped.status_code == 400  # claimed → paid skips approval


def test_a_full_programme_refuses_another_enrolment(client, people, person_in_township, two_counties):
    full = _programme(people["county_admin"], "410329", "满员班", places=1)
    enrol(actor=people["county_admin"], programme=full, person=person_in_township)
    other = person_create(
        actor=people["county_admin"],
        id_number=make_id("410329", "19920202", 32),
        name="李测试",
        village_code=person_in_township.village_code,
    )
    _login(client, people["county_admin"])
    response = client.post(
        f"{API}/enrolments", {"programme_id": full.pk, "person_id": other.pk}, content_type="application/json"
    )
    assert response.status_code == 400
    assert len(response.json()["detail"]) == 1
    assert Enrolment.objects.filter(programme=full).count() == 1


def test_filters_and_pagination(client, people, two_counties):
    _login(client, people["city_admin"])
    data = client.get(f"{API}/programmes", {"area": "410307"}).json()
    assert [p["name"] for p in data["items"]] == ["偃师叉车班"]
    data = client.get(f"{API}/enrolments", {"programme_id": two_counties["yichuan"].pk}).json()
    assert data["count"] == 1
    assert AuditEvent.objects.filter(object_type="training.enrolment", action="view").exists()
