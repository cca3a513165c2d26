"""Message retention: texts are kept for the period the city sets (``retention_days``), then emptied.

The rows stay (who was contacted on which channel, when, with what outcome, for the statistics); their
bodies, subjects and call notes, and the text of replies, are removed. Runs in batches, and running it twice
changes nothing the second time. A message still waiting to be sent or called keeps its text until it is
finished (the next run empties it): a call on the list must still say why to call.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from .choices import PENDING_STATES, MessageState
from .conf import outreach_conf
from .models import Inbound, Message

logger = logging.getLogger(__name__)
BATCH = 1000
UNFINISHED = sorted({*PENDING_STATES, MessageState.SENDING})


def retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=int(outreach_conf()["retention_days"]))


def messages_purge(now: dt.datetime | None = None) -> int:
    """Empty the texts of messages and replies older than the retention period; the number of rows emptied."""
    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    messages = 0
    while True:
        ids = list(
            Message.objects.filter(created_at__lt=cutoff, purged_at__isnull=True)
            .exclude(state__in=UNFINISHED)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        with transaction.atomic():
            messages += Message.objects.filter(pk__in=ids, purged_at__isnull=True).update(
                body="", subject="", call_note="", purged_at=now
            )
    replies = 0
    while True:
        ids = list(
            Inbound.objects.filter(received_at__lt=cutoff)
            .exclude(body="")
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        with transaction.atomic():
            replies += Inbound.objects.filter(pk__in=ids).update(body="")
    if messages or replies:
        logger.info(
            "outreach purge: %s messages and %s replies emptied (before %s)", messages, replies, cutoff
        )
    return messages + replies
