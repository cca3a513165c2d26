"""Writing many outbox rows at once, skipping those whose ``idempotency_key`` is already there.

PostgreSQL: COPY into a temporary table, then ``INSERT … SELECT … ON CONFLICT (idempotency_key) DO NOTHING``
(COPY alone would abort the whole batch on one duplicate). SQLite: ``INSERT OR IGNORE`` with
``executemany``. Each call is one transaction, so a crash loses at most the batch in hand and a re-run
writes only what is missing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection, transaction

from .models import Message


@dataclass(frozen=True)
class Row:
    idempotency_key: str
    channel: str
    state: str
    campaign_id: int | None
    person_id: int | None
    area_code: str
    body: str
    essential: bool
    urgent: bool
    postings: list[int]
    segments: int
    delivered: bool  # in-site messages are delivered by being written


# Every NOT NULL column of the table is given: Django's defaults are not database defaults.
COLUMNS: tuple[str, ...] = (
    "idempotency_key",
    "channel",
    "state",
    "campaign_id",
    "person_id",
    "address",
    "area_code",
    "subject",
    "body",
    "essential",
    "urgent",
    "postings",
    "segments",
    "attempts",
    "next_attempt_at",
    "gateway_ref",
    "last_error",
    "created_at",
    "delivered_at",
    "call_outcome",
    "call_note",
)

_STAGE = "outreach_message_stage"
_COPY_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A value in COPY's text format (``str.translate`` only when needed: it is slow on CJK text)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPE)
    return value


def messages_insert(rows: Sequence[Row], *, now: dt.datetime) -> int:
    """Insert ``rows`` (one transaction); return how many were new."""
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        return _insert_postgresql(rows, now)
    if connection.vendor == "sqlite":
        return _insert_sqlite(rows, now)
    return _insert_generic(rows, now)


class BatchWriter:
    """Writes batches in order; on PostgreSQL outside a transaction, on a thread of its own (with its own
    connection) while the caller renders the next batch, so rendering and the database work overlap.

    At most one batch is in flight. Inside a transaction (tests, a caller's atomic block) it writes inline:
    another connection would not see the rows the transaction has not committed.
    """

    def __init__(self) -> None:
        threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
        self._pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="outreach-writer") if threaded else None
        )
        self._pending: Future[int] | None = None

    def write(self, rows: Sequence[Row], *, now: dt.datetime) -> int:
        """Hand over a batch; return how many rows were new among the batches finished meanwhile."""
        if self._pool is None:
            return messages_insert(rows, now=now)
        done = self._pending.result() if self._pending is not None else 0
        self._pending = self._pool.submit(messages_insert, list(rows), now=now)
        return done

    def close(self) -> int:
        """Wait for the last batch; return its new rows. Always call it (``finally``)."""
        if self._pool is None:
            return 0
        try:
            return self._pending.result() if self._pending is not None else 0
        finally:
            self._pending = None
            self._pool.submit(_close_connection).result()
            self._pool.shutdown()


def _close_connection() -> None:
    """Close the calling thread's connection (``connection`` resolves per thread when called)."""
    connection.close()


def _insert_postgresql(rows: Sequence[Row], now: dt.datetime) -> int:
    table = Message._meta.db_table
    cols = ", ".join(COLUMNS)
    stamp = now.isoformat()
    lines: list[str] = []
    for r in rows:
        lines.append(
            "\t".join(
                (
                    _copy_text(r.idempotency_key),
                    r.channel,
                    r.state,
                    str(r.campaign_id) if r.campaign_id is not None else "\\N",
                    str(r.person_id) if r.person_id is not None else "\\N",
                    "",
                    r.area_code,
                    "",
                    _copy_text(r.body),
                    "t" if r.essential else "f",
                    "t" if r.urgent else "f",
                    json.dumps(r.postings),
                    str(r.segments),
                    "0",
                    stamp,
                    "",
                    "",
                    stamp,
                    stamp if r.delivered else "\\N",
                    "",
                    "",
                )
            )
        )
    data = ("\n".join(lines) + "\n").encode()
    nested = connection.in_atomic_block  # then no commit between batches empties the stage table
    with transaction.atomic(), connection.cursor() as cursor:
        # A batch lost in a server crash is written again by the re-run (idempotent); a later synchronous
        # commit — the relay claiming a message — flushes this one first, so nothing is sent unrecorded.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS "  # noqa: S608
            f"AS SELECT {cols} FROM {table} WITH NO DATA"
        )
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {_STAGE} ({cols}) FROM STDIN") as copy:
            copy.write(data)
        cursor.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {_STAGE} "  # noqa: S608
            "ON CONFLICT (idempotency_key) DO NOTHING"
        )
        inserted = cursor.rowcount
        if nested:
            cursor.execute(f"TRUNCATE {_STAGE}")
    return int(inserted)


def _insert_sqlite(rows: Sequence[Row], now: dt.datetime) -> int:
    table = Message._meta.db_table
    stamp = connection.ops.adapt_datetimefield_value(now)
    params = [
        (
            r.idempotency_key,
            r.channel,
            r.state,
            r.campaign_id,
            r.person_id,
            "",
            r.area_code,
            "",
            r.body,
            r.essential,
            r.urgent,
            json.dumps(r.postings),
            r.segments,
            0,
            stamp,
            "",
            "",
            stamp,
            stamp if r.delivered else None,
            "",
            "",
        )
        for r in rows
    ]
    sql = (
        f"INSERT OR IGNORE INTO {table} ({', '.join(COLUMNS)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        before = connection.connection.total_changes
        cursor.executemany(sql, params)
        return int(connection.connection.total_changes - before)


def _insert_generic(rows: Sequence[Row], now: dt.datetime) -> int:
    keys = [r.idempotency_key for r in rows]
    with transaction.atomic():
        before = Message.objects.filter(idempotency_key__in=keys).count()
        Message.objects.bulk_create(
            [
                Message(
                    idempotency_key=r.idempotency_key,
                    channel=r.channel,
                    state=r.state,
                    campaign_id=r.campaign_id,
                    person_id=r.person_id,
                    area_code=r.area_code,
                    body=r.body,
                    essential=r.essential,
                    urgent=r.urgent,
                    postings=r.postings,
                    segments=r.segments,
                    created_at=now,
                    next_attempt_at=now,
                    delivered_at=now if r.delivered else None,
                )
                for r in rows
            ],
            ignore_conflicts=True,
        )
        return Message.objects.filter(idempotency_key__in=keys).count() - before
