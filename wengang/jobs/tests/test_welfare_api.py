"""The public-welfare placement API: placing, months, renewal, exit, the places limit, scope and audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import make_id
from wengang.audit.models import AuditEvent
from wengang.jobs.models import WelfarePlacement, WelfareWorkMonth
from wengang.jobs.tests.factories import make_posting
from wengang.jobs.welfare import placement_create
from wengang.regions.models import Region
from wengang.registry.services import EmploymentChange, person_create

pytestmark = pytest.mark.django_db
BACKEND = "wengang.accounts.backends.StaffBackend"
API = "/api/v1/welfare/placements"
YANSHI_TOWN = "410307004"  # 首阳山街道, 偃师区


def _village(prefix: str, index: int = 0) -> str:
    codes = Region.objects.filter(code__startswith=prefix, level="village").order_by("code")
    return codes.values_list("code", flat=True)[index]


def _person(actor, seq: int, village: str):
    return person_create(
        actor=actor,
        id_number=make_id(village[:6], "19700101", seq),
        name=f"测试{seq}",
        village_code=village,
        is_three_without=True,
        employment=EmploymentChange(status="unemployed_seeking", occurred_on=dt.date(2026, 1, 1)),
    )


def _post(people, township: str, *, headcount: int = 1):
    enterprise = people["employer" if township.startswith("410329") else "other_employer"].enterprise
    return make_posting(
        enterprise, title="保洁公益岗", headcount=headcount, is_public_welfare=True, area_code=township
    )


def _body(post, person, **kw):
    return {
        "posting_id": post.pk,
        "person_id": person.pk,
        "start_date": "2026-03-01",
        "end_date": "2026-12-31",
        "monthly_allowance": "1200",
        **kw,
    }


@pytest.fixture
def yanshi_specialist(db):
    from wengang.accounts.tests.factories import make_user

    return make_user("t_spec_ys", "specialist", YANSHI_TOWN)


@pytest.fixture
def two_counties(people):
    """One placement in 伊川 (410329001) and one in 偃师 (410307004)."""
    yichuan_post = _post(people, "410329001", headcount=2)
    yanshi_post = _post(people, YANSHI_TOWN, headcount=2)
    yichuan = _person(people["county_admin"], 41, _village("410329001"))
    yanshi = _person(people["other_county_admin"], 42, _village(YANSHI_TOWN))
    args = {"start_date": dt.date(2026, 3, 1), "end_date": dt.date(2026, 12, 31), "monthly_allowance": 1200}
    p1, _w = placement_create(actor=people["county_admin"], posting=yichuan_post, person=yichuan, **args)
    p2, _w = placement_create(actor=people["other_county_admin"], posting=yanshi_post, person=yanshi, **args)
    return {"yichuan": p1, "yanshi": p2, "yichuan_post": yichuan_post, "yichuan_person": yichuan}


def test_a_yanshi_specialist_never_sees_yichuan_rows(client, people, yanshi_specialist, two_counties):
    client.force_login(yanshi_specialist, backend=BACKEND)
    listed = client.get(API).json()
    assert [p["id"] for p in listed["items"]] == [two_counties["yanshi"].pk]
    theirs = two_counties["yichuan"].pk
    assert client.get(f"{API}/{theirs}").status_code == 404
    body = {"exit_date": "2026-04-01", "reason": "term_ended"}
    assert client.post(f"{API}/{theirs}/exit", body, content_type="application/json").status_code == 404
    month = {"month": "2026-03-01", "days_worked": 20, "allowance_paid": "1200"}
    assert client.post(f"{API}/{theirs}/months", month, content_type="application/json").status_code == 404
    assert WelfarePlacement.objects.get(pk=theirs).status == "active"  # nothing changed
    assert not WelfareWorkMonth.objects.exists()
    other = _person(people["county_admin"], 43, _village("410329001", 1))
    response = client.post(API, _body(two_counties["yichuan_post"], other), content_type="application/json")
    assert response.status_code == 404
    assert WelfarePlacement.objects.filter(person=other).count() == 0


def test_and_the_yichuan_specialist_never_sees_yanshi_rows(client, people, two_counties):
    client.force_login(people["specialist"], backend=BACKEND)
    assert [p["id"] for p in client.get(API).json()["items"]] == [two_counties["yichuan"].pk]
    assert client.get(f"{API}/{two_counties['yanshi'].pk}").status_code == 404


def test_roles_without_the_right_are_refused(client, people, two_counties):
    client.force_login(people["employer"], backend=BACKEND)
    assert client.get(API).status_code == 403
    assert client.post(API, {}, content_type="application/json").status_code == 403


def test_place_record_a_month_renew_and_exit(client, people):
    post = _post(people, "410329001", headcount=1)
    person = _person(people["county_admin"], 44, _village("410329001"))
    client.force_login(people["specialist"], backend=BACKEND)
    response = client.post(API, _body(post, person), content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["warnings"] == []
    pk = data["placement"]["id"]
    assert (data["placement"]["status"], data["placement"]["is_three_without"]) == ("active", True)
    post.refresh_from_db()
    assert post.filled_count == 1
    month = {"month": "2026-03-01", "days_worked": 22, "allowance_paid": "1200", "note": "全勤"}
    response = client.post(f"{API}/{pk}/months", month, content_type="application/json")
    assert response.status_code == 201, response.content
    assert client.get(f"{API}/{pk}").json()["months"] == [
        {"month": "2026-03-01", "days_worked": 22, "allowance_paid": "1200.00", "note": "全勤"}
    ]
    response = client.post(
        f"{API}/{pk}/renew",
        {"new_end_date": "2027-12-31", "monthly_allowance": "1300"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    renewed = response.json()
    assert (renewed["renewed_from_id"], renewed["start_date"]) == (pk, "2027-01-01")
    response = client.post(
        f"{API}/{renewed['id']}/exit",
        {"exit_date": "2027-02-01", "reason": "term_ended"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ended"
    post.refresh_from_db()
    assert post.filled_count == 0
    assert AuditEvent.objects.filter(object_type="jobs.welfareplacement", object_id=str(pk)).exists()


def test_a_placement_cannot_exceed_the_posts_places(client, people):
    post = _post(people, "410329001", headcount=1)
    first = _person(people["county_admin"], 45, _village("410329001"))
    second = _person(people["county_admin"], 46, _village("410329001", 1))
    client.force_login(people["county_admin"], backend=BACKEND)
    assert client.post(API, _body(post, first), content_type="application/json").status_code == 201
    response = client.post(API, _body(post, second), content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["detail"]) == ["posting"]
    assert WelfarePlacement.objects.filter(posting=post).count() == 1


def test_a_bad_body_is_named(client, people, two_counties):
    client.force_login(people["county_admin"], backend=BACKEND)
    pk = two_counties["yichuan"].pk
    response = client.post(f"{API}/{pk}/months", {"month": "March"}, content_type="application/json")
    assert response.status_code == 400
    assert "days_worked" in response.json()["detail"]
    assert client.get(API, {"status": "ended"}).json()["count"] == 0
    assert Decimal(client.get(f"{API}/{pk}").json()["monthly_allowance"]) == Decimal("1200")
