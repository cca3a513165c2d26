"""Reads on priority cases, always scoped by the case's area code, with the 1 / 3 / 1 progress in SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldError
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from wengang.accounts.scoping import code_in_scope, scope_queryset
from wengang.jobs.models import Posting
from wengang.jobs.selectors import published_postings
from wengang.regions.selectors import region_names

from .choices import (
    REQUIRED_GUIDANCE,
    REQUIRED_JOB_OFFERS,
    REQUIRED_TRAINING,
    TRAINING_KINDS,
    CaseStatus,
    RecordKind,
)
from .models import PriorityCase, ServiceRecord


@dataclass(frozen=True)
class Progress:
    guidance: int
    job_offers: int  # distinct postings
    training: int

    @property
    def complete(self) -> bool:
        return (
            self.guidance >= REQUIRED_GUIDANCE
            and self.job_offers >= REQUIRED_JOB_OFFERS
            and self.training >= REQUIRED_TRAINING
        )


def case_progress(case: PriorityCase) -> tuple[int, int, int, bool]:
    """(guidance sessions, distinct postings offered, training records, 131 complete) from the records."""
    counts = ServiceRecord.objects.filter(case=case).aggregate(
        guidance=Count("pk", filter=Q(kind=RecordKind.GUIDANCE)),
        offers=Count("posting", filter=Q(kind=RecordKind.JOB_OFFER), distinct=True),
        training=Count("pk", filter=Q(kind__in=TRAINING_KINDS)),
    )
    from wengang.training.services import training_count

    # Training counts both what the case's records say and the person's enrolments in the training app.
    p = Progress(counts["guidance"], counts["offers"], counts["training"] + training_count(case.person))
    return p.guidance, p.job_offers, p.training, p.complete


def _count(kind_q: Q, field: str = "pk", *, distinct: bool = False) -> Coalesce:
    sub = (
        ServiceRecord.objects.filter(kind_q, case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count(field, distinct=distinct))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def _enrolments() -> Coalesce:
    """Enrolments (attending or completed) of the case's person in the training app."""
    from wengang.training.models import Enrolment
    from wengang.training.services import COUNTS_AS_TRAINING

    sub = (
        Enrolment.objects.filter(person=OuterRef("person"), status__in=COUNTS_AS_TRAINING)
        .order_by()
        .values("person")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def complete_q() -> Q:
    return Q(
        n_guidance__gte=REQUIRED_GUIDANCE,
        n_offers__gte=REQUIRED_JOB_OFFERS,
        n_training__gte=REQUIRED_TRAINING,
    )


def with_progress(qs: QuerySet[PriorityCase]) -> QuerySet[PriorityCase]:
    """Annotate ``n_guidance``, ``n_offers`` (distinct postings) and ``n_training`` per case, in SQL.

    Correlated subqueries (each a COUNT with the kind's filter) rather than one GROUP BY over the joined
    records: they page, filter and aggregate further (the dashboard sums them per area) without a HAVING.
    """
    return qs.annotate(
        n_guidance=_count(Q(kind=RecordKind.GUIDANCE)),
        n_offers=_count(Q(kind=RecordKind.JOB_OFFER), "posting", distinct=True),
        n_training=_count(Q(kind__in=TRAINING_KINDS)) + _enrolments(),
    )


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""
    reason: str = ""
    specialist: int | None = None  # a user id; 0 = nobody assigned
    overdue: bool = False
    incomplete: bool = False
    area: str = ""
    q: str = ""


def case_queryset(user: Any) -> QuerySet[PriorityCase]:
    """The cases ``user`` may see with names: their area's, for specialists and admins."""
    if not user.can("assistance.view"):
        return PriorityCase.objects.none()
    return scope_queryset(PriorityCase.objects.all(), user, field="area_code")


def case_list(*, user: Any, filters: CaseFilters | None = None) -> QuerySet[PriorityCase]:
    f = filters or CaseFilters()
    qs = with_progress(case_queryset(user)).select_related("person", "specialist")
    if f.status:
        qs = qs.filter(status=f.status)
    if f.reason:
        qs = qs.filter(reason=f.reason)
    if f.specialist == 0:
        qs = qs.filter(specialist__isnull=True)
    elif f.specialist:
        qs = qs.filter(specialist_id=f.specialist)
    if f.overdue:
        qs = qs.filter(status=CaseStatus.OPEN, due_date__lt=timezone.localdate())
    if f.incomplete:
        qs = qs.exclude(complete_q())
    if f.area:
        if not code_in_scope(user, f.area):
            return qs.none()
        qs = qs.filter(area_code__startswith=f.area)
    if f.q:
        qs = qs.filter(person__name__icontains=f.q.strip())
    return qs.order_by("-status", "due_date", "id")  # open before closed


def case_get(*, user: Any, pk: Any) -> PriorityCase:
    return with_progress(case_queryset(user)).select_related("person", "specialist", "opened_by").get(pk=pk)


def open_case_for(*, user: Any, person: Any) -> PriorityCase | None:
    """The person's open case (or latest closed one) if the user may see it."""
    return (
        with_progress(case_queryset(user))
        .select_related("specialist")
        .filter(person=person)
        .order_by("-status", "-opened_at")
        .first()
    )


def specialists_for(area_code: str) -> QuerySet[Any]:
    """Active specialists whose scope covers ``area_code`` (whom a case there may be assigned to)."""
    from wengang.accounts.models import User

    prefixes = {area_code[:n] for n in (6, 9, 12) if len(area_code) >= n}
    # Roles are a JSON list; matching its quoted text works on every backend (as accounts' selectors do).
    return User.objects.filter(
        is_active=True, scope_code__in=prefixes, roles__icontains='"specialist"'
    ).order_by("username")


def recommended_postings(person: Any) -> QuerySet[Posting]:
    """Published postings the matching engine recommends for ``person`` now, best first (none if no engine).

    The matching app's stored recommendations are read by name, so the 131 service works before and
    without it (DESIGN.md's import order puts matching after assistance).
    """
    try:
        model = apps.get_model("matching", "Recommendation")
    except LookupError:
        return Posting.objects.none()
    try:
        recs = model.objects.filter(person=person, is_current=True)
        order = ["rank"] if any(f.name == "rank" for f in model._meta.get_fields()) else ["pk"]
        ids = list(recs.order_by(*order).values_list("posting_id", flat=True)[:20])
    except FieldError:
        return Posting.objects.none()
    if not ids:
        return Posting.objects.none()
    return published_postings().filter(pk__in=ids)


# --- The dashboard: counts only, never a name of a person.


def dashboard_queryset(user: Any) -> QuerySet[PriorityCase]:
    if not user.can("assistance.dashboard"):
        return PriorityCase.objects.none()
    return scope_queryset(PriorityCase.objects.all(), user, field="area_code")


def _area_length(user: Any) -> int:
    """Group by county for a city scope, by township for a county or narrower scope."""
    code = user.scope_code or ""
    return 6 if len(code) == 6 and code.endswith("00") else 9


def _totals(qs: QuerySet[PriorityCase], today: dt.date) -> Any:
    return {
        "cases": Count("pk"),
        "open": Count("pk", filter=Q(status=CaseStatus.OPEN)),
        "complete": Count("pk", filter=complete_q()),
        "overdue": Count("pk", filter=Q(status=CaseStatus.OPEN, due_date__lt=today)),
        "unassigned": Count("pk", filter=Q(status=CaseStatus.OPEN, specialist__isnull=True)),
    }


def _rate(row: dict[str, Any]) -> dict[str, Any]:
    row["rate"] = round(100 * row["complete"] / row["cases"], 1) if row["cases"] else 0.0
    return row


def dashboard_data(*, user: Any) -> dict[str, Any]:
    """Completion rates per county or township, and each specialist's caseload, computed in SQL."""

    today = timezone.localdate()
    qs = with_progress(dashboard_queryset(user))
    length = _area_length(user)
    totals = _rate(qs.aggregate(**_totals(qs, today)))
    areas = list(
        qs.annotate(area=Substr("area_code", 1, length))
        .order_by()
        .values("area")
        .annotate(**_totals(qs, today))
        .order_by("area")
    )
    names = region_names([a["area"] for a in areas])
    for a in areas:
        a["name"] = names.get(a["area"], a["area"])
        _rate(a)
    caseload = list(
        qs.filter(specialist__isnull=False)
        .order_by()
        .values("specialist", "specialist__username", "specialist__full_name", "specialist__scope_code")
        .annotate(**_totals(qs, today))
        .order_by("-open", "specialist__username")
    )
    for c in caseload:
        _rate(c)
    return {"totals": totals, "areas": areas, "caseload": caseload, "area_length": length}
