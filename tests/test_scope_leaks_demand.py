"""Per role: enterprises, postings, referrals, returning-worker rows and alerts of another county never leak
through pages, exports or the API. Each surface is checked for a marker that only the other county's rows
carry; the same surfaces are checked to show the user's own rows where the role may see them."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from conftest import make_id
from wengang.accounts.services import token_create
from wengang.employers.models import LayoffReport
from wengang.jobs.models import Referral, ReturnWorker, ReturnWorkerList
from wengang.jobs.tests.factories import make_posting

pytestmark = pytest.mark.django_db
BACKEND = "wengang.accounts.backends.StaffBackend"
OURS, THEIRS = "伊川标记企业甲", "偃师标记企业乙"
ROLES = (
    "county_admin",
    "specialist",
    "employer",
    "health_officer",
    "liaison",
    "auditor",
    "other_county_admin",
    "other_specialist",
    "other_employer",
)

PAGES = (
    "/enterprises/",
    "/enterprises/export/",
    "/jobs/postings/",
    "/jobs/postings/export/",
    "/jobs/referrals/",
    "/jobs/referrals/export/",
    "/jobs/returnlists/",
    "/jobs/dispatch/",
    "/jobs/dispatch/export/",
    "/enterprises/alerts/",
    "/enterprises/reports/",
)
API = ("/api/v1/enterprises", "/api/v1/postings", "/api/v1/referrals", "/api/v1/postings/dispatch")


@pytest.fixture
def two_counties(people, person_in_township):
    from wengang.regions.models import Region
    from wengang.registry.services import person_create

    ours = people["employer"].enterprise
    theirs = people["other_employer"].enterprise
    ours.name, ours.area_code, ours.key_category = OURS, "410329001", "medical_supplies"
    theirs.name, theirs.area_code, theirs.key_category = THEIRS, "410307001", "medical_supplies"
    ours.save()
    theirs.save()
    p_ours = make_posting(ours, title=OURS + "岗位")
    p_theirs = make_posting(theirs, title=THEIRS + "岗位")
    village = Region.objects.filter(code__startswith="410307", level="village").order_by("code").first().code
    stranger = person_create(
        actor=people["other_county_admin"],
        id_number=make_id("410307", "19850505", 21),
        name="偃师标记人",
        village_code=village,
        phone="13912340099",
    )
    Referral.objects.create(person=person_in_township, posting=p_ours, source="staff")
    Referral.objects.create(person=stranger, posting=p_theirs, source="staff")
    for enterprise, person in ((ours, person_in_township), (theirs, stranger)):
        lst = ReturnWorkerList.objects.create(
            enterprise=enterprise, filename=f"{enterprise.name}.xlsx", rows=1
        )
        ReturnWorker.objects.create(
            worker_list=lst, row_number=2, name=person.name, person=person, area_code=person.village_code
        )
        LayoffReport.objects.create(
            enterprise=enterprise,
            reported_on="2026-11-01",
            people=30,
            staff_before=100,
            is_mass=True,
            alert_state="open",
            reason=enterprise.name,
        )
    return {"ours": ours, "theirs": theirs, "stranger": stranger}


def _markers(role: str) -> tuple[str, tuple[str, ...]]:
    """(own enterprise marker, markers that must never appear) for a role of 伊川 or of 偃师 (other_*)."""
    if role.startswith("other_"):
        return THEIRS, (OURS, "张测试")
    return OURS, (THEIRS, "偃师标记人")


def _text(response) -> str:
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        sheet = load_workbook(io.BytesIO(response.content)).active
        return " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    return response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_pages_and_exports_never_show_the_other_county(client, people, two_counties, role):
    client.force_login(people[role], backend=BACKEND)
    seen_ours = False
    for url in PAGES:
        response = client.get(url, follow=True)
        if response.status_code != 200:
            assert response.status_code in (403, 404), (url, role, response.status_code)
            continue
        text = _text(response)
        own, foreign = _markers(role)
        for marker in foreign:
            assert marker not in text, (url, role, marker)
        seen_ours = seen_ours or own in text
    # Roles that work with enterprises see their own county's rows on these surfaces (so the check is real).
    works_with_enterprises = {
        "county_admin",
        "specialist",
        "employer",
        "other_county_admin",
        "other_specialist",
    }
    assert seen_ours == (role in works_with_enterprises | {"other_employer"}), role


@pytest.mark.parametrize("role", ROLES)
def test_api_never_returns_the_other_county(client, people, two_counties, role):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=people[role])}"}
    for url in API:
        response = client.get(url, **auth)
        if response.status_code != 200:
            assert response.status_code in (403, 404), (url, role, response.status_code)
            continue
        text = response.content.decode()
        for marker in _markers(role)[1]:
            assert marker not in text, (url, role, marker)


@pytest.mark.parametrize(
    ("role", "urls"),
    [
        ("city_admin", ("/enterprises/", "/jobs/postings/", "/jobs/dispatch/", "/enterprises/alerts/")),
        ("viewer", ("/jobs/dispatch/", "/enterprises/alerts/")),
    ],
)
def test_city_wide_roles_see_both_counties(client, people, two_counties, role, urls):
    client.force_login(people[role], backend=BACKEND)
    for url in urls:
        text = client.get(url).content.decode()
        assert OURS in text, url
        assert THEIRS in text, url
