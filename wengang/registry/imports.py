"""Loading a checked ledger into the registry, in three steps.

1. ``ledger_import_validate`` reads and checks the upload, records a ``LedgerImport`` with every rejected
   row (masked) and the error workbook, and keeps the checked rows sealed with the field key.
2. ``ledger_import_start`` hands the load to a background task (progress on the task page).
3. ``ledger_import_load`` writes the valid rows in batches. Each batch and the cursor that records it commit
   together, so a worker killed at any moment resumes at the next batch: no row is lost or loaded twice.

Rows are matched to people by the keyed hash of the ID number. A row that matches and carries nothing new
changes nothing; a changed row updates the person and appends a history event.

The file is read row by row (never as a whole grid) and checked in chunks, column by column
(``importers.validation``); the checked rows are sealed as ``marshal`` chunks and decoded a batch at a
time. Batches are written by ``import_writer.Writer`` without model instances (``COPY`` text on
PostgreSQL, one prepared ``INSERT`` a table on SQLite). A bulk load (a big file into a registry no bigger
than it) writes batches of ``BULK_BATCH_SIZE`` with the indexes it does not need dropped, and builds them
again before it is marked done.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import marshal
import struct
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import starmap
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.background.services import background_task_start
from wengang.core import crypto

from .import_writer import Writer, blind_indexes, encrypt_many, indexes_drop, indexes_restore
from .importers import LedgerRow, Table, TableError, TableRow, ValidationResult, error_report_xlsx_bytes
from .importers.reading import iter_table
from .importers.validation import validate_stream
from .models import ImportStatus, LedgerImport, Person

__all__ = [
    "ImportCounts",
    "blind_indexes",
    "counts_of",
    "encrypt_many",
    "ledger_import_load",
    "ledger_import_start",
    "ledger_import_validate",
]

BATCH_SIZE = 5000
# A bulk load (a large file into a registry no bigger than it): bigger batches, and the indexes it does not
# need dropped for the load and built again at its end (``import_writer.indexes_drop``).
BULK_MIN_ROWS = 100_000
BULK_BATCH_SIZE = 50_000
SQLITE_CACHE_KIB = 256 * 1024  # SQLite page cache while loading
ERRORS_KEPT = 500
SEALED_VERSION = 3
SEAL_CHUNK = 5000  # rows a sealed chunk holds


@dataclass(frozen=True)
class ImportCounts:
    created: int
    updated: int
    unchanged: int
    rejected: int
    warnings: int

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "warnings": self.warnings,
        }


def _check(user: Any) -> None:
    if not user.can("registry.import"):
        raise PermissionDenied(_("Your roles do not allow importing into the registry."))


def _validate(user: Any, data: bytes, filename: str) -> tuple[Table, ValidationResult]:
    """Read and check the file row by row. The table returned holds only the rejected rows (all the error
    workbook needs), so a million-row file is never held as a grid."""
    rejected: list[TableRow] = []
    try:
        stream = iter_table(data, filename)
        result = validate_stream(stream.headers, stream.rows, user=user, keep_rejected=rejected)
    except TableError as exc:
        raise ValidationError(str(exc)) from exc
    if result.file_errors:
        raise ValidationError(result.file_errors)
    table = Table(
        filename=stream.filename,
        headers=stream.headers,
        header_row_number=stream.header_row_number,
        rows=rejected,
        sheet_name=stream.sheet_name,
        skipped_rows=stream.skipped_rows,
    )
    missing = set(result.rejected_row_numbers) - {r.number for r in rejected}
    if missing:  # rows rejected only for an ID number repeated further down: read their cells again
        again = [r for r in iter_table(data, filename).rows if r.number in missing]
        table.rows = sorted(rejected + again, key=lambda r: r.number)
    return table, result


def ledger_import_validate(*, user: Any, data: bytes, filename: str, request: Any = None) -> LedgerImport:
    """Step 1: check the upload and record it. Raises ValidationError for a file that cannot be read."""
    _check(user)
    table, result = _validate(user, data, filename)
    errors = [
        {"row": e.row_number, "column": e.column, "value": e.masked_value, "reason": e.reason}
        for e in result.errors[:ERRORS_KEPT]
    ]
    warnings = [
        {"row": w.row_number, "column": getattr(w, "column", ""), "reason": getattr(w, "reason", str(w))}
        for w in result.warnings[:ERRORS_KEPT]
    ]
    report = error_report_xlsx_bytes(table, result) if result.errors else None
    valid = len(result.rows)
    sealed = crypto.encrypt_bytes(_rows_to_json(result.rows)) if valid else None
    result.rows.clear()  # the sealed copy is all the load needs
    with transaction.atomic():
        record = LedgerImport.objects.create(
            filename=filename[:255],
            created_by=user,
            scope_code=user.scope_code,
            sealed_file=sealed,
            total_rows=result.total_rows,
            valid_rows=valid,
            rejected_rows=len(result.rejected_row_numbers),
            warning_count=len(result.warnings),
            errors=errors,
            warnings=warnings,
            error_report=report,
            status=ImportStatus.VALIDATED if valid else ImportStatus.DONE,
            finished_at=None if valid else timezone.now(),
        )
        audit_record(
            action=Action.IMPORT,
            actor=user,
            object_type="registry.ledgerimport",
            object_id=record.pk,
            request=request,
            changes={
                "step": "validate",
                "file": record.filename,
                "rows": record.total_rows,
                "valid": record.valid_rows,
                "rejected": record.rejected_rows,
            },
        )
    return record


def ledger_import_start(*, user: Any, record: LedgerImport, request: Any = None) -> LedgerImport:
    """Step 2: queue the load. Starting twice is harmless: the load resumes from its cursor."""
    _check(user)
    if record.created_by_id != user.pk:
        raise PermissionDenied(_("Only the person who uploaded a file may load it."))
    if record.status != ImportStatus.VALIDATED:
        return record
    with transaction.atomic():
        task = background_task_start(kind="registry.import", user=user, params={"import_id": record.pk})
        LedgerImport.objects.filter(pk=record.pk).update(status=ImportStatus.LOADING, task=task)
        audit_record(
            action=Action.IMPORT,
            actor=user,
            object_type="registry.ledgerimport",
            object_id=record.pk,
            request=request,
            changes={"step": "start"},
        )
    record.refresh_from_db()
    return record


def ledger_import_load(
    *, import_id: int, on_progress: Callable[[int, int], None] | None = None
) -> LedgerImport:
    """Step 3: load (or resume loading) the valid rows of a checked import.

    A bulk load (:func:`_bulk`) drops the indexes it does not need in the transaction of its first batch;
    whatever the mode, the transaction that marks the import done first builds every registry index that
    is missing. A worker killed in between leaves the import loading (and the indexes dropped): the resumed
    load ends, like any load, with every index present.
    """
    record = LedgerImport.objects.select_related("created_by").get(pk=import_id)
    if record.status == ImportStatus.DONE:
        return record
    if record.sealed_file is None:
        raise ValueError("the import has no file to load")
    user = record.created_by
    rows = _SealedRows(crypto.decrypt_bytes(bytes(record.sealed_file)))
    today = timezone.localdate()
    bulk = _bulk(len(rows) - record.next_index)
    with _load_tuning():
        _load_batches(record, rows, user=user, today=today, on_progress=on_progress, bulk=bulk)
    with transaction.atomic():
        indexes_restore()
        LedgerImport.objects.filter(pk=record.pk).update(
            status=ImportStatus.DONE, sealed_file=None, finished_at=timezone.now()
        )
        record.refresh_from_db()
        audit_record(
            action=Action.IMPORT,
            actor=user,
            object_type="registry.ledgerimport",
            object_id=record.pk,
            changes={
                "step": "loaded",
                "created": record.created,
                "updated": record.updated,
                "unchanged": record.unchanged,
            },
        )
    return record


def _bulk(rows_left: int) -> bool:
    """Whether to load in bulk: at least ``BULK_MIN_ROWS`` rows to go and no fewer than the people already
    registered (building an index once then costs less than keeping it up to date row by row)."""
    return rows_left >= BULK_MIN_ROWS and rows_left >= Person.objects.count()


def _load_batches(
    record: LedgerImport,
    rows: _SealedRows,
    *,
    user: Any,
    today: dt.date,
    on_progress: Callable[[int, int], None] | None,
    bulk: bool = False,
) -> None:
    """Each batch in its own transaction, with the cursor that records it (a bulk load also drops the
    indexes it does without, in the transaction of its first batch, and writes optimistically)."""
    size = BULK_BATCH_SIZE if bulk else BATCH_SIZE
    first = True
    # A bulk load mostly registers new people: each batch is first written without looking anyone up,
    # until a batch meets someone already registered.
    optimistic = bulk
    while True:
        with transaction.atomic():
            _batch_tuning()
            # The cursor only: the sealed rows (hundreds of MB for a big file) are not read again per batch.
            locked = (
                LedgerImport.objects.select_for_update()
                .only("pk", "next_index", "created", "updated", "unchanged")
                .get(pk=record.pk)
            )
            start = locked.next_index
            if start >= len(rows):
                return
            if bulk and first:
                indexes_drop()
            first = False
            batch = rows.slice(start, start + size)
            if optimistic:
                created, updated, unchanged = _upsert(batch, user=user, today=today, optimistic=True)
                optimistic = created == len(batch)  # someone was registered already: look up from now on
            else:
                created, updated, unchanged = _upsert(batch, user=user, today=today)
            LedgerImport.objects.filter(pk=record.pk).update(
                next_index=start + len(batch),
                created=locked.created + created,
                updated=locked.updated + updated,
                unchanged=locked.unchanged + unchanged,
            )
        if on_progress is not None:
            on_progress(start + len(batch), len(rows))


def _batch_tuning() -> None:
    """PostgreSQL: a batch's commit does not wait for its WAL flush. A server crash may lose the last
    batches committed, cursor included, so the resumed load writes them again: nothing is lost or doubled."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


@contextmanager
def _load_tuning() -> Iterator[None]:
    """SQLite: a page cache that holds the registry's indexes while loading (the default 2 MB makes every
    index insert of a big import a read); the connection's setting is restored afterwards."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "sqlite":
        yield
        return
    with conn.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with conn.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")


def counts_of(record: LedgerImport) -> ImportCounts:
    return ImportCounts(
        record.created, record.updated, record.unchanged, record.rejected_rows, record.warning_count
    )


# --- the sealed rows -------------------------------------------------------------------------------------

_FIELDS = [f.name for f in dataclasses.fields(LedgerRow) if f.name != "warnings"]
_BIRTH, _RETURN = _FIELDS.index("birth_date"), _FIELDS.index("return_date")
_MAGIC = b"W3"
_LENGTH = struct.Struct("<I")


def _rows_to_json(rows: Sequence[LedgerRow]) -> bytes:
    """The checked rows, kept (sealed) until loaded, so loading never re-reads or re-judges the file.

    Version 3: ``W3``, a JSON line naming the fields, then chunks of ``SEAL_CHUNK`` rows, each a 4-byte
    length and a ``marshal`` list of tuples (text, integers, ``None``; dates as ordinals), so the load
    decodes a batch's chunks only. (The name is kept from the JSON formats, which are still read.) The
    bytes are sealed with the field key, so only this code wrote what ``marshal`` reads back.
    """
    header = {"v": SEALED_VERSION, "fields": _FIELDS, "rows": len(rows)}
    parts = [_MAGIC, json.dumps(header).encode(), b"\n"]
    for start in range(0, len(rows), SEAL_CHUNK):
        chunk = marshal.dumps(
            [
                (
                    r.row_number,
                    r.id_number,
                    r.name,
                    r.gender,
                    r.birth_date.toordinal(),
                    r.phone,
                    r.village_code,
                    r.poverty_category,
                    r.status,
                    r.work_place,
                    r.employer_name,
                    r.monthly_income,
                    r.return_date.toordinal() if r.return_date else None,
                    r.intent,
                    r.intent_destination,
                    r.skills,
                    r.notes,
                )
                for r in rows[start : start + SEAL_CHUNK]
            ]
        )
        parts += [_LENGTH.pack(len(chunk)), chunk]
    return b"".join(parts)


def _row_from_item(item: list[Any]) -> LedgerRow:
    item[_BIRTH] = dt.date.fromisoformat(item[_BIRTH])
    if item[_RETURN]:
        item[_RETURN] = dt.date.fromisoformat(item[_RETURN])
    return LedgerRow(*item)


def _rows_from_tuples(items: Sequence[tuple[Any, ...]]) -> list[LedgerRow]:
    """Version 3 tuples as rows: each made from its tuple as it is, then its dates (ordinals) turned into
    dates, a birth date looked up once per day."""
    rows = list(starmap(LedgerRow, items))
    fromordinal = dt.date.fromordinal
    days: dict[int, dt.date] = {}
    for row in rows:
        birth: Any = row.birth_date
        day = days.get(birth)
        if day is None:
            day = days[birth] = fromordinal(birth)
        row.birth_date = day
        if row.return_date is not None:
            row.return_date = fromordinal(row.return_date)  # type: ignore[arg-type]
    return rows


class _SealedRows:
    """The rows of a sealed file, decoded a batch at a time. Version 3 (marshal chunks) and version 2 (a
    JSON line a row) are decoded per batch; the first format (a JSON list of objects, carried by imports
    checked before version 2) is decoded whole."""

    def __init__(self, data: bytes) -> None:
        self._old: list[LedgerRow] | None = None
        self._lines: list[bytes] = []
        self._data = b""
        self._chunks: list[tuple[int, int]] = []  # (offset, length) of each chunk of SEAL_CHUNK rows
        self._count = 0
        if data[:1] == b"[":
            self._old = _rows_from_json(data)
            return
        if data[:2] == _MAGIC:
            end = data.index(b"\n")
            header = json.loads(data[2:end])
            if (header["v"], header["fields"]) != (SEALED_VERSION, _FIELDS):
                raise ValueError("the sealed file has an unknown format")
            self._count = header["rows"]
            self._data, offset = data, end + 1
            while offset < len(data):
                (length,) = _LENGTH.unpack_from(data, offset)
                self._chunks.append((offset + 4, length))
                offset += 4 + length
            return
        lines = data.split(b"\n")
        if json.loads(lines[0]) != {"v": 2, "fields": _FIELDS}:
            raise ValueError("the sealed file has an unknown format")
        self._lines = lines[1:]

    def __len__(self) -> int:
        if self._old is not None:
            return len(self._old)
        return self._count if self._data else len(self._lines)

    def slice(self, start: int, stop: int) -> list[LedgerRow]:
        if self._old is not None:
            return self._old[start:stop]
        if not self._data:
            return [_row_from_item(json.loads(line.decode())) for line in self._lines[start:stop]]
        stop = min(stop, self._count)
        out: list[LedgerRow] = []
        for index in range(start // SEAL_CHUNK, (stop - 1) // SEAL_CHUNK + 1 if stop > start else 0):
            offset, length = self._chunks[index]
            base = index * SEAL_CHUNK
            # Authenticated: the bytes were decrypted with the field key (AES-GCM), so this code wrote them.
            items = marshal.loads(self._data[offset : offset + length])  # noqa: S302
            out.extend(_rows_from_tuples(items[max(start - base, 0) : stop - base]))
        return out


def _rows_from_json(data: bytes) -> list[LedgerRow]:
    """Every row of a sealed file, in any format."""
    if data[:1] != b"[":
        sealed = _SealedRows(data)
        return sealed.slice(0, len(sealed))
    rows = []
    for item in json.loads(data):
        item["birth_date"] = dt.date.fromisoformat(item["birth_date"])
        if item.get("return_date"):
            item["return_date"] = dt.date.fromisoformat(item["return_date"])
        rows.append(LedgerRow(**item))
    return rows


# --- the batch upsert ------------------------------------------------------------------------------------


def _upsert(
    batch: Sequence[LedgerRow], *, user: Any, today: dt.date, optimistic: bool = False
) -> tuple[int, int, int]:
    """Write one batch: new people in bulk, changed people updated with history appended (``optimistic``:
    see ``Writer.upsert``)."""
    return Writer(user=user, today=today).upsert(batch, optimistic=optimistic)
