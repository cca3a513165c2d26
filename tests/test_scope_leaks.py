"""Per role: rows outside the user's area never appear on pages, in exports, in the API or in counts."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from wengang.accounts.scoping import area_prefixes, significant_prefix
from wengang.background.models import BackgroundTask
from wengang.regions.models import Region

BACKEND = "wengang.accounts.backends.StaffBackend"
YICHUAN = {"t_county", "t_spec", "t_emp", "t_health", "t_worker"}
ELSEWHERE = {"t_county2", "t_spec2", "t_emp2", "t_oldcode", "t_auditor", "t_city", "t_liaison", "t_viewer"}


def _login(client, user):
    client.force_login(user, backend=BACKEND)


def _usernames_in_page(client, **params):
    response = client.get(reverse("accounts:user_list"), params)
    assert response.status_code == 200
    return {row["user"].username for row in response.context["rows"]}


def _usernames_in_export(client):
    response = client.get(reverse("accounts:user_export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    return {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}


def _usernames_in_api(client):
    response = client.get("/api/v1/accounts/users")
    return {item["username"] for item in response.json()["items"]}


def test_significant_prefix():
    assert significant_prefix("410000") == "41"
    assert significant_prefix("410300") == "4103"
    assert significant_prefix("410329") == "410329"
    assert significant_prefix("410329001") == "410329001"


@pytest.mark.django_db
def test_old_county_codes_follow_the_new_one():
    assert area_prefixes("410307") == ["410307", "410381"]
    assert sorted(area_prefixes("410308")) == ["410306", "410308", "410322"]
    # A one-to-one rename carries down to townships; a merge does not (suffixes are not comparable).
    assert area_prefixes("410307001") == ["410307001", "410381001"]
    assert area_prefixes("410308001") == ["410308001"]
    assert area_prefixes("410300") == ["4103"]


@pytest.mark.django_db
def test_county_admin_sees_only_their_county(client, people):
    _login(client, people["county_admin"])
    assert _usernames_in_page(client) == YICHUAN
    assert _usernames_in_export(client) == YICHUAN
    assert _usernames_in_api(client) == YICHUAN


@pytest.mark.django_db
def test_other_county_admin_sees_rows_under_the_old_code(client, people):
    _login(client, people["other_county_admin"])
    assert _usernames_in_page(client) == {"t_county2", "t_spec2", "t_emp2", "t_oldcode"}


@pytest.mark.django_db
def test_city_admin_sees_the_whole_city_including_auditors(client, people):
    _login(client, people["city_admin"])
    assert _usernames_in_page(client) == YICHUAN | ELSEWHERE


@pytest.mark.django_db
def test_search_stays_inside_scope(client, people):
    _login(client, people["county_admin"])
    assert _usernames_in_page(client, q="t_spec") == {"t_spec"}


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["accounts:user_disable", "accounts:user_unmask"])
def test_out_of_scope_account_is_not_found(client, people, view):
    _login(client, people["county_admin"])
    response = client.get(reverse(view, kwargs={"pk": people["other_specialist"].pk}))
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "prefix"),
    [
        ("city_admin", "4103"),
        ("county_admin", "410329"),
        ("specialist", "410329001"),
        ("health_officer", "410329"),
        ("viewer", "4103"),
        ("liaison", "4103"),
    ],
)
def test_regions_list_and_api_stay_in_scope(client, people, role, prefix):
    _login(client, people[role])
    expected = Region.objects.filter(code__startswith=prefix, valid_to__isnull=True).count()
    response = client.get(reverse("regions:region_list"))
    assert response.context["page"].paginator.count == expected
    api = client.get("/api/v1/regions/").json()
    assert api["count"] == expected
    assert all(item["code"].startswith(prefix) for item in api["items"])


@pytest.mark.django_db
def test_specialist_cannot_open_a_region_outside_their_township(client, people):
    _login(client, people["specialist"])
    assert client.get(reverse("regions:region_detail", kwargs={"code": "410307001"})).status_code == 404
    assert client.get("/api/v1/regions/410307001").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "prefix"),
    [("city_admin", "4103"), ("county_admin", "410329"), ("specialist", "410329001"), ("viewer", "4103")],
)
def test_home_counts_are_scoped(client, people, role, prefix):
    _login(client, people[role])
    counts = client.get("/").context["counts"]
    assert counts["villages"] == Region.objects.filter(code__startswith=prefix, level="village").count()
    assert (
        counts["townships"]
        == Region.objects.filter(code__startswith=prefix, level="township", valid_to__isnull=True).count()
    )


@pytest.mark.django_db
def test_home_map_values_only_for_counties_in_scope(client, people):
    _login(client, people["county_admin"])
    metrics = {m["key"]: m["values"] for m in client.get("/").context["map_data"]["metrics"]}
    assert set(metrics["villages"]) == {"410329"}
    assert (
        metrics["villages"]["410329"]
        == Region.objects.filter(code__startswith="410329", level="village").count()
    )


@pytest.mark.django_db
def test_background_task_of_another_user_is_not_found(client, people):
    task = BackgroundTask.objects.create(kind="audit.verify", created_by=people["auditor"])
    _login(client, people["county_admin"])
    assert client.get(reverse("background:task_detail", kwargs={"pk": task.pk})).status_code == 404
    assert client.get(f"/api/v1/tasks/{task.pk}").status_code == 404


@pytest.mark.django_db
def test_audit_log_is_for_auditors_only(client, people):
    for role in ("city_admin", "county_admin", "viewer"):
        _login(client, people[role])
        assert client.get(reverse("audit:event_list")).status_code == 403
        assert client.get("/api/v1/audit/events").status_code == 403
