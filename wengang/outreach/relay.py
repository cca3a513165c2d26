"""The relay: takes due messages from the outbox and hands them to the channel's gateway.

One pass claims a batch (``queued`` or ``held`` and due) by moving it to ``sending`` with a lease, commits,
sends, then records each outcome. Messages are checked again at send time: a person who withdrew consent
since the message was queued is skipped; in quiet hours a non-urgent message is held until they end.
Transient errors are retried with exponential backoff and full jitter; permanent ones fail the message.

A relay killed mid-pass leaves its batch in ``sending``. When the lease has run out, a batch sent through a
gateway that reports every accepted message by our key (``confirms_by_receipt``) is requeued only if no
report arrived within the grace period — so a message the gateway accepted is never sent twice; any other
batch is requeued at once, and the gateway's own idempotency key (WeChat ``client_msg_id``) or ours
(SMTP ``Message-ID``) catches the repeat.

Pacing: a token bucket at the channel's contracted rate, and the daily quota; one relay per channel.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from wengang.core import crypto
from wengang.registry.models import CONSENT_FIELDS

from . import sms
from .backends import Backend, Outgoing, PermanentError, Sent, TransientError, backend_for
from .choices import Channel, MessageState
from .conf import outreach_conf
from .models import Campaign, Message, WeChatBinding

logger = logging.getLogger(__name__)


_conf = outreach_conf


def in_quiet_hours(channel: str, now: dt.datetime) -> dt.datetime | None:
    """When quiet hours on ``channel`` end, if ``now`` is inside them; else None."""
    if channel not in _conf()["quiet_channels"]:
        return None
    start, end = _conf()["quiet_hours"]
    local = timezone.localtime(now)
    if local.hour >= start:
        day = local.date() + dt.timedelta(days=1)
    elif local.hour < end:
        day = local.date()
    else:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(end)), timezone.get_current_timezone())


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait before attempt ``attempts + 1``: 30 s doubling to an hour, full jitter."""
    ceiling = min(3600.0, 30.0 * 2 ** max(0, attempts - 1))
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)
    return max(delay, retry_after or 0.0)


@dataclass
class RelayStats:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, other: RelayStats) -> None:
        self.counts.update(other.counts)

    @property
    def sent(self) -> int:
        return self.counts["sent"]


def hold_for_quiet_hours(channel: str, now: dt.datetime) -> int:
    """Move due non-urgent messages on ``channel`` to ``held`` until quiet hours end."""
    until = in_quiet_hours(channel, now)
    if until is None:
        return 0
    return Message.objects.filter(
        channel=channel, state=MessageState.QUEUED, urgent=False, next_attempt_at__lte=now
    ).update(state=MessageState.HELD, next_attempt_at=until)


def reclaim_stale(channel: str, now: dt.datetime, backend: Backend) -> int:
    """Requeue messages left ``sending`` by a relay that died (see the module docstring)."""
    cutoff = now
    if backend.confirms_by_receipt:
        cutoff = now - dt.timedelta(seconds=_conf()["receipt_grace_s"])
    return Message.objects.filter(
        channel=channel, state=MessageState.SENDING, claimed_until__lt=cutoff
    ).update(state=MessageState.QUEUED, next_attempt_at=now, claimed_until=None)


def claim(channel: str, limit: int, now: dt.datetime) -> list[Message]:
    """Claim up to ``limit`` due messages; concurrent relays on PostgreSQL skip each other's rows."""
    due = Q(channel=channel, state__in=[MessageState.QUEUED, MessageState.HELD], next_attempt_at__lte=now)
    if in_quiet_hours(channel, now) is not None:
        due &= Q(urgent=True)
    lease = now + dt.timedelta(seconds=_conf()["lease_s"])
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        # The attempt is counted when claimed: a delivery report may settle the row before we record it.
        Message.objects.filter(pk__in=ids).update(
            state=MessageState.SENDING, claimed_until=lease, attempts=F("attempts") + 1
        )
    return list(
        Message.objects.filter(pk__in=ids)
        .select_related("person")
        .only(
            "id",
            "idempotency_key",
            "channel",
            "address",
            "subject",
            "body",
            "essential",
            "attempts",
            "postings",
            "campaign_id",
            "person__id",
            "person__phone_encrypted",
            *(f"person__{f}" for f in CONSENT_FIELDS.values()),
        )
        .order_by("id")
    )


def _address(message: Message, openids: dict[int, str]) -> str:
    if message.address or message.person is None:
        return message.address
    if message.channel == Channel.SMS:
        return crypto.decrypt(message.person.phone_encrypted) if message.person.phone_encrypted else ""
    if message.channel == Channel.WECHAT:
        return openids.get(message.person.pk, "")
    return ""


def _link(message: Message) -> str:
    if not message.postings:
        return ""
    return f"{settings.WENGANG_PUBLIC_URL}/board/{message.postings[0]}/"


@dataclass
class Prepared:
    """A claimed batch ready to send: what goes out, and the claimed rows by id."""

    outgoing: list[Outgoing] = field(default_factory=list)
    by_id: dict[int, Message] = field(default_factory=dict)
    stats: RelayStats = field(default_factory=RelayStats)


def relay_once(channel: str, *, limit: int, backend: Backend, now: dt.datetime | None = None) -> RelayStats:
    """One pass: claim up to ``limit`` messages, send them, record the outcomes."""
    prepared = prepare(channel, limit=limit, now=now)
    if prepared.outgoing:
        outcomes = backend.send_many(prepared.outgoing)
        _record(channel, prepared.outgoing, outcomes, prepared.by_id, prepared.stats)
    return prepared.stats


def prepare(channel: str, *, limit: int, now: dt.datetime | None = None) -> Prepared:
    """Claim up to ``limit`` due messages; settle those skipped (consent withdrawn) or without an address."""
    now = now or timezone.now()
    prepared = Prepared()
    stats = prepared.stats
    batch = claim(channel, limit, now)
    if not batch:
        return prepared
    openids: dict[int, str] = {}
    template_ids: dict[int, str] = {}
    if channel == Channel.WECHAT:
        campaign_ids = {m.campaign_id for m in batch if m.campaign_id}
        template_ids = dict(
            Campaign.objects.filter(pk__in=campaign_ids).values_list("pk", "template__wechat_template_id")
        )
        person_ids = [m.person.pk for m in batch if m.person is not None]
        openids = dict(
            WeChatBinding.objects.filter(person_id__in=person_ids).values_list("person_id", "openid")
        )
    skipped: list[int] = []
    no_address: list[int] = []
    outgoing = prepared.outgoing
    by_id = prepared.by_id
    consent_field = CONSENT_FIELDS.get(channel)
    for message in batch:
        if (
            message.person is not None
            and not message.essential
            and consent_field is not None
            and not getattr(message.person, consent_field)
        ):
            skipped.append(message.pk)
            continue
        address = _address(message, openids)
        if not address:
            no_address.append(message.pk)
            continue
        body = (
            sms.sms_text(message.body, essential=message.essential)
            if channel == Channel.SMS
            else message.body
        )
        outgoing.append(
            Outgoing(
                message_id=message.pk,
                key=message.idempotency_key,
                channel=channel,
                address=address,
                body=body,
                subject=message.subject,
                link=_link(message),
                template_id=template_ids.get(message.campaign_id or 0, ""),
            )
        )
        by_id[message.pk] = message
    if skipped:
        Message.objects.filter(pk__in=skipped, state=MessageState.SENDING).update(
            state=MessageState.SKIPPED, claimed_until=None
        )
        stats.counts["skipped"] += len(skipped)
    if no_address:
        Message.objects.filter(pk__in=no_address, state=MessageState.SENDING).update(
            state=MessageState.FAILED, claimed_until=None, last_error="no address on this channel"
        )
        stats.counts["failed"] += len(no_address)
    return prepared


def _record(
    channel: str,
    outgoing: list[Outgoing],
    outcomes: list[Any],
    by_id: dict[int, Message],
    stats: RelayStats,
) -> None:
    now = timezone.now()
    sent_plain: list[int] = []
    max_attempts = _conf()["max_attempts"]
    with transaction.atomic():
        for item, outcome in zip(outgoing, outcomes, strict=True):
            message = by_id[item.message_id]
            attempts = message.attempts  # counted when claimed
            if isinstance(outcome, Sent) and not outcome.delivered and not outcome.gateway_ref:
                # Recorded for the whole batch below: no queryset per message on the hot path.
                sent_plain.append(item.message_id)
                stats.counts["sent"] += 1
                continue
            mine = Message.objects.filter(pk=item.message_id, state=MessageState.SENDING)
            if isinstance(outcome, Sent):
                if outcome.delivered:
                    mine.update(
                        state=MessageState.DELIVERED,
                        sent_at=now,
                        delivered_at=now,
                        gateway_ref=outcome.gateway_ref[:100],
                        claimed_until=None,
                    )
                else:  # a gateway reference to keep (plain sends were batched above)
                    mine.update(
                        state=MessageState.SENT,
                        sent_at=now,
                        gateway_ref=outcome.gateway_ref[:100],
                        claimed_until=None,
                    )
                stats.counts["sent"] += 1
            elif isinstance(outcome, TransientError) and attempts < max_attempts:
                mine.update(
                    state=MessageState.QUEUED,
                    next_attempt_at=now + dt.timedelta(seconds=backoff(attempts, outcome.retry_after)),
                    last_error=str(outcome)[:300],
                    claimed_until=None,
                )
                stats.counts["retried"] += 1
            else:
                error = outcome if isinstance(outcome, Exception) else PermanentError(str(outcome))
                mine.update(
                    state=MessageState.FAILED,
                    last_error=str(error)[:300],
                    claimed_until=None,
                )
                stats.counts["failed"] += 1
        if sent_plain:
            # A receipt may already have moved some on (sent → delivered): only ``sending`` rows change.
            Message.objects.filter(pk__in=sent_plain, state=MessageState.SENDING).update(
                state=MessageState.SENT, sent_at=now, claimed_until=None
            )


def sent_today(channel: str, now: dt.datetime) -> int:
    start = timezone.make_aware(
        dt.datetime.combine(timezone.localtime(now).date(), dt.time.min), timezone.get_current_timezone()
    )
    return Message.objects.filter(channel=channel, sent_at__gte=start).count()


class TokenBucket:
    """``rate`` tokens a second, at most ``rate`` in hand (one second's burst)."""

    def __init__(self, rate: float) -> None:
        self.rate = max(rate, 0.001)
        self.capacity = max(1.0, self.rate)
        self.tokens = 0.0
        self.stamp = time.monotonic()

    def take_exactly(self, wanted: int) -> None:
        """Wait until ``wanted`` tokens are in hand (at most the capacity), then take them."""
        wanted = min(wanted, int(self.capacity))
        while True:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= wanted:
                self.tokens -= wanted
                return
            time.sleep(min(0.05, (wanted - self.tokens) / self.rate))


def release(prepared: Prepared) -> int:
    """Give back a batch claimed but not sent (the relay is stopping): due again at once."""
    ids = list(prepared.by_id)
    if not ids:
        return 0
    return Message.objects.filter(pk__in=ids, state=MessageState.SENDING).update(
        state=MessageState.QUEUED, claimed_until=None
    )


def relay_drain(
    channel: str,
    *,
    max_seconds: float = 9.0,
    backend: Backend | None = None,
    batch: int = 500,
    stop_when_idle: bool = True,
) -> RelayStats:
    """Relay ``channel`` for up to ``max_seconds`` at its contracted rate (until idle, by default).

    Outside a transaction the work is pipelined over two more threads: while one batch is with the gateway,
    the next is claimed and the previous one's outcomes are recorded, so the gateway is kept busy at its
    contracted rate instead of waiting on our bookkeeping. A batch claimed but not sent when the relay
    stops is given back.
    """
    backend = backend or backend_for(channel)
    conf = _conf()
    rate = float(conf["rate_per_s"].get(channel, 10))
    quota = int(conf["daily_quota"].get(channel, 0))
    bucket = TokenBucket(rate)
    size = max(1, min(batch, int(rate)))  # a batch never needs more than one second's tokens
    stats = RelayStats()
    deadline = time.monotonic() + max_seconds
    now = timezone.now()
    reclaim_stale(channel, now, backend)
    hold_for_quiet_hours(channel, now)
    used = sent_today(channel, now)
    threaded = not connection.in_atomic_block
    writer = ThreadPoolExecutor(max_workers=1) if threaded else None
    claimer = ThreadPoolExecutor(max_workers=1) if threaded else None
    pending: Future[None] | None = None
    ahead: Future[Prepared] | None = None
    parts: list[RelayStats] = []  # per batch; the writer thread fills in the outcomes

    def settle() -> None:
        nonlocal pending
        if pending is not None:
            pending.result()
            pending = None

    def fetch(limit: int) -> Future[Prepared]:
        if claimer is not None:
            return claimer.submit(prepare, channel, limit=limit)
        done: Future[Prepared] = Future()
        done.set_result(prepare(channel, limit=limit))
        return done

    def room(in_flight: int = 0) -> int:
        return min(size, quota - used - in_flight) if quota else size

    try:
        while time.monotonic() < deadline:
            if ahead is None:
                if room() <= 0:
                    stats.counts["quota"] += 1
                    break
                ahead = fetch(room())
            prepared = ahead.result()
            ahead = None
            one = prepared.stats
            if not prepared.outgoing and not one.counts:
                settle()
                if stop_when_idle:
                    break
                time.sleep(0.5)
                now = timezone.now()
                reclaim_stale(channel, now, backend)
                hold_for_quiet_hours(channel, now)
                continue
            if prepared.outgoing:
                if room(len(prepared.outgoing)) > 0 and time.monotonic() < deadline:
                    ahead = fetch(room(len(prepared.outgoing)))  # claimed while this batch is out
                bucket.take_exactly(len(prepared.outgoing))
                outcomes = backend.send_many(prepared.outgoing)
                sent = sum(1 for o in outcomes if isinstance(o, Sent))
                settle()  # the previous batch is recorded before this one is handed over
                if writer is None:
                    _record(channel, prepared.outgoing, outcomes, prepared.by_id, one)
                else:
                    pending = writer.submit(
                        _record, channel, prepared.outgoing, outcomes, prepared.by_id, one
                    )
                used += sent
            parts.append(one)
        settle()
    finally:
        if ahead is not None:
            release(ahead.result())
        for pool in (writer, claimer):
            if pool is not None:
                pool.submit(connections.close_all).result()
                pool.shutdown()
        backend.close()
    for part in parts:
        stats.add(part)
    return stats
