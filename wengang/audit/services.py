"""Writing and verifying the hash-chained audit log.

``audit_record`` runs inside the caller's transaction, so an audit row exists exactly when the change it
records does. Appends are serialised (an advisory lock on PostgreSQL; SQLite's IMMEDIATE transactions) so
the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wengang.core.masking import redact_text

from .models import AuditEvent, Result

GENESIS = "0" * 64
BREAK_REASONS = {
    "gap": _("an event is missing (deleted)"),
    "prev_hash": _("the link to the previous event does not match (events reordered or replaced)"),
    "hash": _("the event's content was changed"),
}
_LOCK_ID = 0x5745_4E47  # "WENG": the advisory lock that serialises appends on PostgreSQL

# The columns a hash covers, in order. Changing this list breaks every existing chain.
HASHED_FIELDS = (
    "id",
    "created_at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "changes",
    "reason",
    "ip",
    "result",
)


def _canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(prev_hash: str, values: tuple[Any, ...]) -> str:
    """SHA-256 over the previous hash and the event's fields in canonical JSON."""
    fields = list(values)
    fields[1] = _canonical_time(fields[1])
    payload = json.dumps(
        [prev_hash, *fields], ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: str,
    actor: Any = None,
    actor_username: str = "",
    object_type: str = "",
    object_id: str | int = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
    ip: str | None = None,
    result: str = Result.SUCCESS,
) -> AuditEvent:
    """Append one event to the chain, inside the current transaction (or a new one)."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_id: int | None = actor.pk
        actor_username = actor.get_username()
    else:
        actor_id = None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
        last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        prev_id, prev_hash = last if last else (0, GENESIS)
        event = AuditEvent(
            id=prev_id + 1,
            created_at=timezone.now(),
            actor_id=actor_id,
            actor_username=actor_username[:150],
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            changes=json.loads(json.dumps(changes or {}, default=str)),
            reason=redact_text(reason)[:500],
            ip=ip if ip is not None else client_ip(request),
            result=result,
            prev_hash=prev_hash,
        )
        event.hash = event_hash(prev_hash, tuple(getattr(event, f) for f in HASHED_FIELDS))
        event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    ok: bool
    broken_id: int | None = None
    reason: str = ""

    @property
    def reason_display(self) -> str:
        """What the reason code means, for people."""
        return str(BREAK_REASONS.get(self.reason, self.reason))


def verify_rows(
    rows: Iterable[tuple[Any, ...]], *, on_progress: Callable[[int], None] | None = None, every: int = 50_000
) -> VerifyResult:
    """Check a chain given rows of (``*HASHED_FIELDS``, prev_hash, hash) in id order.

    Names the first broken link: a row whose stored hash does not match its content, whose prev_hash does
    not match the row before it, or a gap in the ids (a deleted row).
    """
    expected_prev = GENESIS
    expected_id = None
    checked = 0
    for row in rows:
        *values, prev_hash, stored = row
        row_id = values[0]
        if expected_id is not None and row_id != expected_id:
            return VerifyResult(checked, False, row_id, "gap")
        if prev_hash != expected_prev:
            return VerifyResult(checked, False, row_id, "prev_hash")
        if event_hash(prev_hash, tuple(values)) != stored:
            return VerifyResult(checked, False, row_id, "hash")
        expected_prev = stored
        expected_id = row_id + 1
        checked += 1
        if on_progress is not None and checked % every == 0:
            on_progress(checked)
    return VerifyResult(checked, True)


def _chain_rows(chunk: int = 5_000) -> Iterator[tuple[Any, ...]]:
    """Stream the chain in id order with keyset pagination (constant memory on any database)."""
    last = 0
    fields = (*HASHED_FIELDS, "prev_hash", "hash")
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last).order_by("id").values_list(*fields)[:chunk])
        if not batch:
            return
        yield from batch
        last = batch[-1][0]


def audit_verify(*, on_progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Verify the whole stored chain."""
    return verify_rows(_chain_rows(), on_progress=on_progress)
