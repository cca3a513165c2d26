"""Writing messages to the outbox. Call inside the business change's transaction: the row commits with it.

``message_enqueue`` writes one row; queuing the same ``idempotency_key`` again returns the row already
there. A message to a person who has not consented on the channel is written as ``skipped`` (unless it is
essential), so the record shows who was not reached and why. In-site messages are delivered by being
written; phone calls wait in the call list until a caller records the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from wengang.registry.consent import may_push
from wengang.registry.models import Person

from . import sms
from .choices import RELAYED_CHANNELS, Channel, MessageState
from .models import Campaign, Message


def initial_state(channel: str, person: Person | None, *, essential: bool) -> str:
    if person is not None and not essential and not may_push(person, channel):
        return MessageState.SKIPPED
    if channel == Channel.APP:
        return MessageState.DELIVERED
    return MessageState.QUEUED


def sms_segments_of(channel: str, body: str, essential: bool) -> int:
    return sms.segment_count(sms.sms_text(body, essential=essential)) if channel == Channel.SMS else 0


def message_enqueue(
    *,
    channel: str,
    idempotency_key: str,
    body: str,
    person: Person | None = None,
    address: str = "",
    subject: str = "",
    essential: bool = False,
    urgent: bool = False,
    campaign: Campaign | None = None,
    postings: Iterable[int] = (),
    area_code: str = "",
    kick: bool = True,
) -> Message:
    """Write one message (or return the one already written under ``idempotency_key``)."""
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    state = initial_state(channel, person, essential=essential)
    now = timezone.now()
    fields: dict[str, Any] = {
        "channel": channel,
        "state": state,
        "campaign": campaign,
        "person": person,
        "address": address,
        "area_code": area_code or (person.village_code if person is not None else ""),
        "subject": subject,
        "body": body,
        "essential": essential,
        "urgent": urgent,
        "postings": list(postings),
        "segments": sms_segments_of(channel, body, essential),
        "created_at": now,
        "next_attempt_at": now,
        "delivered_at": now if state == MessageState.DELIVERED else None,
    }
    try:
        with transaction.atomic():
            message = Message.objects.create(idempotency_key=idempotency_key, **fields)
    except IntegrityError:
        return Message.objects.get(idempotency_key=idempotency_key)
    if kick and state == MessageState.QUEUED and channel in RELAYED_CHANNELS:
        relay_soon(channel)
    return message


def relay_soon(channel: str) -> None:
    """Ask a worker to relay ``channel`` once the current transaction commits (beat also runs it)."""
    from .tasks import relay

    transaction.on_commit(lambda: relay.delay(channel))
