"""Reads for the public job board and the public feed: published, current postings only, nothing personal.

What is public is decided once, in :func:`public_postings`: status ``published`` and an end date (if any)
not yet past. Every filter is written so PostgreSQL can use the posting indexes: areas as code ranges
(``jobs_posting_status_area``), occupations by code (``jobs_posting_status_occ``); the keyword looks
occupations (name and synonyms) and enterprises (name) up in their small tables first, so only the title is
matched against the posting rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from wengang.accounts.scoping import area_prefixes
from wengang.core.text import normalize_text
from wengang.employers.models import Enterprise
from wengang.jobs.choices import Board, PostingStatus
from wengang.jobs.models import Occupation, Posting
from wengang.jobs.seed import PARTNER_CITIES
from wengang.jobs.selectors import published_postings
from wengang.regions.models import Region
from wengang.regions.selectors import region_names

OUTSIDE_CITY = "outside"
SORT_NEWEST = "new"
SORT_PAY = "pay"
# Board filter → the board values that satisfy it: "lodging" is met by lodging alone or board and lodging.
BOARD_FILTERS: dict[str, tuple[str, ...]] = {
    Board.BOTH: (Board.BOTH,),
    Board.LODGING: (Board.LODGING, Board.BOTH),
    Board.MEALS: (Board.MEALS, Board.BOTH),
}


@dataclass(frozen=True)
class BoardFilters:
    q: str = ""
    occupation: str = ""  # occupation code
    county: str = ""  # a county code of the city, or OUTSIDE_CITY
    min_pay: int | None = None  # monthly yuan the worker wants at least
    board: str = ""  # a key of BOARD_FILTERS
    sort: str = SORT_NEWEST


def public_postings(today: dt.date | None = None) -> QuerySet[Posting]:
    """Postings the public may see: published and not past their end date."""
    today = today or timezone.localdate()
    return published_postings().filter(Q(end_date__isnull=True) | Q(end_date__gte=today))


def _code_range(field: str, prefix: str) -> Q:
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


def city_prefix() -> str:
    """``410300`` → ``4103``: codes of the configured city start with this."""
    code = str(settings.WENGANG_CITY_CODE)
    return code[:4] if code.endswith("00") and not code.endswith("0000") else code[:2]


def _keyword_q(q: str) -> Q:
    occupation_codes = list(
        Occupation.objects.filter(Q(name__icontains=q) | Q(synonyms__icontains=q)).values_list(
            "code", flat=True
        )
    )
    enterprises = Enterprise.objects.filter(name__icontains=q).values("pk")
    # Chinese has no letter case: spare PostgreSQL an UPPER() per title when the keyword has no Latin letter.
    title = "title__icontains" if any(c.isascii() and c.isalpha() for c in q) else "title__contains"
    found = Q(**{title: q}) | Q(enterprise_id__in=enterprises)
    if occupation_codes:
        found |= Q(occupation_id__in=occupation_codes)
    return found


def board_search(filters: BoardFilters, *, today: dt.date | None = None) -> QuerySet[Posting]:
    """The board's search: filters combined with AND, newest first or best paid first."""
    qs = public_postings(today)
    f = filters
    q = normalize_text(f.q)
    if q:
        qs = qs.filter(_keyword_q(q))
    if f.occupation:
        qs = qs.filter(occupation_id=f.occupation)
    if f.county == OUTSIDE_CITY:
        qs = qs.exclude(_code_range("area_code", city_prefix()))
    elif f.county:
        area = Q()
        for prefix in area_prefixes(f.county):
            area |= _code_range("area_code", prefix)
        qs = qs.filter(area)
    if f.min_pay:
        # Overlap: a posting paying 4,000–6,000 suits someone who wants at least 5,000.
        qs = qs.filter(
            Q(monthly_max__gte=f.min_pay) | Q(monthly_max__isnull=True, monthly_min__gte=f.min_pay)
        )
    if f.board in BOARD_FILTERS:
        qs = qs.filter(board__in=BOARD_FILTERS[f.board])
    if f.sort == SORT_PAY:
        # The best a posting pays: its upper figure, or its only one.
        # Unpaid-unknown last; the same expression as the ``jobs_posting_status_pay`` index.
        return qs.order_by(Coalesce("monthly_max", "monthly_min", Value(0)).desc(), "-id")
    return qs.order_by("-published_at", "-id")


def board_page(filters: BoardFilters, number: Any, *, per_page: int = 20) -> Page[Any]:
    """One page of the search, its ``object_list`` the postings with enterprise and occupation.

    The paginator pages through ids only; the page's rows are loaded afterwards. Sorting and skipping narrow
    rows is far cheaper than joining every matching posting to its enterprise before the sort.
    """
    page: Page[Any] = Paginator(board_search(filters).values_list("pk", flat=True), per_page).get_page(number)
    ids: list[int] = list(page.object_list)
    rows = (
        Posting.objects.select_related("enterprise", "occupation")
        .defer("description", "review_note")
        .in_bulk(ids)
    )
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    return page


def board_posting(pk: int, *, today: dt.date | None = None) -> Posting:
    """One public posting; ``Posting.DoesNotExist`` for anything not public (drafts, paused, closed…)."""
    return public_postings(today).get(pk=pk)


def occupation_choices() -> list[tuple[str, str]]:
    """Occupations that have at least one published posting, by name."""
    published = Posting.objects.filter(status=PostingStatus.PUBLISHED, occupation_id=OuterRef("pk"))
    return list(
        Occupation.objects.filter(Exists(published)).order_by("name", "code").values_list("code", "name")
    )


def county_choices() -> list[tuple[str, str]]:
    """The city's current counties (districts, development zones), by code."""
    return list(
        Region.objects.filter(
            level="county", parent__code=settings.WENGANG_CITY_CODE, valid_to__isnull=True
        ).values_list("code", "name")
    )


def city_name() -> str:
    return Region.objects.filter(code=settings.WENGANG_CITY_CODE).values_list("name", flat=True).first() or ""


def area_labels(codes: set[str]) -> dict[str, str]:
    """Area code → “county township village” names for display (partner cities by their short name)."""
    wanted: set[str] = set()
    for code in codes:
        wanted.update(code[:n] for n in (6, 9, 12) if len(code) >= n)
    names = region_names(wanted)
    out = {}
    for code in codes:
        if code[:6] in PARTNER_CITIES and code[:6] not in names:
            names[code[:6]] = PARTNER_CITIES[code[:6]][0]
        parts = [names[code[:n]] for n in (6, 9, 12) if len(code) >= n and code[:n] in names]
        out[code] = " ".join(parts) or code
    return out
