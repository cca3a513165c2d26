"""Reads on the registry, always through the scope selector."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from wengang.accounts.scoping import code_in_scope, scope_queryset
from wengang.core import crypto
from wengang.core.text import normalize_code

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
        qs = qs.filter(village_code__startswith=f.area)
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
