"""Reads on training, always scoped.

A programme belongs to an area (a county or a township). Staff see programmes inside their area and those
held for an area that contains theirs (a township specialist sees the county's courses). Enrolments carry a
person's data, so they are shown only for people the registry selector lets the user see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from wengang.accounts.scoping import NOTHING, area_q, code_in_scope, user_area_prefixes
from wengang.registry.models import Person
from wengang.registry.selectors import PersonFilters, person_list

from .choices import HOLDS_PLACE
from .models import Enrolment, Programme


@dataclass(frozen=True)
class ProgrammeFilters:
    status: str = ""
    area: str = ""  # a county or township code
    occupation: str = ""  # an occupation code
    on_the_job: str = ""  # "1" or "0"
    q: str = ""  # name or provider


def _ancestor_codes(prefix: str) -> set[str]:
    """Codes of the areas that contain the area ``prefix`` (a township's county, city and province)."""
    codes = set()
    if len(prefix) > 9:
        codes.add(prefix[:9])
    if len(prefix) > 6:
        codes.add(prefix[:6])
    if len(prefix) > 4:
        codes.add(prefix[:4] + "00")
    if len(prefix) > 2:
        codes.add(prefix[:2] + "0000")
    return codes


def programme_queryset(user: Any) -> QuerySet[Programme]:
    if not user.can("training.view"):
        return Programme.objects.none()
    prefixes = user_area_prefixes(user)
    if not prefixes:
        return Programme.objects.none()
    ancestors = set().union(*(_ancestor_codes(p) for p in prefixes))
    above = Q(area_code__in=sorted(ancestors)) if ancestors else NOTHING
    return Programme.objects.filter(area_q(user, "area_code") | above)


def programme_list(*, user: Any, filters: ProgrammeFilters | None = None) -> QuerySet[Programme]:
    qs = programme_queryset(user).select_related("occupation", "enterprise")
    f = filters or ProgrammeFilters()
    if f.status:
        qs = qs.filter(status=f.status)
    if f.area:
        qs = qs.filter(area_code__startswith=f.area)
    if f.occupation:
        qs = qs.filter(occupation_id=f.occupation)
    if f.on_the_job in ("0", "1"):
        qs = qs.filter(is_on_the_job=f.on_the_job == "1")
    if f.q:
        q = f.q.strip()
        qs = qs.filter(Q(name__icontains=q) | Q(provider__icontains=q))
    taken = Count("enrolments", filter=Q(enrolments__status__in=HOLDS_PLACE))
    return qs.annotate(taken=taken).order_by("-start_date", "-id")


def programme_get(*, user: Any, pk: Any) -> Programme:
    return programme_queryset(user).select_related("occupation", "enterprise").get(pk=pk)


def programme_editable(user: Any, programme: Programme) -> bool:
    """Whether ``user`` may change the programme itself: it must lie inside their own area."""
    return bool(user.can("training.edit") and code_in_scope(user, programme.area_code))


def places_taken(programme: Programme) -> int:
    return programme.enrolments.filter(status__in=HOLDS_PLACE).count()


def enrolment_queryset(user: Any) -> QuerySet[Enrolment]:
    """Enrolments of visible programmes, for people the user sees in the registry."""
    if not user.can("training.view"):
        return Enrolment.objects.none()
    people = person_list(user=user).values("pk")
    return Enrolment.objects.filter(
        programme__in=programme_queryset(user).values("pk"), person__in=people
    ).select_related("programme", "person")


def enrolment_get(*, user: Any, pk: Any) -> Enrolment:
    return enrolment_queryset(user).get(pk=pk)


def person_enrolments(*, user: Any, person: Person) -> QuerySet[Enrolment]:
    return enrolment_queryset(user).filter(person=person).order_by("-enrolled_on", "-id")


def person_candidates(*, user: Any, q: str) -> QuerySet[Person]:
    """People in scope matching a name, ID number or phone, for the enrol form."""
    if not q.strip():
        return Person.objects.none()
    return person_list(user=user, filters=PersonFilters(q=q))
