"""Consent to job pushes, per channel: record grants and withdrawals, and answer "may we push?".

``Consent`` rows are the history (who recorded what, when, from which source). The person's
``consent_<channel>`` columns hold the state in force, written in the same transaction as the row, so
``may_push`` is a column read and ``pushable_queryset`` a plain filter. A withdrawal takes effect at once.
"Consents on some channel" is ``any_channel_q()``; the date of a consent is its ``Consent`` row.
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.accounts.scoping import code_in_scope
from wengang.audit.models import Action
from wengang.audit.services import audit_record

from .models import CONSENT_FIELDS, Consent, ConsentChannel, ConsentSource, Person


def _field(channel: str) -> str:
    try:
        return CONSENT_FIELDS[channel]
    except KeyError:
        raise ValidationError(
            {
                "channel": _("Unknown push channel %(channel)s; use one of: %(known)s.")
                % {"channel": channel, "known": "、".join(str(label) for label in ConsentChannel.labels)}
            }
        ) from None


def may_push(person: Person, channel: str) -> bool:
    """Whether consent to job pushes on ``channel`` is in force for the person (False: unknown channel)."""
    field = CONSENT_FIELDS.get(channel)
    return bool(field and getattr(person, field))


def pushable_queryset(qs: QuerySet[Person], channel: str) -> QuerySet[Person]:
    """``qs`` limited to people who consent to pushes on ``channel`` (nobody for an unknown channel)."""
    field = CONSENT_FIELDS.get(channel)
    if field is None:
        return qs.none()
    return qs.filter(**{field: True})


def any_channel_q(prefix: str = "") -> Q:
    """Consents to pushes on at least one channel (``prefix`` e.g. ``"person__"`` from a related model)."""
    return reduce(or_, (Q(**{f"{prefix}{field}": True}) for field in CONSENT_FIELDS.values()))


def consent_state(person: Person) -> dict[str, bool]:
    """channel → consent in force, for every channel."""
    return {channel: bool(getattr(person, field)) for channel, field in CONSENT_FIELDS.items()}


def consent_record(
    *,
    actor: Any,
    person: Person,
    channel: str,
    granted: bool,
    source: str = ConsentSource.STAFF,
    note: str = "",
    recorded_at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Consent:
    """Record a grant or a withdrawal on one channel; it is in force as soon as the transaction commits.

    Staff record within their area; a worker records only their own consent (``source`` worker); a reply
    such as "TD" withdraws it with no actor (``source`` reply).
    """
    field = _field(channel)
    if source not in ConsentSource.values:
        raise ValidationError({"source": _("Unknown consent source.")})
    if source == ConsentSource.WORKER and getattr(actor, "person_id", None) == person.pk:
        pass  # a worker's own choice
    elif source == ConsentSource.REPLY and actor is None:
        if granted:
            raise PermissionDenied(_("A reply to a message can only withdraw consent."))
    elif not actor.can("registry.edit"):
        raise PermissionDenied(_("Your roles do not allow editing the registry."))
    elif not code_in_scope(actor, person.village_code):
        raise PermissionDenied(
            _("The village %(code)s is outside your area.") % {"code": person.village_code}
        )
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": _("The note is longer than 200 characters.")})
    when = recorded_at or timezone.now()
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        before = bool(getattr(locked, field))
        row = Consent.objects.create(
            person=locked,
            channel=channel,
            granted=granted,
            recorded_at=when,
            source=source,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            note=note,
        )
        setattr(locked, field, granted)
        locked.save(update_fields=[field, "updated_at"])
        for name in (field, "updated_at"):
            setattr(person, name, getattr(locked, name))
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            object_type="registry.person",
            object_id=person.pk,
            request=request,
            changes={
                "consent": channel,
                "granted": [before, granted],
                "source": source,
                **({"note": note} if note else {}),
            },
        )
    return row


def consent_history(person: Person, limit: int = 100) -> list[Consent]:
    return list(person.consents.select_related("recorded_by")[:limit])
