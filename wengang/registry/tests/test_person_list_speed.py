"""The person list at scale: keyset pages, a capped and time-bounded count, filters that hit indexes; and the
return date (返乡时间) on the form, page, list filter, export and API."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from conftest import make_id
from wengang.regions.models import Region
from wengang.registry import selectors
from wengang.registry.models import Person
from wengang.registry.selectors import PersonFilters, bounded_count, person_list, person_page
from wengang.registry.services import EmploymentChange, person_create

BACKEND = "wengang.accounts.backends.StaffBackend"


@pytest.fixture
def crowd(people):
    """Nine people over three villages of 伊川 township 410329001, and one in 偃师 (out of 伊川 scope)."""
    villages = list(
        Region.objects.filter(code__startswith="410329001", level="village")
        .order_by("code")
        .values_list("code", flat=True)[:3]
    )
    made = []
    for i in range(9):
        made.append(
            person_create(
                actor=people["county_admin"],
                id_number=make_id("410329", "19880101", 400 + i),
                name=f"列表{i}",
                village_code=villages[(i * 2) % 3],
                employment=EmploymentChange(
                    status="unemployed_seeking" if i % 2 else "employed_in_county",
                    occurred_on=dt.date(2026, 2, 1),
                ),
            )
        )
    person_create(
        actor=people["other_county_admin"],
        id_number=make_id("410307", "19880101", 499),
        name="偃师列表",
        village_code=Region.objects.filter(code__startswith="410307", level="village")
        .order_by("code")[0]
        .code,
    )
    return made


def _ordered(user) -> list[str]:
    return [p.name for p in person_list(user=user)]


@pytest.mark.django_db
def test_keyset_pages_walk_forward_and_back_through_the_scoped_list(people, crowd, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    user = people["county_admin"]
    expected = _ordered(user)
    assert len(expected) == 9
    assert "偃师列表" not in expected
    qs = person_list(user=user)
    page = person_page(qs)
    seen, cursors = [p.name for p in page], []
    while page.has_next:
        cursors.append(page.next_cursor)
        page = person_page(qs, after=page.next_cursor)
        seen += [p.name for p in page]
    assert seen == expected
    assert (page.has_next, len(page.rows)) == (False, 1)
    back = [p.name for p in page]
    while page.has_previous:
        page = person_page(qs, before=page.previous_cursor)
        back = [p.name for p in page] + back
    assert back == expected
    assert page.number == 1
    # A forged cursor gives rows of the user's own list only; a malformed one is ignored.
    other = Person.objects.get(name="偃师列表")
    forged = person_page(qs, before=f"{other.village_code}.{other.pk}")
    assert {p.name for p in forged} <= set(expected)
    assert [p.name for p in person_page(qs, after="x;DROP")] == expected[:2]


@pytest.mark.django_db
def test_count_is_exact_when_small_capped_when_large(people, crowd, monkeypatch):
    qs = person_list(user=people["county_admin"])
    assert bounded_count(qs) == selectors.ListCount(9)
    capped = bounded_count(qs, cap=5)
    assert (capped.value, capped.exact, capped.capped) == (5, False, True)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    # The last page by number knows the exact count without counting.
    last = person_page(qs, page=3)
    assert (last.count, last.number, len(last.rows)) == (selectors.ListCount(9), 3, 1)
    first = person_page(qs)
    assert (first.count.capped, first.num_pages, first.page_links) == (True, None, [])
    # Past the numbered pages, the page number is clamped (OFFSET stays small).
    monkeypatch.setattr(selectors, "NUMBERED_PAGES", 2)
    assert person_page(qs, page=99).number == 2


@pytest.mark.django_db
def test_a_slow_count_gives_way(people, crowd, monkeypatch):
    qs = person_list(user=people["county_admin"])
    if connection.vendor == "postgresql":
        slow = qs.extra(where=["pg_sleep(0.02) IS NOT NULL"])  # noqa: S610  (constant SQL)
        with connection.cursor() as cur:
            cur.execute("SHOW statement_timeout")
            before = cur.fetchone()[0]
        result = bounded_count(slow, budget_ms=5)
        assert (result.exact, result.estimated) == (False, True)
        assert isinstance(result.value, int)
        with connection.cursor() as cur:
            cur.execute("SHOW statement_timeout")
            assert cur.fetchone()[0] == before
    else:
        monkeypatch.setattr(selectors, "PROGRESS_STEPS", 1)
        result = bounded_count(qs, budget_ms=0)
        assert result == selectors.ListCount(None, exact=False, capped=False, estimated=True)
        monkeypatch.setattr(selectors, "PROGRESS_STEPS", 10_000)
    assert bounded_count(qs) == selectors.ListCount(9)  # the connection works normally afterwards


@pytest.mark.django_db
def test_list_page_pager_and_count_text(client, people, crowd, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    client.force_login(people["county_admin"], backend=BACKEND)
    url = reverse("registry:person_list")
    with translation.override("en"):
        first = client.get(url, {"status": ""})
        body = first.content.decode()
        assert first.context["page"].count == selectors.ListCount(5, exact=False, capped=True)
        assert 'data-testid="person-count"' in body
        page = first.context["page"]
        assert [p.name for p in page] == _ordered(people["county_admin"])[:4]
        second = client.get(url, {"after": page.next_cursor, "n": 2})
        assert [p.name for p in second.context["page"]] == _ordered(people["county_admin"])[4:8]
        assert "page=1" in second.content.decode()  # back to page 1 by number
        filtered = client.get(url, {"status": "unemployed_seeking"})
        assert filtered.context["page"].count == selectors.ListCount(4)
    assert client.get(url, {"page": "abc"}).status_code == 200


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's planner; PostgreSQL is shown by the bench"
)
def test_common_filters_use_the_ordered_indexes(people, crowd):
    user = people["county_admin"]
    for filters, index in (
        (PersonFilters(status="unemployed_seeking"), "registry_person_status_order"),
        (PersonFilters(intent="go_out"), "registry_person_intent_order"),
    ):
        plan = person_list(user=user, filters=filters)[:51].explain()
        assert index in plan, plan


@pytest.mark.django_db
def test_return_date_on_form_page_filter_export_and_api(client, people, person_in_township):
    from wengang.accounts.services import token_create

    client.force_login(people["specialist"], backend=BACKEND)
    person = person_in_township
    edit = client.post(
        reverse("registry:person_edit", kwargs={"pk": person.pk}),
        {
            "name": person.name,
            "village_code": person.village_code,
            "health": "healthy",
            "return_date": "2026-01-20",
        },
    )
    assert edit.status_code == 302
    person.refresh_from_db()
    assert person.return_date == dt.date(2026, 1, 20)
    detail = client.get(reverse("registry:person_detail", kwargs={"pk": person.pk}))
    assert 'data-testid="return-date">2026-01-20<' in detail.content.decode()
    url = reverse("registry:person_list")
    assert (
        len(client.get(url, {"returned_from": "2026-01-01", "returned_to": "2026-01-31"}).context["page"])
        == 1
    )
    assert len(client.get(url, {"returned_from": "2026-01-21"}).context["page"]) == 0
    assert len(client.get(url, {"returned_to": "2026-01-19"}).context["page"]) == 0
    reversed_range = client.get(url, {"returned_from": "2026-02-01", "returned_to": "2026-01-01"})
    assert list(reversed_range.context["form"].errors) == ["returned_to"]
    export = client.get(reverse("registry:person_export"), {"returned_from": "2026-01-01"})
    rows = list(load_workbook(io.BytesIO(export.content), read_only=True).active.iter_rows(values_only=True))
    column = rows[0].index("返乡时间")
    assert rows[1][column] == "2026-01-20"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=people['specialist'])}"}
    api = client.get(f"/api/v1/registry/persons/{person.pk}", **auth).json()
    assert api["return_date"] == "2026-01-20"
    listed = client.get("/api/v1/registry/persons", {"returned_from": "2026-01-20"}, **auth).json()
    assert [p["name"] for p in listed["items"]] == ["张测试"]
    patch = client.patch(
        f"/api/v1/registry/persons/{person.pk}",
        {"return_date": "2026-02-03"},
        content_type="application/json",
        **auth,
    )
    assert patch.json() == {"id": person.pk, "changed": ["return_date"]}
    cleared = client.patch(
        f"/api/v1/registry/persons/{person.pk}",
        {"return_date": None},
        content_type="application/json",
        **auth,
    )
    assert cleared.json()["changed"] == ["return_date"]
    person.refresh_from_db()
    assert person.return_date is None
