"""Self-registration of a worker not in the registry, and the township specialist's review of it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.accounts.models import User
from wengang.accounts.scoping import code_in_scope, scope_queryset
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core import crypto
from wengang.regions.choices import Level
from wengang.regions.models import Region
from wengang.registry.choices import Intent, Source
from wengang.registry.identity import IdentityError, parse_resident_id, protect_id, protect_phone
from wengang.registry.models import Person
from wengang.registry.services import person_create

from .auth_services import link_account
from .models import Registration, RequestStatus

MAX_SKILLS = 10


def village_valid(code: str) -> bool:
    return Region.objects.filter(
        code=code, level=Level.VILLAGE, valid_to__isnull=True, code__startswith=settings.WENGANG_CITY_CODE[:4]
    ).exists()


def registration_pending(*, user: User) -> Registration | None:
    return user.registrations.filter(status=RequestStatus.PENDING).first()


def registration_latest(*, user: User) -> Registration | None:
    return user.registrations.order_by("-created_at", "-id").first()


def registration_submit(
    *,
    user: User,
    name: str,
    id_number: str,
    village_code: str,
    skills: list[str],
    intent: str,
    request: HttpRequest | None = None,
) -> Registration:
    """A worker registers themselves; the registration waits for the township specialist."""
    if user.person_id is not None:
        raise ValidationError(_("Your account is already linked to your record."))
    if registration_pending(user=user) is not None:
        raise ValidationError(_("Your registration is already waiting for review."))
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = _("Name: enter your name.")
    try:
        rid = parse_resident_id(id_number)
    except IdentityError as exc:
        errors["id_number"] = _("ID number: %(reason)s") % {"reason": exc}
    if not village_valid(village_code):
        errors["village"] = _("Village: choose your village from the list.")
    if intent and intent not in Intent.values:
        errors["intent"] = _("Plan: choose one of the options.")
    if errors:
        raise ValidationError(errors)
    phone = crypto.decrypt(user.phone_encrypted)
    pid, pphone = protect_id(rid.number), protect_phone(phone)
    clean_skills = [s.strip()[:30] for s in skills if s.strip()][:MAX_SKILLS]
    with transaction.atomic():
        registration = Registration.objects.create(
            user=user,
            name=name[:50],
            id_hash=pid.hash,
            id_encrypted=pid.encrypted,
            id_masked=pid.masked,
            phone_hash=pphone.hash,
            phone_encrypted=pphone.encrypted,
            phone_masked=pphone.masked,
            village_code=village_code,
            details={"skills": clean_skills, "intent": intent},
        )
        audit_record(
            action=Action.CREATE,
            actor=user,
            object_type="workers.registration",
            object_id=registration.pk,
            changes={"id_number": pid.masked, "village_code": village_code},
            request=request,
        )
    return registration


# --- the specialist's queue -------------------------------------------------------------------------------


def registration_list(*, user: Any, status: str = RequestStatus.PENDING) -> QuerySet[Registration]:
    """Registrations in the user's area (registry editors only)."""
    if not user.can("registry.edit"):
        return Registration.objects.none()
    qs = scope_queryset(
        Registration.objects.select_related("user", "reviewed_by"), user, field="village_code"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("created_at", "id")


def registration_get(*, user: Any, pk: int) -> Registration:
    return registration_list(user=user, status="").get(pk=pk)


def _check_review(actor: User, registration: Registration) -> None:
    if not actor.can("registry.edit") or not code_in_scope(actor, registration.village_code):
        raise PermissionDenied(_("You may not review this registration."))
    if registration.status != RequestStatus.PENDING:
        raise ValidationError(_("This registration has already been reviewed."))


def registration_accept(
    *, actor: User, registration: Registration, request: HttpRequest | None = None
) -> Person:
    """Accept: the person enters the registry (or, if already there, is found) and the account is linked."""
    _check_review(actor, registration)
    with transaction.atomic():
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status != RequestStatus.PENDING:
            raise ValidationError(_("This registration has already been reviewed."))
        existing = Person.objects.filter(id_hash=registration.id_hash).first()
        if existing is not None:
            if not code_in_scope(actor, existing.village_code):
                raise ValidationError(
                    _("This person is already registered in another area; ask that area's specialist.")
                )
            person = existing
        else:
            details = registration.details or {}
            person = person_create(
                actor=actor,
                id_number=crypto.decrypt(registration.id_encrypted),
                name=registration.name,
                village_code=registration.village_code,
                phone=crypto.decrypt(registration.phone_encrypted),
                intent=str(details.get("intent") or ""),
                source=Source.WORKER,
                skills=list(details.get("skills") or []),
                request=request,
            )
        worker = registration.user
        if worker.person_id is None and not User.objects.filter(person=person).exists():
            link_account(user=worker, person=person, actor=actor, request=request, how="registration")
        registration.status = RequestStatus.ACCEPTED
        registration.person = person
        registration.reviewed_by = actor
        registration.reviewed_at = timezone.now()
        registration.save(update_fields=["status", "person", "reviewed_by", "reviewed_at", "updated_at"])
        audit_record(
            action=Action.REVIEW,
            actor=actor,
            object_type="workers.registration",
            object_id=registration.pk,
            changes={"status": RequestStatus.ACCEPTED, "person": person.pk, "existing": existing is not None},
            request=request,
        )
    return person


def registration_reject(
    *, actor: User, registration: Registration, note: str, request: HttpRequest | None = None
) -> Registration:
    """Reject with a note the worker sees on their next visit."""
    _check_review(actor, registration)
    note = note.strip()
    if len(note) < 2:
        raise ValidationError({"note": _("Note: tell the worker why (at least 2 characters).")})
    with transaction.atomic():
        registration.status = RequestStatus.REJECTED
        registration.review_note = note[:300]
        registration.reviewed_by = actor
        registration.reviewed_at = timezone.now()
        registration.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at", "updated_at"])
        audit_record(
            action=Action.REVIEW,
            actor=actor,
            object_type="workers.registration",
            object_id=registration.pk,
            changes={"status": RequestStatus.REJECTED},
            reason=note,
            request=request,
        )
    return registration
