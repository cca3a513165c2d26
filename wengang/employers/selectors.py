"""Reads on enterprises, always scoped: staff see enterprises in their area, an employer only its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from wengang.accounts.roles import Role
from wengang.accounts.scoping import code_in_scope, scope_queryset

from .models import Enterprise, LayoffReport, StaffReport


@dataclass(frozen=True)
class EnterpriseFilters:
    area: str = ""
    industry: str = ""  # a GB/T 4754 section letter or two-digit division
    key: str = ""  # "1" key enterprises only, "0" others, or a key category
    q: str = ""  # name or credit code


def is_employer_only(user: Any) -> bool:
    roles = set(getattr(user, "roles", []) or [])
    return bool(roles) and roles <= {Role.EMPLOYER}


def enterprise_queryset(user: Any) -> QuerySet[Enterprise]:
    """Every enterprise the user may see. Employers see their own; staff those in their area."""
    if not user.can("enterprises.view") and not user.can("dispatch.view"):
        return Enterprise.objects.none()
    qs = Enterprise.objects.all()
    if is_employer_only(user):
        return qs.filter(pk=user.enterprise_id) if user.enterprise_id else qs.none()
    return scope_queryset(qs, user, field="area_code")


def enterprise_list(*, user: Any, filters: EnterpriseFilters | None = None) -> QuerySet[Enterprise]:
    qs = enterprise_queryset(user)
    f = filters or EnterpriseFilters()
    if f.area:
        if not code_in_scope(user, f.area):
            return Enterprise.objects.none()
        qs = qs.filter(area_code__startswith=f.area)
    if f.industry:
        if f.industry.isalpha():
            qs = qs.filter(industry_section=f.industry.upper())
        else:
            qs = qs.filter(industry_division=f.industry)
    if f.key == "1":
        qs = qs.exclude(key_category="")
    elif f.key == "0":
        qs = qs.filter(key_category="")
    elif f.key:
        qs = qs.filter(key_category=f.key)
    if f.q:
        q = f.q.strip()
        qs = qs.filter(Q(name__icontains=q) | Q(uscc=q.upper()))
    return qs.order_by("name", "id")


def enterprise_get(*, user: Any, pk: Any) -> Enterprise:
    return enterprise_queryset(user).get(pk=pk)


def staff_report_list(*, user: Any) -> QuerySet[StaffReport]:
    ids = enterprise_queryset(user).values("pk")
    return StaffReport.objects.filter(enterprise__in=ids).select_related("enterprise")


def layoff_list(*, user: Any) -> QuerySet[LayoffReport]:
    ids = enterprise_queryset(user).values("pk")
    return LayoffReport.objects.filter(enterprise__in=ids).select_related("enterprise")


def layoff_alerts(*, user: Any) -> QuerySet[LayoffReport]:
    """Mass layoffs in the user's area, open first. Leadership sees them too (no personal data)."""
    if not user.can("alerts.view"):
        return LayoffReport.objects.none()
    qs = scope_queryset(LayoffReport.objects.filter(is_mass=True), user, field="enterprise__area_code")
    return qs.select_related("enterprise").order_by("-alert_state", "-reported_on", "-id")
