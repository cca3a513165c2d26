"""Every write a worker makes on their own pages, and the specialist's answer to a correction request.

A worker holds no staff permission: each service here acts only on ``actor.person`` (the account's own
registry record), checks that, and audits with the worker as actor. The registry's histories get
``source`` worker (employment events, intents, consent); applications are referrals with source "self".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.accounts.scoping import code_in_scope
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.jobs.choices import OutcomeReason, ReferralSource
from wengang.jobs.models import Posting, Referral
from wengang.jobs.referrals import referral_record, referral_withdraw_own
from wengang.registry.choices import Intent, Source
from wengang.registry.consent import consent_record
from wengang.registry.models import (
    Consent,
    ConsentChannel,
    ConsentSource,
    EmploymentEvent,
    IntentRecord,
    Person,
)
from wengang.registry.services import EmploymentChange, employment_record

from .models import CorrectionRequest, Dismissal, RequestStatus

PERSON = "registry.person"
MAX_ITEMS = 20
MAX_ITEM_LENGTH = 30


def _own(actor: Any, person: Person) -> None:
    """A worker acts on their own record only."""
    if not getattr(actor, "is_authenticated", False) or getattr(actor, "person_id", None) != person.pk:
        raise PermissionDenied(_("You can only change your own record."))


def application_apply(
    *, actor: Any, person: Person, posting: Posting, note: str = "", request: HttpRequest | None = None
) -> Referral:
    """“我要报名”: the worker's own application, a referral with source self (staff and enterprise see it)."""
    _own(actor, person)
    return referral_record(
        actor=actor, person=person, posting=posting, source=ReferralSource.SELF, note=note, request=request
    )


def application_withdraw(
    *,
    actor: Any,
    person: Person,
    referral: Referral,
    reason: str = OutcomeReason.OTHER,
    request: HttpRequest | None = None,
) -> Referral:
    """The worker withdraws their own open application (or referral)."""
    _own(actor, person)
    if referral.person_id != person.pk:
        raise PermissionDenied(_("You can only change your own record."))
    return referral_withdraw_own(actor=actor, referral=referral, reason=reason, request=request)


def posting_dismiss(
    *, actor: Any, person: Person, posting: Posting, request: HttpRequest | None = None
) -> Dismissal:
    """“不感兴趣”: the posting is not recommended to this person again (idempotent)."""
    _own(actor, person)
    with transaction.atomic():
        existing = Dismissal.objects.filter(person=person, posting=posting).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                dismissal = Dismissal.objects.create(person=person, posting=posting)
        except IntegrityError:
            return Dismissal.objects.get(person=person, posting=posting)
        audit_record(
            action=Action.CREATE,
            actor=actor,
            object_type="workers.dismissal",
            object_id=dismissal.pk,
            request=request,
            changes={"person": person.pk, "posting": posting.pk},
        )
    return dismissal


def status_update(
    *, actor: Any, person: Person, change: EmploymentChange, request: HttpRequest | None = None
) -> EmploymentEvent | None:
    """The worker reports their employment: an employment event with source worker (None if unchanged)."""
    _own(actor, person)
    today = timezone.localdate()
    if change.occurred_on > today:
        raise ValidationError({"occurred_on": _("The date cannot be in the future.")})
    if change.occurred_on < today - dt.timedelta(days=366 * 3):
        raise ValidationError({"occurred_on": _("The date is more than three years ago.")})
    return employment_record(person=person, change=change, source=Source.WORKER, actor=actor, request=request)


def intent_update(
    *, actor: Any, person: Person, intent: str, destination: str = "", request: HttpRequest | None = None
) -> bool:
    """The worker states their intent for the season (an intent record with source worker)."""
    _own(actor, person)
    if intent not in Intent.values:
        raise ValidationError({"intent": _("Unknown intent.")})
    destination = (destination or "").strip()
    if len(destination) > 100:
        raise ValidationError({"destination": _("The destination is longer than 100 characters.")})
    with transaction.atomic():
        latest = person.intents.order_by("-recorded_on", "-id").first()
        if latest is not None and (latest.intent, latest.destination) == (intent, destination):
            return False
        IntentRecord.objects.create(
            person=person,
            intent=intent,
            destination=destination,
            recorded_on=timezone.localdate(),
            source=Source.WORKER,
        )
        before = person.intent
        person.intent = intent
        person.save(update_fields=["intent", "updated_at"])
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            object_type=PERSON,
            object_id=person.pk,
            request=request,
            changes={"intent": [before, intent], "destination": destination, "source": Source.WORKER},
        )
    return True


def _clean_items(items: list[str], field: str, label: str) -> list[str]:
    out: list[str] = []
    for item in items:
        item = item.strip()
        if not item or item in out:
            continue
        if len(item) > MAX_ITEM_LENGTH:
            raise ValidationError(
                {
                    field: _("%(label)s: “%(item)s” is longer than %(n)s characters.")
                    % {"label": label, "item": item[:40], "n": MAX_ITEM_LENGTH}
                }
            )
        out.append(item)
    if len(out) > MAX_ITEMS:
        raise ValidationError(
            {field: _("%(label)s: at most %(n)s entries.") % {"label": label, "n": MAX_ITEMS}}
        )
    return out


def skills_update(
    *,
    actor: Any,
    person: Person,
    skills: list[str],
    certificates: list[str],
    request: HttpRequest | None = None,
) -> list[str]:
    """The worker's own skills and certificates; returns what changed. The registry's staff services need
    ``registry.edit``, so this writes the two columns itself and audits them with source worker."""
    _own(actor, person)
    values = {
        "skills": _clean_items(skills, "skills", _("Skills")),
        "certificates": _clean_items(certificates, "certificates", _("Certificates")),
    }
    changed = {k: [getattr(person, k), v] for k, v in values.items() if list(getattr(person, k) or []) != v}
    if not changed:
        return []
    with transaction.atomic():
        for name, (_before, after) in changed.items():
            setattr(person, name, after)
        person.save(update_fields=[*changed, "updated_at"])
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            object_type=PERSON,
            object_id=person.pk,
            request=request,
            changes={**changed, "source": Source.WORKER},
        )
    return sorted(changed)


def consent_set(
    *, actor: Any, person: Person, channel: str, granted: bool, request: HttpRequest | None = None
) -> Consent:
    """The worker grants or withdraws consent to job pushes on one channel; in force at once."""
    _own(actor, person)
    if channel not in ConsentChannel.values:
        raise ValidationError({"channel": _("Unknown push channel.")})
    return consent_record(
        actor=actor,
        person=person,
        channel=channel,
        granted=granted,
        source=ConsentSource.WORKER,
        request=request,
    )


def correction_request_create(
    *, actor: Any, person: Person, field: str, text: str, request: HttpRequest | None = None
) -> CorrectionRequest:
    """A request to correct data the bureau holds (PIPL Art. 46); the township specialist handles it."""
    _own(actor, person)
    field, text = (field or "").strip(), (text or "").strip()
    if not field:
        raise ValidationError({"field": _("Say which information is wrong.")})
    if len(field) > 50:
        raise ValidationError({"field": _("“What is wrong” is longer than 50 characters.")})
    if not text:
        raise ValidationError({"text": _("Write the correct information.")})
    if len(text) > 500:
        raise ValidationError({"text": _("“The correct information” is longer than 500 characters.")})
    pending = CorrectionRequest.objects.filter(person=person, status=RequestStatus.PENDING).count()
    if pending >= 5:
        raise ValidationError(
            _("You already have 5 requests awaiting review; wait for an answer before sending more.")
        )
    with transaction.atomic():
        row = CorrectionRequest.objects.create(
            person=person, field=field, text=text, area_code=person.village_code
        )
        audit_record(
            action=Action.CREATE,
            actor=actor,
            object_type="workers.correction",
            object_id=row.pk,
            request=request,
            changes={"person": person.pk, "field": field},
        )
    return row


def correction_handle(
    *,
    actor: Any,
    correction: CorrectionRequest,
    status: str,
    reply: str,
    request: HttpRequest | None = None,
) -> CorrectionRequest:
    """A specialist accepts or rejects a correction request with a reply the worker sees.

    Accepting records the answer only: the specialist corrects the record itself on the registry's pages,
    where the change is checked and audited like any other.
    """
    if not actor.can("registry.edit"):
        raise PermissionDenied(_("Your roles do not allow editing the registry."))
    if not code_in_scope(actor, correction.area_code):
        raise PermissionDenied(
            _("The village %(code)s is outside your area.") % {"code": correction.area_code}
        )
    if status not in (RequestStatus.ACCEPTED, RequestStatus.REJECTED):
        raise ValidationError({"status": _("Choose accept or reject.")})
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError({"reply": _("Write a reply the worker will see.")})
    if len(reply) > 300:
        raise ValidationError({"reply": _("The reply is longer than 300 characters.")})
    with transaction.atomic():
        locked = CorrectionRequest.objects.select_for_update().get(pk=correction.pk)
        if locked.status != RequestStatus.PENDING:
            raise ValidationError(_("This request has already been answered."))
        locked.status = status
        locked.reply = reply
        locked.handled_by = actor
        locked.handled_at = timezone.now()
        locked.save(update_fields=["status", "reply", "handled_by", "handled_at", "updated_at"])
        audit_record(
            action=Action.REVIEW,
            actor=actor,
            object_type="workers.correction",
            object_id=locked.pk,
            request=request,
            changes={"status": [RequestStatus.PENDING, status], "person": locked.person_id},
        )
    return locked
