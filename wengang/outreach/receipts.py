"""Delivery reports from gateways, applied to the outbox.

A report names the message by our id (Kannel's ``dlr-url`` and WeChat's callbacks carry it) or by the
gateway's reference. ``submitted`` means the gateway handed it to the operator; ``delivered`` and
``failed`` are final. A state never moves backwards: a late "submitted" after "delivered" changes nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .choices import MessageState
from .models import Message, Receipt

SUBMITTED = "submitted"
DELIVERED = "delivered"
FAILED = "failed"

_FROM: dict[str, tuple[str, ...]] = {
    SUBMITTED: (MessageState.QUEUED, MessageState.HELD, MessageState.SENDING),
    DELIVERED: (MessageState.QUEUED, MessageState.HELD, MessageState.SENDING, MessageState.SENT),
    FAILED: (MessageState.QUEUED, MessageState.HELD, MessageState.SENDING, MessageState.SENT),
}


def receipt_record(
    *,
    channel: str,
    status: str,
    message_id: int | None = None,
    gateway_ref: str = "",
    detail: str = "",
) -> Message | None:
    """Apply one report; answers the message it was about (None if it names no message of ours)."""
    if status not in _FROM:
        raise ValueError(f"unknown receipt status {status!r}")
    qs = Message.objects.filter(channel=channel)
    if message_id is not None:
        qs = qs.filter(pk=message_id)
    elif gateway_ref:
        qs = qs.filter(gateway_ref=gateway_ref)
    else:
        return None
    now = timezone.now()
    with transaction.atomic():
        message = qs.select_for_update().first()
        Receipt.objects.create(message=message, channel=channel, status=status, detail=detail[:300])
        if message is None:
            return None
        if message.state in _FROM[status]:
            fields = ["state", "claimed_until"]
            message.claimed_until = None
            if status == SUBMITTED:
                message.state = MessageState.SENT
            elif status == DELIVERED:
                message.state = MessageState.DELIVERED
                message.delivered_at = now
                fields.append("delivered_at")
            else:
                message.state = MessageState.FAILED
                message.last_error = detail[:300]
                fields.append("last_error")
            if message.sent_at is None:
                message.sent_at = now
                fields.append("sent_at")
            message.save(update_fields=fields)
    return message
