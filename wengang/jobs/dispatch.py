"""The key-enterprise dispatch board (重点企业用工调度保障): who is short of how many workers, soonest first.

Shortfall = headcount − filled − people in the pipeline (open referrals), over the enterprise's open
postings. Aggregates only: the board carries no personal data, so leadership sees it as staff do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Min, Sum
from django.utils import timezone

from wengang.employers.models import Enterprise, KeyCategory
from wengang.employers.selectors import enterprise_queryset

from .choices import OPEN_REFERRAL_STATES, OPEN_STATUSES
from .models import Posting, Referral

CATEGORY_ORDER = {value: i for i, value in enumerate(KeyCategory.values)}


@dataclass(frozen=True)
class DispatchFilters:
    area: str = ""
    industry: str = ""  # section letter or division
    category: str = ""


@dataclass
class DispatchRow:
    enterprise: Enterprise
    postings: int
    headcount: int
    filled: int
    pipeline: int
    earliest_start: dt.date | None
    days_to_start: int | None
    detail: list[dict[str, Any]] = field(default_factory=list)

    @property
    def days_since_start(self) -> int:
        return -(self.days_to_start or 0)

    @property
    def shortfall(self) -> int:
        return max(self.headcount - self.filled - self.pipeline, 0)


def dispatch_board(
    *, user: Any, filters: DispatchFilters | None = None, with_detail: bool = True
) -> list[DispatchRow]:
    if not user.can("dispatch.view"):
        return []
    f = filters or DispatchFilters()
    enterprises = enterprise_queryset(user).exclude(key_category="")
    if f.area:
        enterprises = enterprises.filter(area_code__startswith=f.area)
    if f.industry:
        if f.industry.isalpha():
            enterprises = enterprises.filter(industry_section=f.industry.upper())
        else:
            enterprises = enterprises.filter(industry_division=f.industry)
    if f.category:
        enterprises = enterprises.filter(key_category=f.category)
    postings = Posting.objects.filter(status__in=OPEN_STATUSES, enterprise__in=enterprises.values("pk"))
    totals = {
        r["enterprise"]: r
        for r in postings.values("enterprise").annotate(
            n=Count("id"), head=Sum("headcount"), filled=Sum("filled_count"), start=Min("start_date")
        )
    }
    pipeline_by_posting = dict(
        Referral.objects.filter(posting__in=postings.values("pk"), state__in=OPEN_REFERRAL_STATES)
        .values("posting")
        .annotate(n=Count("id"))
        .values_list("posting", "n")
    )
    by_enterprise: dict[int, list[Posting]] = {}
    for posting in postings.select_related("occupation").order_by("start_date", "id"):
        by_enterprise.setdefault(posting.enterprise_id, []).append(posting)
    today = timezone.localdate()
    rows = []
    for enterprise in enterprises.filter(pk__in=list(totals)):
        t = totals[enterprise.pk]
        items = by_enterprise.get(enterprise.pk, [])
        pipeline = sum(pipeline_by_posting.get(p.pk, 0) for p in items)
        start = t["start"]
        row = DispatchRow(
            enterprise=enterprise,
            postings=t["n"],
            headcount=t["head"] or 0,
            filled=t["filled"] or 0,
            pipeline=pipeline,
            earliest_start=start,
            days_to_start=(start - today).days if start else None,
        )
        if with_detail:
            row.detail = [
                {
                    "posting": p,
                    "pipeline": pipeline_by_posting.get(p.pk, 0),
                    "shortfall": max(p.headcount - p.filled_count - pipeline_by_posting.get(p.pk, 0), 0),
                }
                for p in items
            ]
        rows.append(row)
    rows.sort(
        key=lambda r: (
            -r.shortfall,
            r.days_to_start if r.days_to_start is not None else 10**6,
            CATEGORY_ORDER.get(r.enterprise.key_category, 99),
            r.enterprise.name,
        )
    )
    return rows


def dispatch_totals(rows: list[DispatchRow]) -> dict[str, int]:
    return {
        "enterprises": len(rows),
        "headcount": sum(r.headcount for r in rows),
        "filled": sum(r.filled for r in rows),
        "pipeline": sum(r.pipeline for r in rows),
        "shortfall": sum(r.shortfall for r in rows),
        "short_enterprises": sum(1 for r in rows if r.shortfall > 0),
    }


def by_category(rows: list[DispatchRow]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        item = out.setdefault(
            r.enterprise.key_category,
            {"category": KeyCategory(r.enterprise.key_category).label, "shortfall": 0, "enterprises": 0},
        )
        item["shortfall"] += r.shortfall
        item["enterprises"] += 1
    return sorted(out.values(), key=lambda i: -i["shortfall"])
