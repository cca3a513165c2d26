"""Counts for the home page and the county map, limited to the user's scope. Aggregates only."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from wengang.accounts.models import User
from wengang.accounts.scoping import area_q
from wengang.regions.choices import Level
from wengang.regions.models import Region
from wengang.registry.choices import MIGRANT_STATUSES, EmploymentStatus, Intent
from wengang.registry.models import Person


def _regions(user: Any) -> QuerySet[Region]:
    return Region.objects.filter(area_q(user, "code"), valid_to__isnull=True)


def home_counts(*, user: Any) -> dict[str, Any]:
    regions = _regions(user)
    by_level = dict(regions.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    accounts = User.objects.filter(area_q(user, "scope_code"), is_active=True).count()
    registry = registry_counts(user=user)
    demand = demand_counts(user=user)
    seekers = registry["unemployed_seeking"]
    return {
        # 求人倍率: open places per job seeker.
        "seekers_ratio": round(demand["open_places"] / seekers, 2) if seekers else None,
        "counties": by_level.get(Level.COUNTY, 0),
        "townships": by_level.get(Level.TOWNSHIP, 0),
        "villages": by_level.get(Level.VILLAGE, 0),
        "accounts": accounts,
        **registry,
        **demand,
    }


def demand_counts(*, user: Any) -> dict[str, int]:
    """Enterprises and published places in the area (an employer: its own enterprise), and open alerts."""
    from django.db.models import F, Sum

    from wengang.employers.models import Enterprise, LayoffReport
    from wengang.employers.selectors import is_employer_only
    from wengang.jobs.choices import PostingStatus
    from wengang.jobs.models import Posting

    if is_employer_only(user):
        enterprises = Enterprise.objects.filter(pk=user.enterprise_id)
    else:
        enterprises = Enterprise.objects.filter(area_q(user, "area_code"))
    totals = enterprises.aggregate(
        enterprises=Count("id"), key_enterprises=Count("id", filter=~Q(key_category=""))
    )
    published = Posting.objects.filter(
        status=PostingStatus.PUBLISHED, enterprise__in=enterprises.values("pk")
    )
    places = published.aggregate(n=Count("id"), open=Sum(F("headcount") - F("filled_count")))
    alerts = LayoffReport.objects.filter(
        area_q(user, "enterprise__area_code"), is_mass=True, alert_state="open"
    ).count()
    return {
        "enterprises": totals["enterprises"],
        "key_enterprises": totals["key_enterprises"],
        "published_postings": places["n"],
        "open_places": places["open"] or 0,
        "open_alerts": alerts if user.can("alerts.view") else 0,
    }


def _people(user: Any) -> QuerySet[Person]:
    """Aggregates only: every role with a dashboard sees the counts of its area, never the rows."""
    return Person.objects.filter(area_q(user, "village_code"))


def registry_counts(*, user: Any) -> dict[str, int]:
    people = _people(user)
    return people.aggregate(
        labour_force=Count("id"),
        migrants=Count("id", filter=Q(status__in=MIGRANT_STATUSES)),
        returning=Count("id", filter=Q(intent=Intent.RETURN_HOME)),
        unemployed_seeking=Count("id", filter=Q(status=EmploymentStatus.UNEMPLOYED_SEEKING)),
    )


def county_metrics(*, user: Any) -> dict[str, dict[str, int]]:
    """For each metric, the value per county code (6 digits), only for counties inside the scope."""
    regions = _regions(user).annotate(county=Substr("code", 1, 6))
    out: dict[str, dict[str, int]] = {}
    for metric, level in (("villages", Level.VILLAGE), ("townships", Level.TOWNSHIP)):
        rows = regions.filter(level=level).values("county").annotate(n=Count("id")).values_list("county", "n")
        out[metric] = dict(rows)
    accounts = (
        User.objects.filter(area_q(user, "scope_code"), is_active=True)
        .annotate(county=Substr("scope_code", 1, 6))
        .values("county")
        .annotate(n=Count("id"))
        .values_list("county", "n")
    )
    out["accounts"] = {c: n for c, n in accounts if len(c) == 6 and not c.endswith("00")}
    people = (
        _people(user)
        .annotate(county=Substr("village_code", 1, 6))
        .values("county")
        .annotate(
            labour_force=Count("id"),
            migrants=Count("id", filter=Q(status__in=MIGRANT_STATUSES)),
            returning=Count("id", filter=Q(intent=Intent.RETURN_HOME)),
            unemployed_seeking=Count("id", filter=Q(status=EmploymentStatus.UNEMPLOYED_SEEKING)),
        )
    )
    for key in ("labour_force", "migrants", "returning", "unemployed_seeking"):
        out[key] = {}
    for row in people:
        for key in ("labour_force", "migrants", "returning", "unemployed_seeking"):
            out[key][row["county"]] = row[key]
    return out


def county_names(*, city_prefix: str) -> dict[str, str]:
    return dict(
        Region.objects.filter(
            level=Level.COUNTY, code__startswith=city_prefix, valid_to__isnull=True
        ).values_list("code", "name")
    )
