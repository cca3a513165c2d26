"""Every write on the registry: people, households, employment events and intents.

Each service checks the actor's scope, changes the rows, appends history, and writes the audit event in one
transaction. ID numbers and phones arrive in plaintext and leave this module only encrypted, hashed and
masked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from celery import signature
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.accounts.scoping import code_in_scope
from wengang.accounts.services import field_unmask
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.regions.models import Region

from .choices import EmploymentStatus, Intent, PovertyCategory, Source
from .identity import IdentityError, normalize_phone, parse_resident_id, protect_id, protect_phone
from .models import EmploymentEvent, Household, IntentRecord, Person, PovertyCategoryChange

EDITABLE = (
    "name",
    "village_code",
    "education",
    "health",
    "skills",
    "certificates",
    "is_three_without",
    "relation",
    "notes",
    "return_date",
)
MATCHED = {"village_code", "health", "skills", "certificates", "is_three_without", "status", "intent"}


def _check_scope(actor: Any, village_code: str) -> None:
    if not actor.can("registry.edit"):
        raise PermissionDenied(_("Your roles do not allow editing the registry."))
    if not code_in_scope(actor, village_code):
        raise PermissionDenied(_("The village %(code)s is outside your area.") % {"code": village_code})


def _check_village(code: str) -> None:
    if not Region.objects.filter(code=code, level="village").exists():
        raise ValidationError({"village_code": _("No village has the code %(code)s.") % {"code": code}})


@dataclass(frozen=True)
class EmploymentChange:
    status: str
    occurred_on: dt.date
    work_province: str = ""
    work_city: str = ""
    work_place: str = ""
    employer_name: str = ""
    monthly_income: int | None = None


def _add_event(
    person: Person, change: EmploymentChange, *, source: str, actor: Any
) -> EmploymentEvent | None:
    """Append an employment event unless it repeats the latest one; keep the person's cached status."""
    if change.status not in EmploymentStatus.values:
        raise ValidationError({"status": _("Unknown employment status.")})
    latest = person.employment_events.order_by("-occurred_on", "-id").first()
    fields = ("status", "work_province", "work_city", "work_place", "employer_name", "monthly_income")
    if latest is not None and all(getattr(latest, f) == getattr(change, f) for f in fields):
        return None
    event = EmploymentEvent.objects.create(
        person=person,
        status=change.status,
        occurred_on=change.occurred_on,
        source=source,
        work_province=change.work_province,
        work_city=change.work_city,
        work_place=change.work_place,
        employer_name=change.employer_name,
        monthly_income=change.monthly_income,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if latest is None or (change.occurred_on, event.pk) >= (latest.occurred_on, latest.pk):
        person.status = change.status
        person.status_since = change.occurred_on
        person.save(update_fields=["status", "status_since", "updated_at"])
    return event


def _add_intent(person: Person, intent: str, *, destination: str, recorded_on: dt.date, source: str) -> bool:
    if intent not in Intent.values:
        raise ValidationError({"intent": _("Unknown intent.")})
    latest = person.intents.order_by("-recorded_on", "-id").first()
    if latest is not None and (latest.intent, latest.destination) == (intent, destination):
        return False
    IntentRecord.objects.create(
        person=person, intent=intent, destination=destination, recorded_on=recorded_on, source=source
    )
    person.intent = intent
    person.save(update_fields=["intent", "updated_at"])
    return True


def person_create(
    *,
    actor: Any,
    id_number: str,
    name: str,
    village_code: str,
    phone: str = "",
    poverty_category: str = PovertyCategory.GENERAL,
    household: Household | None = None,
    employment: EmploymentChange | None = None,
    intent: str = "",
    intent_destination: str = "",
    source: str = Source.STAFF,
    request: HttpRequest | None = None,
    **extra: Any,
) -> Person:
    """Register a person (and, unless given one, a new household for them as its head)."""
    _check_scope(actor, village_code)
    _check_village(village_code)
    try:
        rid = parse_resident_id(id_number)
        phone = normalize_phone(phone)
    except IdentityError as exc:
        raise ValidationError(str(exc)) from exc
    pid, pphone = protect_id(rid.number), protect_phone(phone)
    if Person.objects.filter(id_hash=pid.hash).exists():
        raise ValidationError({"id_number": _("A person with this ID number is already registered.")})
    unknown = set(extra) - set(EDITABLE)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    with transaction.atomic():
        if household is None:
            household = Household.objects.create(
                village_code=village_code,
                poverty_category=poverty_category,
                poverty_set_on=timezone.localdate(),
            )
            extra.setdefault("relation", "head")
        person = Person.objects.create(
            id_hash=pid.hash,
            id_encrypted=pid.encrypted,
            id_masked=pid.masked,
            name=name.strip(),
            gender=rid.gender,
            birth_date=rid.birth_date,
            phone_hash=pphone.hash,
            phone_encrypted=pphone.encrypted,
            phone_masked=pphone.masked,
            household=household,
            village_code=village_code,
            **extra,
        )
        if household.head_id is None and person.relation == "head":
            household.head = person
            household.save(update_fields=["head", "updated_at"])
        if employment is not None:
            _add_event(person, employment, source=source, actor=actor)
        if intent:
            _add_intent(
                person,
                intent,
                destination=intent_destination,
                recorded_on=timezone.localdate(),
                source=source,
            )
        audit_record(
            action=Action.CREATE,
            actor=actor,
            object_type="registry.person",
            object_id=person.pk,
            request=request,
            changes={
                "name": person.name,
                "id_number": pid.masked,
                "village_code": village_code,
                "warnings": rid.warnings,
            },
        )
    return person


def person_update(
    *,
    actor: Any,
    person: Person,
    phone: str | None = None,
    employment: EmploymentChange | None = None,
    intent: str = "",
    intent_destination: str = "",
    source: str = Source.STAFF,
    request: HttpRequest | None = None,
    **fields: Any,
) -> list[str]:
    """Change a person; returns the names of what changed (empty when nothing did)."""
    _check_scope(actor, person.village_code)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    if "village_code" in fields and fields["village_code"] != person.village_code:
        _check_scope(actor, fields["village_code"])
        _check_village(fields["village_code"])
    changed: dict[str, Any] = {}
    for name, value in fields.items():
        if getattr(person, name) != value:
            changed[name] = [getattr(person, name), value]
            setattr(person, name, value)
    with transaction.atomic():
        if phone is not None:
            try:
                phone = normalize_phone(phone)
            except IdentityError as exc:
                raise ValidationError({"phone": str(exc)}) from exc
            protected = protect_phone(phone)
            if protected.hash != person.phone_hash:
                person.phone_hash, person.phone_encrypted, person.phone_masked = (
                    protected.hash,
                    protected.encrypted,
                    protected.masked,
                )
                changed["phone"] = "changed"
        if changed:
            person.save()
        if employment is not None and _add_event(person, employment, source=source, actor=actor):
            changed["status"] = employment.status
        if intent and _add_intent(
            person, intent, destination=intent_destination, recorded_on=timezone.localdate(), source=source
        ):
            changed["intent"] = intent
        if changed:
            audit_record(
                action=Action.UPDATE,
                actor=actor,
                object_type="registry.person",
                object_id=person.pk,
                request=request,
                changes={k: v for k, v in changed.items() if k != "phone"}
                | ({"phone": "changed"} if "phone" in changed else {}),
            )
        if changed.keys() & MATCHED:  # the job-matching lists of this person may change
            transaction.on_commit(signature("matching.person_changed", args=(person.pk,)).delay)
    return sorted(changed)


def person_unmask(
    *, actor: Any, person: Person, field: str, reason: str, request: HttpRequest | None = None
) -> str:
    """Reveal a person's full ID number or phone (audited, with a reason)."""
    ciphertext = {"id_number": person.id_encrypted, "phone": person.phone_encrypted}[field]
    return field_unmask(
        actor=actor,
        object_type="registry.person",
        object_id=person.pk,
        field=field,
        area_code=person.village_code,
        ciphertext=ciphertext,
        reason=reason,
        request=request,
        perm="registry.unmask",
    )


def household_update(
    *, actor: Any, household: Household, poverty_category: str, request: HttpRequest | None = None
) -> bool:
    """Set a household's poverty category (dated). Returns whether it changed."""
    _check_scope(actor, household.village_code)
    if poverty_category not in PovertyCategory.values:
        raise ValidationError({"poverty_category": _("Unknown household type.")})
    if household.poverty_category == poverty_category:
        return False
    with transaction.atomic():
        before = household.poverty_category
        household.poverty_category = poverty_category
        household.poverty_set_on = timezone.localdate()
        household.save(update_fields=["poverty_category", "poverty_set_on", "updated_at"])
        PovertyCategoryChange.objects.create(
            household=household,
            category_from=before,
            category_to=poverty_category,
            effective_on=household.poverty_set_on,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            object_type="registry.household",
            object_id=household.pk,
            request=request,
            changes={"poverty_category": [before, poverty_category]},
        )
    return True


def employment_record(
    *,
    person: Person,
    change: EmploymentChange,
    source: str,
    actor: Any,
    enterprise: Any = None,
    request: HttpRequest | None = None,
) -> EmploymentEvent | None:
    """Append an employment event another app established (a referral ending in a hire), linked to its
    enterprise. The caller has checked the actor may act on the person (an employer holds no registry
    permission but records its own hires); returns None when the event repeats the latest one."""
    with transaction.atomic():
        event = _add_event(person, change, source=source, actor=actor)
        if event is None:
            return None
        if enterprise is not None:
            event.enterprise = enterprise
            event.save(update_fields=["enterprise"])
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            object_type="registry.person",
            object_id=person.pk,
            request=request,
            changes={
                "status": change.status,
                "occurred_on": str(change.occurred_on),
                "employer_name": change.employer_name,
                "enterprise": getattr(enterprise, "pk", None),
                "source": source,
            },
        )
        transaction.on_commit(signature("matching.person_changed", args=(person.pk,)).delay)
    return event
