"""Reads on regions, limited to the user's scope (and the areas above it, so the tree can be walked)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from wengang.accounts.scoping import area_q

from .models import Region


def region_list(
    *, user: Any, level: str = "", parent: str = "", q: str = "", include_old: bool = False
) -> QuerySet[Region]:
    if not user.can("regions.view"):
        return Region.objects.none()
    qs = Region.objects.filter(area_q(user, "code")).select_related("parent")
    if not include_old:
        qs = qs.filter(valid_to__isnull=True)
    if level:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent__code=parent)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    return qs.order_by("code")


def region_get(*, user: Any, code: str) -> Region:
    return region_list(user=user, include_old=True).get(code=code)


def region_names(codes: Iterable[str]) -> dict[str, str]:
    """Code → name for the given area codes (one query). Names of areas are reference data, not scoped."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    return dict(Region.objects.filter(code__in=wanted).values_list("code", "name"))
