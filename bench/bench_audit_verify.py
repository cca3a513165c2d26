"""``audit-verify`` time on 1 million audit rows.

Builds a valid hash chain of ``rows`` audit events straight into the (throwaway) database, then times
``wengang.audit.services.audit_verify()`` — the code ``wengang audit-verify`` runs — over it. The peer,
measured in the same run on the same rows, is the obvious ORM way: iterate model instances in id order and
recompute each hash. Last, one row in the middle is edited behind the append-only trigger's back and the
time for ``audit_verify()`` to name it is taken.

Scale: small = 100,000 rows, city = 1,000,000 rows.

Set ``BENCH_AUDIT_INSERT=orm`` to generate with ``bulk_create`` instead of the default raw path (SQLite
``executemany``, PostgreSQL ``COPY``); the rows and hashes are the same, only slower to write.
"""

from __future__ import annotations

import gc
import json
import os
import random
import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DatabaseError, connection, transaction

from wengang.audit.models import Action, AuditEvent, Result
from wengang.audit.services import GENESIS, HASHED_FIELDS, VerifyResult, audit_verify, event_hash
from wengang.core.masking import redact_text

NAME = "audit_verify"
PEER = (
    "Naive ORM verification on the same rows in the same run: "
    "AuditEvent.objects.order_by('id').iterator(chunk_size=2000) model instances, recomputing "
    "event_hash per row with the same checks (id gap, prev_hash link, stored hash)."
)
ROWS = {"small": 100_000, "city": 1_000_000}
CHUNK = 10_000  # rows generated, inserted and committed together
SEED = 20_260_101
START = datetime(2025, 1, 1, 0, 0, tzinfo=UTC)  # created_at of row 1; each next row ~1 s later
TABLE = AuditEvent._meta.db_table
COLUMNS = [AuditEvent._meta.get_field(f).column for f in (*HASHED_FIELDS, "prev_hash", "hash")]
SQLITE_TRIGGER = (
    "CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only (UPDATE rejected)'); END;"
)

# --- realistic events ----------------------------------------------------------------------------------

_SURNAMES = ("wang", "li", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu", "xu", "sun", "ma")
_GIVEN = ("fang", "wei", "na", "min", "jing", "lei", "qiang", "yan", "jun", "tao", "ping", "hui", "xin")
USERS = [(i, f"{_SURNAMES[i % 13]}.{_GIVEN[(i * 7) % 13]}{i:02d}") for i in range(1, 241)]
REASONS = (
    "核对用工备案信息",
    "用户申请更正联系电话",
    "按科室要求导出本月数据",
    "账号长期未使用，予以停用",
    "协助劳动监察大队核查",
    "Employer asked for a correction by letter",
)
_PLACES = ("洛龙区开元大道", "西工区中州路", "涧西区建设路", "老城区九都路", "瀍河区启明南路")
# Reasons pass through redact_text in audit_record; these contain nothing it would mask.
assert all(redact_text(r) == r for r in REASONS)

# (kind, weight): the rough mix of a working office — mostly views, some edits, rare admin actions.
KINDS = (
    ("view_employer", 40),
    ("view_home", 8),
    ("login", 10),
    ("logout", 6),
    ("two_factor", 5),
    ("login_failed", 3),
    ("lockout", 0.3),
    ("create", 8),
    ("update", 12),
    ("disable", 0.5),
    ("export", 2),
    ("unmask", 2),
    ("token_create", 0.2),
    ("import", 0.5),
    ("verify", 0.1),
)
_KIND_NAMES = [k for k, _ in KINDS]
_KIND_WEIGHTS = [w for _, w in KINDS]

Event = tuple[int | None, str, str, str, str, dict[str, Any], str, str | None, str]


def make_event(kind: str, rng: random.Random) -> Event:
    """(actor_id, actor_username, action, object_type, object_id, changes, reason, ip, result)."""
    actor_id, username = USERS[rng.randrange(len(USERS))]
    ip: str | None = f"127.0.0.{rng.randrange(1, 255)}"
    reason = ""
    result = Result.SUCCESS.value
    changes: dict[str, Any] = {}
    object_type, object_id = "employers.employer", str(rng.randrange(1, 60_000))
    if kind == "view_employer":
        action = Action.VIEW
    elif kind == "view_home":
        action, object_type, object_id = Action.VIEW, "dashboards.home", ""
    elif kind in ("login", "logout", "two_factor"):
        action = {"login": Action.LOGIN, "logout": Action.LOGOUT, "two_factor": Action.TWO_FACTOR}[kind]
        object_type, object_id = "accounts.user", str(actor_id)
        if kind == "two_factor":
            changes = {"stage": "totp"}
    elif kind == "login_failed":
        action, object_type, result = Action.LOGIN_FAILED, "accounts.user", Result.FAILURE.value
        object_id = str(actor_id) if rng.random() < 0.8 else ""
        changes = {"stage": rng.choice(("password", "totp"))}
        actor_id = None
        if not object_id:
            username = rng.choice(("admin", "root", "test", username.upper()))
    elif kind == "lockout":
        action, object_type, object_id = Action.LOCKOUT, "accounts.user", str(actor_id)
        changes, result, actor_id = {"minutes": 15}, Result.DENIED.value, None
    elif kind == "create":
        action = Action.CREATE
        changes = {"name": f"洛阳市{rng.randrange(1000)}号建筑劳务有限公司", "workers": rng.randrange(1, 400)}
    elif kind == "update":
        action = Action.UPDATE
        old, new = rng.sample(_PLACES, 2)
        changes = {"address": [f"{old}{rng.randrange(1, 300)}号", f"{new}{rng.randrange(1, 300)}号"]}
        if rng.random() < 0.3:
            reason = rng.choice(REASONS)
    elif kind == "disable":
        action, object_type = Action.DISABLE, "accounts.user"
        object_id = str(rng.randrange(1, 241))
        changes, reason = {"is_active": [True, False], "sessions_ended": rng.randrange(3)}, REASONS[3]
    elif kind == "export":
        action, reason = Action.EXPORT, REASONS[2]
        object_id = ""
        changes = {"rows": rng.randrange(10, 20_000), "format": rng.choice(("xlsx", "csv"))}
    elif kind == "unmask":
        action, reason = Action.UNMASK, rng.choice(REASONS[:2] + REASONS[4:])
        changes = {"field": rng.choice(("phone", "id_number"))}
        if rng.random() < 0.05:
            result = Result.DENIED.value
    elif kind == "token_create":
        action, object_type = Action.TOKEN_CREATE, "accounts.apitoken"
        object_id, changes = str(rng.randrange(1, 500)), {"user": username}
    elif kind == "import":
        action, object_type, object_id = Action.IMPORT, "regions.region", ""
        changes = {"created": rng.randrange(50), "updated": rng.randrange(3000), "file": "regions-410300.csv"}
    else:  # the nightly chain verification, run by the worker
        action, object_type, object_id = Action.VERIFY, "audit.chain", ""
        actor_id, username, ip = None, "", None
        changes = {"checked": rng.randrange(1, 1_000_000), "ok": True}
    return actor_id, username, action.value, object_type, object_id, changes, reason, ip, result


# --- generating the chain ------------------------------------------------------------------------------

Row = tuple[Any, ...]  # (*HASHED_FIELDS values, changes as JSON text, prev_hash, hash)


def empty_table() -> None:
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("TRUNCATE audit_auditevent RESTART IDENTITY")  # the trigger rejects DELETE
        else:
            cur.execute("DELETE FROM audit_auditevent")  # SQLite's trigger rejects only UPDATE


def chain(rows: int) -> Any:
    """Yield lists of CHUNK rows forming one valid chain, hashed exactly as audit_record hashes."""
    rng = random.Random(SEED)
    prev = GENESIS
    created = START
    for first in range(1, rows + 1, CHUNK):
        ids = range(first, min(first + CHUNK, rows + 1))
        batch: list[Row] = []
        for row_id, kind in zip(
            ids, rng.choices(_KIND_NAMES, weights=_KIND_WEIGHTS, k=len(ids)), strict=True
        ):
            created += timedelta(microseconds=rng.randrange(200_000, 1_800_000))
            actor_id, username, action, object_type, object_id, changes, reason, ip, result = make_event(
                kind, rng
            )
            encoded = json.dumps(changes, default=str)
            changes = json.loads(encoded)  # what audit_record stores: the JSON round trip
            values = (row_id, created, actor_id, username, action, object_type, object_id, changes, reason)
            values += (ip, result)
            digest = event_hash(prev, values)
            batch.append((*values, encoded, prev, digest))
            prev = digest
        yield batch


def _insert_sql() -> str:
    # Table and column names come from the model's _meta, not from input.
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    return f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({placeholders})"  # noqa: S608


def write_sqlite(batch: list[Row]) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    params = [(r[0], adapt(r[1]), *r[2:7], r[11], *r[8:11], r[12], r[13]) for r in batch]
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(_insert_sql(), params)


def write_postgresql(batch: list[Row]) -> None:
    with transaction.atomic(), connection.cursor() as cur:
        with cur.cursor.copy(f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for r in batch:
                copy.write_row((*r[:7], r[11], *r[8:11], r[12], r[13]))


def write_orm(batch: list[Row]) -> None:
    names = (*HASHED_FIELDS, "prev_hash", "hash")
    objs = [AuditEvent(**dict(zip(names, (*r[:11], r[12], r[13]), strict=True))) for r in batch]
    with transaction.atomic():
        AuditEvent.objects.bulk_create(objs, batch_size=2_000)


def generate(rows: int) -> dict[str, Any]:
    method = os.environ.get("BENCH_AUDIT_INSERT", "raw")
    if method == "raw" and connection.vendor == "sqlite":
        write, method = write_sqlite, "sqlite executemany"
    elif method == "raw" and connection.vendor == "postgresql":
        write, method = write_postgresql, "postgresql COPY"
    else:
        write, method = write_orm, "bulk_create"
    empty_table()
    started = time.perf_counter()
    for batch in chain(rows):
        write(batch)
    seconds = time.perf_counter() - started
    figures: dict[str, Any] = {
        "rows": rows,
        "generate_seconds": round(seconds, 2),
        "generate_rows_per_second": round(rows / seconds),
        "generate_method": method,
    }
    if connection.vendor == "postgresql":
        # A production table has been vacuumed; without this the first reader pays for setting hint bits.
        started = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(f"VACUUM (ANALYZE) {TABLE}")
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), %s)", [rows])
        figures["vacuum_seconds"] = round(time.perf_counter() - started, 2)
    figures["database_mb"] = round(database_bytes() / 2**20, 1)
    return figures


def database_bytes() -> int:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT pg_total_relation_size(%s)", [TABLE])
        else:
            cur.execute("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
        return int(cur.fetchone()[0])


# --- measuring -----------------------------------------------------------------------------------------


class RssPeak:
    """Samples this process's resident memory every 10 ms; ``growth_mb`` is the peak above the start."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self.start = self.peak = 0

    @staticmethod
    def rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.rss())

    def __enter__(self) -> RssPeak:
        self.start = self.peak = self.rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())

    @property
    def growth_mb(self) -> float:
        return round((self.peak - self.start) / 2**20, 1)


def timed(fn: Callable[[], VerifyResult]) -> tuple[VerifyResult, float, float]:
    gc.collect()
    with RssPeak() as mem:
        started = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - started
    return result, seconds, mem.growth_mb


def verify_like_the_command() -> VerifyResult:
    progress: list[int] = []  # the command prints a line every 50,000 rows; keep that cost in
    return audit_verify(on_progress=progress.append)


def naive_verify() -> VerifyResult:
    """The peer: model instances through the ORM, one hash recomputed per row, the same three checks."""
    expected_prev, expected_id, checked = GENESIS, None, 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if expected_id is not None and event.id != expected_id:
            return VerifyResult(checked, False, event.id, "gap")
        if event.prev_hash != expected_prev:
            return VerifyResult(checked, False, event.id, "prev_hash")
        if event_hash(event.prev_hash, tuple(getattr(event, f) for f in HASHED_FIELDS)) != event.hash:
            return VerifyResult(checked, False, event.id, "hash")
        expected_prev, expected_id, checked = event.hash, event.id + 1, checked + 1
    return VerifyResult(checked, True)


def tamper(row_id: int) -> None:
    """Edit one row the way an intruder with database access would: around the append-only guard."""
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("DROP TRIGGER audit_auditevent_no_update")
        elif connection.vendor == "postgresql":
            cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute(f"UPDATE {TABLE} SET actor_username = %s WHERE id = %s", ["intruder", row_id])  # noqa: S608
        if cur.rowcount != 1:
            raise AssertionError(f"tamper: no row {row_id}")
        if connection.vendor == "sqlite":
            cur.execute(SQLITE_TRIGGER)


def append_only_guard_holds(row_id: int) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", ["x", row_id])  # noqa: S608
    except DatabaseError:
        return True
    return False


def run(scale: str) -> dict[str, Any]:
    rows = ROWS[scale]
    figures = generate(rows)

    result, seconds, rss_growth = timed(verify_like_the_command)
    assert result.ok and result.checked == rows, result
    figures["verify_seconds"] = round(seconds, 2)
    figures["rows_per_second"] = round(rows / seconds)
    figures["verify_rss_growth_mb"] = rss_growth

    # A second pass under tracemalloc (it slows Python down, so it is not the timed one).
    gc.collect()
    tracemalloc.start()
    try:
        traced = audit_verify()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert traced.ok and traced.checked == rows, traced
    figures["verify_peak_mb"] = round(peak / 2**20, 1)

    result, seconds, rss_growth = timed(naive_verify)
    assert result.ok and result.checked == rows, result
    figures["peer_verify_seconds"] = round(seconds, 2)
    figures["peer_rows_per_second"] = round(rows / seconds)
    figures["peer_rss_growth_mb"] = rss_growth
    figures["speedup_vs_peer"] = round(figures["peer_verify_seconds"] / figures["verify_seconds"], 2)

    middle = rows // 2
    tamper(middle)
    result, seconds, _ = timed(verify_like_the_command)
    assert not result.ok and result.broken_id == middle and result.reason == "hash", result
    assert result.checked == middle - 1, result
    figures["tamper_row"] = middle
    figures["tamper_found_at"] = result.broken_id
    figures["tamper_reason"] = result.reason
    figures["tamper_checked_before"] = result.checked
    figures["tamper_detect_seconds"] = round(seconds, 2)
    figures["append_only_guard_restored"] = append_only_guard_holds(middle + 1)
    assert figures["append_only_guard_restored"], "the append-only trigger did not come back"
    return figures


def summary(f: dict[str, Any], scale: str) -> str:
    return (
        f"audit-verify checked {f['rows']:,} audit rows ({scale}) in {f['verify_seconds']} s "
        f"({f['rows_per_second']:,} rows/s, Python peak {f['verify_peak_mb']} MB traced, "
        f"RSS +{f['verify_rss_growth_mb']} MB); the naive ORM iteration took {f['peer_verify_seconds']} s, "
        f"so the real path is {f['speedup_vs_peer']}× faster. Generating the chain took "
        f"{f['generate_seconds']} s ({f['generate_method']}, {f['generate_rows_per_second']:,} rows/s). "
        f"A row edited at id {f['tamper_row']:,} was named (reason '{f['tamper_reason']}') after "
        f"{f['tamper_detect_seconds']} s; the append-only trigger was back in place afterwards."
    )
