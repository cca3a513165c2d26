"""Public-welfare placements (公益性岗位安置) for people who cannot leave home (三无人员).

Staff place a person on a published public-welfare post near home for a term and a monthly allowance, record
the days worked each month, renew the term, and record the exit. The posting's filled count is the number
of people on the post: a placement takes a place, an exit frees it, a renewal keeps it. Every write checks the
actor's scope, writes the audit event and runs in one transaction; the posting row is locked while places
are counted so two clerks cannot fill the last place twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.accounts.scoping import area_q
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.registry.choices import MONITORED_CATEGORIES, EmploymentStatus, Source
from wengang.registry.models import Person
from wengang.registry.selectors import person_list
from wengang.registry.services import EmploymentChange, employment_record

from .choices import PostingStatus
from .models import (
    Posting,
    WelfareExitReason,
    WelfarePlacement,
    WelfarePlacementStatus,
    WelfareWorkMonth,
)
from .services import posting_count_hire

PERM = "postings.review"  # county and township staff who run public-welfare posts
# The registry status an exit leaves behind; found_job and moved are for staff to record with the new job.
EXIT_STATUS = {
    WelfareExitReason.TERM_ENDED: EmploymentStatus.UNEMPLOYED_SEEKING,
    WelfareExitReason.DISMISSED: EmploymentStatus.UNEMPLOYED_SEEKING,
    WelfareExitReason.OTHER: EmploymentStatus.UNEMPLOYED_SEEKING,
    WelfareExitReason.HEALTH: EmploymentStatus.UNABLE,
}
MAX_ALLOWANCE = Decimal("100000")


@dataclass(frozen=True)
class PlacementFilters:
    posting: int | None = None
    status: str = ""
    area: str = ""  # person's township or village code prefix
    q: str = ""  # name


def placement_queryset(user: Any) -> QuerySet[WelfarePlacement]:
    """Placements of people in the user's area (staff only: the rows carry personal data)."""
    if not (user.can(PERM) and user.can("registry.view")):
        return WelfarePlacement.objects.none()
    return WelfarePlacement.objects.filter(area_q(user, "person__village_code")).select_related(
        "person", "posting", "posting__enterprise"
    )


def placement_list(*, user: Any, filters: PlacementFilters | None = None) -> QuerySet[WelfarePlacement]:
    qs = placement_queryset(user)
    f = filters or PlacementFilters()
    if f.posting:
        qs = qs.filter(posting_id=f.posting)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.area:
        qs = qs.filter(person__village_code__startswith=f.area)
    if f.q:
        qs = qs.filter(person__name__icontains=f.q.strip())
    return qs.order_by("-created_at", "-id")


def welfare_candidates(*, user: Any, posting: Posting) -> QuerySet[Person]:
    """People in scope living in the post's township and not already on a post; 三无 people first."""
    township = posting.area_code[:9]
    busy = WelfarePlacement.objects.filter(status=WelfarePlacementStatus.ACTIVE).values("person_id")
    return (
        person_list(user=user)
        .filter(village_code__startswith=township)
        .exclude(pk__in=busy)
        .order_by("-is_three_without", "village_code", "name", "id")
    )


def _require_staff(actor: Any) -> None:
    if not actor.can(PERM):
        raise PermissionDenied(_("Only bureau and township staff may manage public-welfare placements."))


def _person_in_scope(actor: Any, person: Person) -> None:
    if not person_list(user=actor).filter(pk=person.pk).exists():
        raise PermissionDenied(_("This person is outside what you may manage."))


def _clean_terms(
    start_date: dt.date | None, end_date: dt.date | None, monthly_allowance: Decimal | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if start_date is None:
        errors["start_date"] = [_("Give the date the term starts.")]
    if end_date is None:
        errors["end_date"] = [_("Give the date the term ends.")]
    elif start_date is not None and end_date < start_date:
        errors["end_date"] = [
            _("The term ends (%(end)s) before it starts (%(start)s).")
            % {"end": end_date, "start": start_date}
        ]
    if monthly_allowance is None or monthly_allowance < 0 or monthly_allowance > MAX_ALLOWANCE:
        errors["monthly_allowance"] = [_("The monthly allowance must be between 0 and 100,000 yuan.")]
    return errors


def _employment(
    *, actor: Any, placement: WelfarePlacement, status: str, on: dt.date, request: HttpRequest | None
) -> None:
    employed = status == EmploymentStatus.EMPLOYED_LOCAL
    employment_record(
        person=placement.person,
        change=EmploymentChange(
            status=status,
            occurred_on=on,
            work_place=placement.posting.address if employed else "",
            employer_name=placement.posting.enterprise.name if employed else "",
            monthly_income=int(placement.monthly_allowance) if employed else None,
        ),
        source=Source.STAFF,
        actor=actor,
        enterprise=placement.posting.enterprise if employed else None,
        request=request,
    )


@transaction.atomic
def placement_create(
    *,
    actor: Any,
    posting: Posting,
    person: Person,
    start_date: dt.date,
    end_date: dt.date,
    monthly_allowance: Decimal,
    request: HttpRequest | None = None,
) -> tuple[WelfarePlacement, list[str]]:
    """Place ``person`` on the public-welfare ``posting``; returns the placement and any warnings."""
    _require_staff(actor)
    _person_in_scope(actor, person)
    posting = Posting.objects.select_for_update().select_related("enterprise").get(pk=posting.pk)
    if not posting.is_public_welfare:
        raise ValidationError(
            {"posting": _("“%(title)s” is not a public-welfare post.") % {"title": posting.title}}
        )
    if posting.status != PostingStatus.PUBLISHED:
        raise ValidationError(
            {
                "posting": _("“%(title)s” is %(status)s; only a published post takes people.")
                % {"title": posting.title, "status": posting.get_status_display()}
            }
        )
    errors = _clean_terms(start_date, end_date, monthly_allowance)
    if errors:
        raise ValidationError(errors)
    township = posting.area_code[:9]
    if not person.village_code.startswith(township):
        raise ValidationError(
            {
                "person": _(
                    "%(name)s lives in %(home)s, outside the post's area %(area)s. A public-welfare post "
                    "serves people of its own township or village."
                )
                % {"name": person.name, "home": person.village_code, "area": township}
            }
        )
    current = WelfarePlacement.objects.filter(person=person, status=WelfarePlacementStatus.ACTIVE).first()
    if current is not None:
        raise ValidationError(
            {
                "person": _("%(name)s is already on the public-welfare post “%(title)s”.")
                % {"name": person.name, "title": current.posting.title}
            }
        )
    taken = WelfarePlacement.objects.filter(posting=posting, status=WelfarePlacementStatus.ACTIVE).count()
    if taken >= posting.headcount or posting.filled_count >= posting.headcount:
        raise ValidationError(
            {
                "posting": _(
                    "“%(title)s” has %(places)d places and all are taken (%(taken)d people on the post). "
                    "Record an exit or raise the headcount first."
                )
                % {
                    "title": posting.title,
                    "places": posting.headcount,
                    "taken": max(taken, posting.filled_count),
                }
            }
        )
    warnings: list[str] = []
    category = person.household.poverty_category if person.household is not None else ""
    if not person.is_three_without and category not in MONITORED_CATEGORIES:
        warnings.append(
            _(
                "%(name)s is neither a three-without person nor in a monitored household; public-welfare "
                "posts are meant for them first."
            )
            % {"name": person.name}
        )
    placement = WelfarePlacement.objects.create(
        posting=posting,
        person=person,
        start_date=start_date,
        end_date=end_date,
        monthly_allowance=monthly_allowance,
        created_by=actor,
    )
    audit_record(
        action=Action.CREATE,
        actor=actor,
        object_type="jobs.welfareplacement",
        object_id=placement.pk,
        request=request,
        changes={
            "posting": posting.pk,
            "person": person.pk,
            "start_date": str(start_date),
            "end_date": str(end_date),
            "monthly_allowance": str(monthly_allowance),
            "warnings": warnings,
        },
    )
    posting_count_hire(posting=posting, actor=actor, request=request)
    _employment(
        actor=actor,
        placement=placement,
        status=EmploymentStatus.EMPLOYED_LOCAL,
        on=start_date,
        request=request,
    )
    return placement, warnings


def _lock_active(actor: Any, placement: WelfarePlacement) -> WelfarePlacement:
    _require_staff(actor)
    locked = placement_queryset(actor).select_for_update(of=("self",)).filter(pk=placement.pk).first()
    if locked is None:
        raise PermissionDenied(_("This placement is outside what you may manage."))
    if locked.status != WelfarePlacementStatus.ACTIVE:
        raise ValidationError(
            _("This placement is %(status)s; only a current placement can change.")
            % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def placement_renew(
    *,
    actor: Any,
    placement: WelfarePlacement,
    new_end_date: dt.date,
    monthly_allowance: Decimal,
    request: HttpRequest | None = None,
) -> WelfarePlacement:
    """Continue a placement for a new term: a new row from the day after the old term, the place kept."""
    old = _lock_active(actor, placement)
    start = old.end_date + dt.timedelta(days=1)
    errors = _clean_terms(start, new_end_date, monthly_allowance)
    if "end_date" in errors:
        errors["new_end_date"] = errors.pop("end_date")
    if errors:
        raise ValidationError(errors)
    old.status = WelfarePlacementStatus.RENEWED
    old.save(update_fields=["status"])
    new = WelfarePlacement.objects.create(
        posting=old.posting,
        person=old.person,
        start_date=start,
        end_date=new_end_date,
        monthly_allowance=monthly_allowance,
        renewed_from=old,
        created_by=actor,
    )
    audit_record(
        action=Action.CREATE,
        actor=actor,
        object_type="jobs.welfareplacement",
        object_id=new.pk,
        request=request,
        changes={
            "renewed_from": old.pk,
            "start_date": str(start),
            "end_date": str(new_end_date),
            "monthly_allowance": [str(old.monthly_allowance), str(monthly_allowance)],
        },
    )
    if new.monthly_allowance != old.monthly_allowance:
        _employment(
            actor=actor, placement=new, status=EmploymentStatus.EMPLOYED_LOCAL, on=start, request=request
        )
    return new


@transaction.atomic
def placement_exit(
    *,
    actor: Any,
    placement: WelfarePlacement,
    exit_date: dt.date,
    reason: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> WelfarePlacement:
    """End a placement and free its place; a post that was full is published again."""
    current = _lock_active(actor, placement)
    errors: dict[str, list[str]] = {}
    if reason not in WelfareExitReason.values:
        errors["reason"] = [_("Choose why the person left the post.")]
    if exit_date is None or exit_date < current.start_date:
        errors["exit_date"] = [
            _("The exit date must be on or after the day the term started (%(start)s).")
            % {"start": current.start_date}
        ]
    if errors:
        raise ValidationError(errors)
    current.status = WelfarePlacementStatus.ENDED
    current.exit_date = exit_date
    current.exit_reason = reason
    current.exit_note = (note or "").strip()[:300]
    current.save(update_fields=["status", "exit_date", "exit_reason", "exit_note"])
    posting = Posting.objects.select_for_update().get(pk=current.posting_id)
    Posting.objects.filter(pk=posting.pk, filled_count__gt=0).update(
        filled_count=F("filled_count") - 1, updated_at=timezone.now()
    )
    changes: dict[str, Any] = {"exit_date": str(exit_date), "exit_reason": reason, "place_freed": posting.pk}
    if posting.status == PostingStatus.FILLED:
        Posting.objects.filter(pk=posting.pk).update(status=PostingStatus.PUBLISHED)
        audit_record(
            action=Action.STATUS,
            actor=actor,
            object_type="jobs.posting",
            object_id=posting.pk,
            request=request,
            changes={"status": [PostingStatus.FILLED, PostingStatus.PUBLISHED], "reason": "welfare exit"},
        )
    audit_record(
        action=Action.STATUS,
        actor=actor,
        object_type="jobs.welfareplacement",
        object_id=current.pk,
        request=request,
        changes=changes,
    )
    status = EXIT_STATUS.get(WelfareExitReason(reason))
    if status:
        _employment(actor=actor, placement=current, status=status, on=exit_date, request=request)
    return current


def _month_start(month: dt.date) -> dt.date:
    return month.replace(day=1)


@transaction.atomic
def work_month_record(
    *,
    actor: Any,
    placement: WelfarePlacement,
    month: dt.date,
    days_worked: int,
    allowance_paid: Decimal,
    note: str = "",
    request: HttpRequest | None = None,
) -> WelfareWorkMonth:
    """Record (or correct) the days worked and allowance paid in one month of a placement's term."""
    _require_staff(actor)
    found = placement_queryset(actor).filter(pk=placement.pk).first()
    if found is None:
        raise PermissionDenied(_("This placement is outside what you may manage."))
    first = _month_start(month)
    errors: dict[str, list[str]] = {}
    if first < _month_start(found.start_date) or first > _month_start(found.exit_date or found.end_date):
        errors["month"] = [
            _("%(month)s is outside the term %(start)s – %(end)s.")
            % {"month": f"{first:%Y-%m}", "start": found.start_date, "end": found.exit_date or found.end_date}
        ]
    if days_worked is None or not 0 <= int(days_worked) <= 31:
        errors["days_worked"] = [_("Days worked must be between 0 and 31.")]
    if allowance_paid is None or allowance_paid < 0 or allowance_paid > MAX_ALLOWANCE:
        errors["allowance_paid"] = [_("The allowance paid must be between 0 and 100,000 yuan.")]
    if errors:
        raise ValidationError(errors)
    row, created = WelfareWorkMonth.objects.update_or_create(
        placement=found,
        month=first,
        defaults={
            "days_worked": int(days_worked),
            "allowance_paid": allowance_paid,
            "note": (note or "").strip()[:200],
            "recorded_by": actor,
        },
    )
    audit_record(
        action=Action.CREATE if created else Action.UPDATE,
        actor=actor,
        object_type="jobs.welfareworkmonth",
        object_id=row.pk,
        request=request,
        changes={
            "placement": found.pk,
            "month": f"{first:%Y-%m}",
            "days_worked": int(days_worked),
            "allowance_paid": str(allowance_paid),
        },
    )
    return row


def placement_history(placement: WelfarePlacement) -> list[WelfarePlacement]:
    """The chain of terms this placement belongs to, earliest first."""
    chain = [placement]
    seen = {placement.pk}
    current = placement
    while current.renewed_from_id and current.renewed_from_id not in seen:
        current = WelfarePlacement.objects.get(pk=current.renewed_from_id)
        chain.insert(0, current)
        seen.add(current.pk)
    later = WelfarePlacement.objects.filter(renewed_from=placement).first()
    while later is not None and later.pk not in seen:
        chain.append(later)
        seen.add(later.pk)
        later = WelfarePlacement.objects.filter(renewed_from=later).first()
    return chain
