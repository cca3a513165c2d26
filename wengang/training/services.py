"""Every write on training: programmes, enrolments, attendance and completion, and subsidy claims.

Each service checks role and scope, changes the rows and writes the audit event in one transaction. Places
are counted under a lock on the programme row, so two staff enrolling at once cannot overfill a course.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.accounts.scoping import code_in_scope
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.employers.selectors import enterprise_queryset
from wengang.regions.models import Region
from wengang.registry.models import Person
from wengang.registry.selectors import person_list
from wengang.registry.services import person_update

from .choices import (
    COUNTS_AS_TRAINING,
    ENROLLABLE,
    ENROLMENT_TRANSITIONS,
    HOLDS_PLACE,
    SUBSIDY_TRANSITIONS,
    EnrolmentStatus,
    ProgrammeStatus,
    SubsidyState,
)
from .models import Enrolment, Programme
from .selectors import programme_queryset

PROGRAMME_FIELDS = (
    "name",
    "provider",
    "occupation",
    "area_code",
    "address",
    "start_date",
    "end_date",
    "places",
    "cost_per_person",
    "subsidy_per_person",
    "is_on_the_job",
    "enterprise",
    "status",
)


def _require(actor: Any, perm: str = "training.edit") -> None:
    if not actor.can(perm):
        raise PermissionDenied(_("Your roles do not allow changing training records."))


def _check_programme(actor: Any, values: dict[str, Any]) -> None:
    """Validate a programme's fields together; every problem is reported against its field."""
    errors: dict[str, str] = {}
    code = values["area_code"]
    if not Region.objects.filter(code=code).exclude(level="village").exists():
        errors["area_code"] = _("No county or township has the code %(code)s.") % {"code": code}
    elif not code_in_scope(actor, code):
        errors["area_code"] = _("The area %(code)s is outside your area.") % {"code": code}
    if values["end_date"] < values["start_date"]:
        errors["end_date"] = _("The end date %(end)s is before the start date %(start)s.") % {
            "end": values["end_date"],
            "start": values["start_date"],
        }
    if values["places"] < 1:
        errors["places"] = _("A programme needs at least one place.")
    for name in ("cost_per_person", "subsidy_per_person"):
        if values[name] < 0:
            errors[name] = _("The amount cannot be negative.")
    enterprise = values.get("enterprise")
    if values["is_on_the_job"] and enterprise is None:
        errors["enterprise"] = _(
            "On-the-job training (在岗培训/以工代训) must name the enterprise it is held in."
        )
    elif enterprise is not None and not enterprise_queryset(actor).filter(pk=enterprise.pk).exists():
        errors["enterprise"] = _("The enterprise “%(name)s” is outside your area.") % {
            "name": enterprise.name
        }
    if errors:
        raise ValidationError(errors)


def programme_create(
    *,
    actor: Any,
    name: str,
    provider: str,
    area_code: str,
    start_date: dt.date,
    end_date: dt.date,
    places: int,
    occupation: Any = None,
    address: str = "",
    cost_per_person: Decimal = Decimal(0),
    subsidy_per_person: Decimal = Decimal(0),
    is_on_the_job: bool = False,
    enterprise: Any = None,
    status: str = ProgrammeStatus.PLANNED,
    request: HttpRequest | None = None,
) -> Programme:
    _require(actor)
    values: dict[str, Any] = {
        "name": name.strip(),
        "provider": provider.strip(),
        "occupation": occupation,
        "area_code": area_code,
        "address": address.strip(),
        "start_date": start_date,
        "end_date": end_date,
        "places": places,
        "cost_per_person": Decimal(cost_per_person),
        "subsidy_per_person": Decimal(subsidy_per_person),
        "is_on_the_job": is_on_the_job,
        "enterprise": enterprise,
        "status": status,
    }
    _check_programme(actor, values)
    with transaction.atomic():
        programme = Programme.objects.create(created_by=actor, **values)
        audit_record(
            action=Action.CREATE,
            actor=actor,
            object_type="training.programme",
            object_id=programme.pk,
            request=request,
            changes=_plain(values),
        )
    return programme


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Field values as JSON-safe audit data: related rows by key, dates and amounts as text."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if hasattr(value, "pk"):
            value = value.pk
        elif isinstance(value, dt.date | Decimal):
            value = str(value)
        out[name] = value
    return out


def programme_update(
    *, actor: Any, programme: Programme, request: HttpRequest | None = None, **fields: Any
) -> list[str]:
    """Change a programme; returns the names of what changed. Places cannot drop below those taken."""
    _require(actor)
    unknown = set(fields) - set(PROGRAMME_FIELDS)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    if not code_in_scope(actor, programme.area_code):
        raise PermissionDenied(_("The programme is held for an area outside yours."))
    with transaction.atomic():
        locked = Programme.objects.select_for_update().get(pk=programme.pk)
        values = {name: getattr(locked, name) for name in PROGRAMME_FIELDS} | fields
        _check_programme(actor, values)
        taken = locked.enrolments.filter(status__in=HOLDS_PLACE).count()
        if values["places"] < taken:
            raise ValidationError(
                {"places": _("%(n)d people already hold places; places cannot be fewer.") % {"n": taken}}
            )
        changed = {k: [getattr(locked, k), v] for k, v in fields.items() if getattr(locked, k) != v}
        if changed:
            for name in changed:
                setattr(locked, name, values[name])
            locked.save()
            audit_record(
                action=Action.UPDATE,
                actor=actor,
                object_type="training.programme",
                object_id=locked.pk,
                request=request,
                changes={
                    k: [str(getattr(a, "pk", a)), str(getattr(b, "pk", b))] for k, (a, b) in changed.items()
                },
            )
        for name in PROGRAMME_FIELDS:
            setattr(programme, name, getattr(locked, name))
    return sorted(changed)


def enrol(
    *,
    actor: Any,
    programme: Programme,
    person: Person,
    enrolled_on: dt.date | None = None,
    request: HttpRequest | None = None,
) -> Enrolment:
    """Enrol a person in scope on a visible programme, if a place is free."""
    _require(actor)
    if not programme_queryset(actor).filter(pk=programme.pk).exists():
        raise PermissionDenied(_("The programme is outside your area."))
    if not person_list(user=actor).filter(pk=person.pk).exists():
        raise PermissionDenied(_("%(name)s is outside your area.") % {"name": person.name})
    with transaction.atomic():
        locked = Programme.objects.select_for_update().get(pk=programme.pk)
        if locked.status not in ENROLLABLE:
            raise ValidationError(
                _("The programme “%(name)s” has finished; nobody can enrol.") % {"name": locked.name}
            )
        existing = Enrolment.objects.filter(programme=locked, person=person).first()
        if existing is not None and existing.status != EnrolmentStatus.DROPPED:
            raise ValidationError(
                _("%(name)s is already enrolled on “%(programme)s”.")
                % {"name": person.name, "programme": locked.name}
            )
        taken = locked.enrolments.filter(status__in=HOLDS_PLACE).count()
        if taken >= locked.places:
            raise ValidationError(
                _("All %(places)d places on “%(programme)s” are taken.")
                % {"places": locked.places, "programme": locked.name}
            )
        day = enrolled_on or timezone.localdate()
        if existing is not None:  # re-enrolling someone who dropped out keeps one row per person
            existing.status, existing.enrolled_on = EnrolmentStatus.ENROLLED, day
            existing.save(update_fields=["status", "enrolled_on", "updated_at"])
            enrolment = existing
        else:
            enrolment = Enrolment.objects.create(
                programme=locked, person=person, enrolled_on=day, created_by=actor
            )
        audit_record(
            action=Action.CREATE,
            actor=actor,
            object_type="training.enrolment",
            object_id=enrolment.pk,
            request=request,
            changes={"programme": locked.pk, "person": person.pk, "enrolled_on": str(day)},
        )
    return enrolment


def _check_enrolment_scope(actor: Any, enrolment: Enrolment) -> None:
    _require(actor)
    if not person_list(user=actor).filter(pk=enrolment.person_id).exists():
        raise PermissionDenied(_("This person is outside your area."))
    if not programme_queryset(actor).filter(pk=enrolment.programme_id).exists():
        raise PermissionDenied(_("The programme is outside your area."))


def enrolment_record(
    *,
    actor: Any,
    enrolment: Enrolment,
    status: str,
    attendance_days: int,
    completed_on: dt.date | None = None,
    certificate: str = "",
    request: HttpRequest | None = None,
) -> list[str]:
    """Record attendance, completion and the certificate obtained; returns what changed.

    A completed enrolment with a certificate adds it to the person's certificates in the registry, so
    matching sees the new skill.
    """
    _check_enrolment_scope(actor, enrolment)
    programme = enrolment.programme
    certificate = certificate.strip()
    errors: dict[str, str] = {}
    if status != enrolment.status and status not in ENROLMENT_TRANSITIONS[enrolment.status]:
        errors["status"] = _("An enrolment cannot go from “%(old)s” to “%(new)s”.") % {
            "old": EnrolmentStatus(enrolment.status).label,
            "new": EnrolmentStatus(status).label if status in EnrolmentStatus.values else status,
        }
    if attendance_days < 0 or attendance_days > programme.duration_days:
        errors["attendance_days"] = _(
            "Days attended must be between 0 and the %(n)d days the programme lasts."
        ) % {"n": programme.duration_days}
    if status == EnrolmentStatus.COMPLETED:
        completed_on = completed_on or timezone.localdate()
        if completed_on < programme.start_date:
            errors["completed_on"] = _("The completion date is before the programme starts (%(start)s).") % {
                "start": programme.start_date
            }
    elif completed_on or certificate:
        errors["certificate"] = _(
            "A completion date or certificate can only be recorded for a completed enrolment."
        )
    if errors:
        raise ValidationError(errors)
    new = {
        "status": status,
        "attendance_days": attendance_days,
        "completed_on": completed_on,
        "certificate": certificate,
    }
    changed = {k: [str(getattr(enrolment, k)), str(v)] for k, v in new.items() if getattr(enrolment, k) != v}
    if not changed:
        return []
    with transaction.atomic():
        if enrolment.status == EnrolmentStatus.DROPPED and status != EnrolmentStatus.DROPPED:
            _check_place_free(enrolment.programme, exclude=enrolment.pk)
        for name, value in new.items():
            setattr(enrolment, name, value)
        enrolment.save(update_fields=[*new, "updated_at"])
        if status == EnrolmentStatus.COMPLETED and certificate:
            person = Person.objects.select_for_update().get(pk=enrolment.person_id)
            if certificate not in (person.certificates or []):
                person_update(
                    actor=actor,
                    person=person,
                    certificates=[*(person.certificates or []), certificate],
                    request=request,
                )
                changed["certificate_added_to_person"] = [certificate]
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            object_type="training.enrolment",
            object_id=enrolment.pk,
            request=request,
            changes=changed,
        )
    return sorted(changed)


def _check_place_free(programme: Programme, *, exclude: int) -> None:
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    taken = locked.enrolments.filter(status__in=HOLDS_PLACE).exclude(pk=exclude).count()
    if taken >= locked.places:
        raise ValidationError(
            {
                "status": _("All %(places)d places on “%(programme)s” are taken.")
                % {"places": locked.places, "programme": locked.name}
            }
        )


def subsidy_transition(
    *,
    actor: Any,
    enrolment: Enrolment,
    state: str,
    amount: Decimal | None = None,
    request: HttpRequest | None = None,
) -> Enrolment:
    """Move the subsidy claim (职业技能培训补贴) on: claim after completion, approve or refuse, pay."""
    _check_enrolment_scope(actor, enrolment)
    if state not in SUBSIDY_TRANSITIONS[enrolment.subsidy_state]:
        raise ValidationError(
            {
                "state": _("The subsidy cannot go from “%(old)s” to “%(new)s”.")
                % {
                    "old": SubsidyState(enrolment.subsidy_state).label,
                    "new": SubsidyState(state).label if state in SubsidyState.values else state,
                }
            }
        )
    limit = enrolment.programme.subsidy_per_person
    update: dict[str, Any] = {"subsidy_state": state}
    if state == SubsidyState.CLAIMED:
        if enrolment.status != EnrolmentStatus.COMPLETED:
            raise ValidationError(
                {
                    "state": _(
                        "%(name)s has not completed the programme; subsidies are claimed after completion."
                    )
                    % {"name": enrolment.person.name}
                }
            )
        amount = limit if amount is None else Decimal(amount)
        if amount <= 0:
            raise ValidationError(
                {"amount": _("The programme carries no subsidy; enter an amount above zero.")}
            )
        if amount > limit:
            raise ValidationError(
                {
                    "amount": _(
                        "The amount %(amount)s exceeds the programme's subsidy of %(limit)s yuan per person."
                    )
                    % {"amount": amount, "limit": limit}
                }
            )
        update["subsidy_amount"] = amount
    with transaction.atomic():
        old = enrolment.subsidy_state
        for name, value in update.items():
            setattr(enrolment, name, value)
        enrolment.save(update_fields=[*update, "updated_at"])
        audit_record(
            action=Action.STATUS,
            actor=actor,
            object_type="training.enrolment",
            object_id=enrolment.pk,
            request=request,
            changes={"subsidy_state": [old, state], "subsidy_amount": str(enrolment.subsidy_amount or "")},
        )
    return enrolment


def training_count(person: Person) -> int:
    """How many trainings a person has had, for the 131 service's "one training": attended or completed."""
    return Enrolment.objects.filter(person=person, status__in=COUNTS_AS_TRAINING).count()
