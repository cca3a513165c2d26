"""Reads on the registry, always through the scope selector."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import Case, Q, QuerySet, When
from django.utils import timezone

from wengang.accounts.scoping import code_in_scope, scope_queryset
from wengang.core import crypto
from wengang.core.text import normalize_code

from .consent import pushable_queryset
from .identity import IdentityError, normalize_phone
from .models import Household, Person


@dataclass(frozen=True)
class PersonFilters:
    area: str = ""  # a county, township or village code inside the user's scope
    status: str = ""
    poverty_category: str = ""
    three_without: str = ""  # "1" or "0"
    intent: str = ""
    age_min: int | None = None
    age_max: int | None = None
    skill: str = ""
    certificate: str = ""
    updated_since: dt.date | None = None
    consent: str = ""  # a push channel: only people who consent to pushes on it
    returned_from: dt.date | None = None  # return_date on or after
    returned_to: dt.date | None = None  # return_date on or before
    q: str = ""


def _years_ago(years: int, today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def person_list(*, user: Any, filters: PersonFilters | None = None) -> QuerySet[Person]:
    """People the user may see, filtered. Exact ID or phone search goes through the keyed hash."""
    if not user.can("registry.view"):
        return Person.objects.none()
    qs = scope_queryset(Person.objects.all(), user, field="village_code").select_related("household")
    f = filters or PersonFilters()
    if f.area:
        if not code_in_scope(user, f.area):
            return Person.objects.none()
        # A code range rather than LIKE: any B-tree index on village_code serves it, whatever the collation.
        qs = qs.filter(village_code__gte=f.area, village_code__lt=f.area[:-1] + chr(ord(f.area[-1]) + 1))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.poverty_category:
        qs = qs.filter(household__poverty_category=f.poverty_category)
    if f.three_without in ("0", "1"):
        qs = qs.filter(is_three_without=f.three_without == "1")
    if f.intent:
        qs = qs.filter(intent=f.intent)
    today = timezone.localdate()
    if f.age_min is not None:
        qs = qs.filter(birth_date__lte=_years_ago(f.age_min, today))
    if f.age_max is not None:
        qs = qs.filter(birth_date__gt=_years_ago(f.age_max + 1, today))
    if f.skill:
        qs = qs.filter(skills__icontains=f.skill)
    if f.certificate:
        qs = qs.filter(certificates__icontains=f.certificate)
    if f.updated_since:
        qs = qs.filter(updated_at__date__gte=f.updated_since)
    if f.consent:
        qs = pushable_queryset(qs, f.consent)
    if f.returned_from:
        qs = qs.filter(return_date__gte=f.returned_from)
    if f.returned_to:
        qs = qs.filter(return_date__lte=f.returned_to)
    if f.q:
        qs = _search(qs, f.q)
    return qs.order_by("village_code", "id")


def _search(qs: QuerySet[Person], q: str) -> QuerySet[Person]:
    code = normalize_code(q)
    if len(code) == 18 and code[:17].isdigit():
        return qs.filter(id_hash=crypto.blind_index(code))
    try:
        phone = normalize_phone(code)
    except IdentityError:
        phone = ""
    if phone:
        return qs.filter(phone_hash=crypto.blind_index(phone))
    return qs.filter(name__icontains=q.strip())


def person_get(*, user: Any, pk: Any) -> Person:
    return person_list(user=user).get(pk=pk)


def household_list(*, user: Any) -> QuerySet[Household]:
    if not user.can("registry.view"):
        return Household.objects.none()
    return scope_queryset(Household.objects.all(), user, field="village_code").prefetch_related("members")


def household_get(*, user: Any, pk: Any) -> Household:
    return household_list(user=user).select_related("head").get(pk=pk)


def household_members(*, user: Any, household: Household) -> QuerySet[Person]:
    """The household's members the user may see: the head first, then by relation and birth date."""
    return (
        person_list(user=user)
        .filter(household_id=household.pk)
        .order_by(Case(When(pk=household.head_id or 0, then=0), default=1), "relation", "birth_date", "id")
    )


# --- The list's pages: a bounded count and keyset pages, so a page costs the same at any size and depth.

PAGE_SIZE = 50
COUNT_CAP = 10_000  # above this the list says "10,000+" instead of counting every match
COUNT_BUDGET_MS = 120  # a count that takes longer gives way to the planner's estimate (or none)
NUMBERED_PAGES = 20  # pages reachable by number (OFFSET ≤ 950); deeper pages are walked by keyset
PROGRESS_STEPS = 10_000  # SQLite: virtual-machine steps between two looks at the clock


@dataclass(frozen=True)
class ListCount:
    value: int | None  # exact, the cap, an estimate, or None (not counted)
    exact: bool = True
    capped: bool = False
    estimated: bool = False


@dataclass
class PersonPage:
    rows: list[Person]
    count: ListCount
    number: int | None  # None when reached by a cursor without a known position
    has_next: bool
    has_previous: bool
    next_cursor: str = ""
    previous_cursor: str = ""

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def num_pages(self) -> int | None:
        if not self.count.exact or self.count.value is None:
            return None
        return max(1, -(-self.count.value // PAGE_SIZE))

    @property
    def page_links(self) -> list[int]:
        """Page numbers offered as links: all of them when the count is exact and small enough."""
        pages = self.num_pages
        return list(range(1, pages + 1)) if pages is not None and 1 < pages <= NUMBERED_PAGES else []


def cursor_of(person: Person) -> str:
    return f"{person.village_code}.{person.pk}"


def _parse_cursor(text: str) -> tuple[str, int] | None:
    code, _sep, pk = (text or "").partition(".")
    if not (code.isdigit() and len(code) <= 12 and pk.isdigit()):
        return None
    return code, int(pk)


@contextmanager
def _time_limit(ms: int) -> Iterator[None]:
    """Abort the statements run inside after ``ms`` milliseconds (PostgreSQL statement_timeout; SQLite's
    progress handler). Raises django.db.OperationalError when it does."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SHOW statement_timeout")
            before = cur.fetchone()[0]
            cur.execute("SELECT set_config('statement_timeout', %s, true)", [f"{max(1, int(ms))}ms"])
            yield
            cur.execute("SELECT set_config('statement_timeout', %s, true)", [before])
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        deadline = time.perf_counter() + ms / 1000
        raw.set_progress_handler(lambda: int(time.perf_counter() > deadline), PROGRESS_STEPS)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)
        return
    yield


def _estimate(qs: QuerySet[Person]) -> int | None:
    if connection.vendor != "postgresql":
        return None
    try:
        plan = json.loads(qs.order_by().explain(format="json"))
        return int(plan[0]["Plan"]["Plan Rows"])
    except (ValueError, KeyError, IndexError, TypeError, DatabaseError):
        return None


def bounded_count(qs: QuerySet[Person], *, cap: int | None = None, budget_ms: int | None = None) -> ListCount:
    """How many rows ``qs`` has: exact up to ``cap``, "more than cap" above it, an estimate when even the
    capped count would take longer than ``budget_ms``."""
    cap = COUNT_CAP if cap is None else cap
    budget_ms = COUNT_BUDGET_MS if budget_ms is None else budget_ms
    limited = qs.order_by().values("pk")[: cap + 1]
    try:
        with _time_limit(budget_ms):
            n = limited.count()
    except OperationalError:
        estimate = _estimate(qs)
        return ListCount(
            estimate, exact=False, capped=estimate is not None and estimate > cap, estimated=True
        )
    if n > cap:
        return ListCount(cap, exact=False, capped=True)
    return ListCount(n)


def person_page(
    qs: QuerySet[Person], *, page: int = 1, after: str = "", before: str = "", number: int | None = None
) -> PersonPage:
    """One page of a ``person_list`` queryset (ordered by village code and id).

    ``page`` 1…NUMBERED_PAGES uses OFFSET; ``after``/``before`` (a row's cursor) fetch the page following or
    preceding that row through the (village_code, id) order, which an index serves at any depth. The count
    is skipped when the page itself shows there is nothing more.
    """
    size = PAGE_SIZE
    offset_page = False
    key_after, key_before = _parse_cursor(after), _parse_cursor(before)
    if key_after is not None:
        code, pk = key_after
        rows = list(
            qs.filter(Q(village_code__gt=code) | Q(village_code=code, pk__gt=pk), village_code__gte=code)[
                : size + 1
            ]
        )
        has_next, has_previous = len(rows) > size, True
        rows = rows[:size]
    elif key_before is not None:
        code, pk = key_before
        rows = list(
            qs.filter(
                Q(village_code__lt=code) | Q(village_code=code, pk__lt=pk), village_code__lte=code
            ).order_by("-village_code", "-id")[: size + 1]
        )
        has_next, has_previous = True, len(rows) > size
        rows = rows[:size][::-1]
        if not has_previous:
            number = 1
    else:
        page = min(max(1, page), NUMBERED_PAGES)
        offset = (page - 1) * size
        rows = list(qs[offset : offset + size + 1])
        if not rows and page > 1:  # past the end: the first page instead
            return person_page(qs)
        has_next, has_previous, number, offset_page = len(rows) > size, page > 1, page, True
        rows = rows[:size]
    if offset_page and not has_next:  # the last page by number: its position gives the exact count
        count = ListCount((page - 1) * size + len(rows))
    else:
        count = bounded_count(qs)
    return PersonPage(
        rows=rows,
        count=count,
        number=number,
        has_next=has_next,
        has_previous=has_previous,
        next_cursor=cursor_of(rows[-1]) if has_next and rows else "",
        previous_cursor=cursor_of(rows[0]) if has_previous and rows else "",
    )
