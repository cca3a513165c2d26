"""Loading a checked ledger into the registry, in three steps.

1. ``ledger_import_validate`` reads and checks the upload, records a ``LedgerImport`` with every rejected
   row (masked) and the error workbook, and keeps the checked rows sealed with the field key.
2. ``ledger_import_start`` hands the load to a background task (progress on the task page).
3. ``ledger_import_load`` writes the valid rows in batches. Each batch and the cursor that records it commit
   together, so a worker killed at any moment resumes at the next batch: no row is lost or loaded twice.

Rows are matched to people by the keyed hash of the ID number. A row that matches and carries nothing new
changes nothing; a changed row updates the person and appends a history event.

The file is read row by row (never as a whole grid) and checked in chunks (``importers.validation``). A
batch is written without model instances: people, households, employment events and intents with ``COPY``
on PostgreSQL and one prepared ``INSERT`` a table (``executemany``) on SQLite, keys allocated up front;
existing people are looked up by ID hash, thousands a query.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.background.services import background_task_start
from wengang.core import crypto
from wengang.core.masking import mask_id_number, mask_phone
from wengang.core.models import UnicodeJSONEncoder

from .choices import Health, PovertyCategory, Relation, Source
from .importers import LedgerRow, Table, TableError, TableRow, ValidationResult, error_report_xlsx_bytes
from .importers.reading import iter_table
from .importers.validation import validate_stream
from .models import EmploymentEvent, Household, ImportStatus, IntentRecord, LedgerImport, Person

BATCH_SIZE = 5000
LOOKUP_CHUNK = 5000  # ID hashes per existing-people query
SQLITE_CACHE_KIB = 256 * 1024  # SQLite page cache while loading
ERRORS_KEPT = 500
SEALED_VERSION = 2


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
    """Step 3: load (or resume loading) the valid rows of a checked import."""
    record = LedgerImport.objects.select_related("created_by").get(pk=import_id)
    if record.status == ImportStatus.DONE:
        return record
    if record.sealed_file is None:
        raise ValueError("the import has no file to load")
    user = record.created_by
    rows = _SealedRows(crypto.decrypt_bytes(bytes(record.sealed_file)))
    today = timezone.localdate()
    with _load_tuning():
        _load_batches(record, rows, user=user, today=today, on_progress=on_progress)
    with transaction.atomic():
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


def _load_batches(
    record: LedgerImport,
    rows: _SealedRows,
    *,
    user: Any,
    today: dt.date,
    on_progress: Callable[[int, int], None] | None,
) -> None:
    """Each batch in its own transaction, with the cursor that records it."""
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
            batch = rows.slice(start, start + BATCH_SIZE)
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


def _rows_to_json(rows: Sequence[LedgerRow]) -> bytes:
    """The checked rows, kept (sealed) until loaded, so loading never re-reads or re-judges the file.

    A first JSON line names the format and the fields; then one JSON array a row, the fields in that order
    (a third of the size of objects, and read back a batch at a time).
    """
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    lines = [encode({"v": SEALED_VERSION, "fields": _FIELDS})]
    lines.extend(
        encode(
            [
                r.row_number,
                r.id_number,
                r.name,
                r.gender,
                r.birth_date.isoformat(),
                r.phone,
                r.village_code,
                r.poverty_category,
                r.status,
                r.work_place,
                r.employer_name,
                r.monthly_income,
                r.return_date.isoformat() if r.return_date else None,
                r.intent,
                r.intent_destination,
                r.skills,
                r.notes,
            ]
        )
        for r in rows
    )
    return "\n".join(lines).encode()


def _row_from_item(item: list[Any]) -> LedgerRow:
    item[_BIRTH] = dt.date.fromisoformat(item[_BIRTH])
    if item[_RETURN]:
        item[_RETURN] = dt.date.fromisoformat(item[_RETURN])
    return LedgerRow(*item)


class _SealedRows:
    """The rows of a sealed file, decoded a batch at a time; the first format (a JSON list of objects,
    still carried by imports checked before the change) is decoded whole."""

    def __init__(self, data: bytes) -> None:
        self._old: list[LedgerRow] | None = None
        self._lines: list[bytes] = []
        if data[:1] == b"[":
            self._old = _rows_from_json(data)
            return
        lines = data.split(b"\n")
        if json.loads(lines[0]) != {"v": SEALED_VERSION, "fields": _FIELDS}:
            raise ValueError("the sealed file has an unknown format")
        self._lines = lines[1:]

    def __len__(self) -> int:
        return len(self._old) if self._old is not None else len(self._lines)

    def slice(self, start: int, stop: int) -> list[LedgerRow]:
        if self._old is not None:
            return self._old[start:stop]
        return [_row_from_item(json.loads(line.decode())) for line in self._lines[start:stop]]


def _rows_from_json(data: bytes) -> list[LedgerRow]:
    """Every row of a sealed file, in either format."""
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


def _upsert(batch: Sequence[LedgerRow], *, user: Any, today: dt.date) -> tuple[int, int, int]:
    """Write one batch: new people in bulk, changed people updated with history appended."""
    return _Writer(user=user, today=today).upsert(batch)


def blind_indexes(values: Sequence[str]) -> list[str]:
    """``crypto.blind_index`` of each value (one-shot HMAC with the cached key: a third of the cost)."""
    key = crypto._derive(b"wengang-blind-index-v1")
    digest = hmac.digest
    return [digest(key, v.encode(), hashlib.sha256).hex() if v else "" for v in values]


def encrypt_many(values: Sequence[str]) -> list[str]:
    """``crypto.encrypt`` of each value; with the AES-GCM cipher the nonces are drawn in one call."""
    cipher = crypto.cipher()
    if type(cipher) is not crypto.AesGcmCipher:
        return [crypto.encrypt(v) for v in values]
    aead, prefix, b64 = cipher._aead, cipher.prefix, base64.urlsafe_b64encode
    nonces = os.urandom(12 * len(values))
    out = []
    for i, value in enumerate(values):
        if not value:
            out.append("")
            continue
        nonce = nonces[12 * i : 12 * i + 12]
        out.append(prefix + b64(nonce + aead.encrypt(nonce, value.encode(), None)).decode())
    return out


def _masked_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 and phone.isdigit() else mask_phone(phone)


def _chunked(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Known:
    """What the update needs of a registered person: the person's fields, household type, latest event."""

    pk: int
    name: str
    village_code: str
    skills: list[str]
    notes: str
    phone_hash: str
    status: str
    intent: str
    household_id: int | None
    poverty_category: str | None
    return_date: dt.date | None = None
    latest: tuple[str, str, str, str, str, int | None] | None = (
        None  # status, place, prov., city, employer, pay
    )


_PERSON_FIELDS = (
    "id",
    "created_at",
    "updated_at",
    "id_hash",
    "id_encrypted",
    "id_masked",
    "name",
    "gender",
    "birth_date",
    "phone_hash",
    "phone_encrypted",
    "phone_masked",
    "household",
    "relation",
    "village_code",
    "education",
    "health",
    "skills",
    "certificates",
    "is_three_without",
    "status",
    "status_since",
    "intent",
    "notes",
    "return_date",
)
_HOUSEHOLD_FIELDS = (
    "id",
    "created_at",
    "updated_at",
    "village_code",
    "head",
    "poverty_category",
    "poverty_set_on",
)
_EVENT_FIELDS = (
    "person",
    "status",
    "occurred_on",
    "source",
    "work_province",
    "work_city",
    "work_place",
    "employer_name",
    "enterprise",
    "monthly_income",
    "recorded_by",
    "created_at",
)
_INTENT_FIELDS = ("person", "intent", "destination", "recorded_on", "source", "created_at")


class _Writer:
    """One batch's writes, in the caller's transaction, without model instances."""

    def __init__(self, *, user: Any, today: dt.date) -> None:
        self.conn = connections[DEFAULT_DB_ALIAS]
        self.pg = self.conn.vendor == "postgresql"
        self.user = user
        self.today = today
        now = timezone.now()
        self.now: Any = now if self.pg else self.conn.ops.adapt_datetimefield_value(now)
        self.day: Any = today if self.pg else today.isoformat()
        self.source = Source.IMPORT.value
        self._json: dict[tuple[str, ...], str] = {}

    # --- values as the database takes them

    def _date(self, value: dt.date | None) -> Any:
        if value is None:
            return None
        return value if self.pg else value.isoformat()

    def _skills(self, skills: list[str]) -> str:
        key = tuple(skills)
        text = self._json.get(key)
        if text is None:
            text = self._json[key] = json.dumps(skills, cls=UnicodeJSONEncoder)
        return text

    # --- statements

    def _columns(self, model: type[Model], names: Sequence[str]) -> list[str]:
        return [str(model._meta.get_field(n).column) for n in names]  # type: ignore[union-attr]

    def _insert(self, model: type[Model], names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """COPY (PostgreSQL) or one prepared INSERT run for every row (SQLite)."""
        if not rows:
            return
        quote = self.conn.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(c) for c in self._columns(model, names))
        with self.conn.cursor() as cursor:
            if self.pg:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(names))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608

    def _keys(self, model: type[Model], count: int) -> list[int]:
        """``count`` fresh primary keys of ``model``'s table, taken from its sequence like an INSERT would."""
        table = model._meta.db_table
        with self.conn.cursor() as cursor:
            if self.pg:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.conn.ops.quote_name(table), count],
                )
                return [row[0] for row in cursor.fetchall()]
            # SQLite AUTOINCREMENT: move sqlite_sequence on by ``count``. The UPDATE takes the write lock,
            # so no other writer can take the same keys before this transaction ends.
            top = f"(SELECT coalesce(max(id), 0) FROM {self.conn.ops.quote_name(table)})"  # noqa: S608
            cursor.execute(
                f"UPDATE sqlite_sequence SET seq = max(seq, {top}) + %s WHERE name = %s",  # noqa: S608
                [count, table],
            )
            if cursor.rowcount == 0:
                cursor.execute(
                    f"INSERT INTO sqlite_sequence (name, seq) VALUES (%s, {top} + %s)",  # noqa: S608
                    [table, count],
                )
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            last = cursor.fetchone()[0]
        return list(range(last - count + 1, last + 1))

    # --- the batch

    def upsert(self, batch: Sequence[LedgerRow]) -> tuple[int, int, int]:
        by_hash = dict(zip(blind_indexes([r.id_number for r in batch]), batch, strict=True))
        known = self._known(sorted(by_hash))  # probes in index order
        created = self._create([(h, r) for h, r in by_hash.items() if h not in known])
        updated = self._update([(known[h], r) for h, r in by_hash.items() if h in known])
        return created, updated, len(known) - updated

    def _known(self, hashes: list[str]) -> dict[str, _Known]:
        known: dict[str, _Known] = {}
        for chunk in _chunked(hashes, LOOKUP_CHUNK):
            for id_hash, *values in Person.objects.filter(id_hash__in=chunk).values_list(
                "id_hash",
                "pk",
                "name",
                "village_code",
                "skills",
                "notes",
                "phone_hash",
                "status",
                "intent",
                "household_id",
                "household__poverty_category",
                "return_date",
            ):
                known[id_hash] = _Known(*values)
        by_pk = {k.pk: k for k in known.values()}
        for chunk in _chunked(list(by_pk), LOOKUP_CHUNK):
            events = (
                EmploymentEvent.objects.filter(person_id__in=chunk)
                .order_by("person_id", "-occurred_on", "-id")
                .values_list(
                    "person_id",
                    "status",
                    "work_place",
                    "work_province",
                    "work_city",
                    "employer_name",
                    "monthly_income",
                )
            )
            for person_id, *event in events:
                person = by_pk[person_id]
                if person.latest is None:
                    person.latest = tuple(event)  # type: ignore[assignment]
        return known

    def _create(self, rows: list[tuple[str, LedgerRow]]) -> int:
        if not rows:
            return 0
        count = len(rows)
        household_keys = self._keys(Household, count)
        person_keys = self._keys(Person, count)
        ledger = [r for _h, r in rows]
        ids_sealed = encrypt_many([r.id_number for r in ledger])
        phones = [r.phone for r in ledger]
        phone_hashes, phones_sealed = blind_indexes(phones), encrypt_many(phones)
        now, day, empty = self.now, self.day, self._skills([])
        general, head, healthy = PovertyCategory.GENERAL.value, Relation.HEAD.value, Health.HEALTHY.value
        # Keys follow the file's order; the rows are written sorted on their most random indexed value
        # (the ID hash, a village code), so each index is filled leaf after leaf instead of at random.
        self._insert(
            Household,
            _HOUSEHOLD_FIELDS,
            sorted(
                (
                    (hk, now, now, r.village_code, pk, r.poverty_category or general, day)
                    for hk, pk, r in zip(household_keys, person_keys, ledger, strict=True)
                ),
                key=itemgetter(3),
            ),
        )
        self._insert(
            Person,
            _PERSON_FIELDS,
            sorted(
                [
                    (
                        pk,
                        now,
                        now,
                        id_hash,
                        id_sealed,
                        mask_id_number(r.id_number),
                        r.name,
                        r.gender,
                        self._date(r.birth_date),
                        phone_hash,
                        phone_sealed,
                        _masked_phone(r.phone) if r.phone else "",
                        hk,
                        head,
                        r.village_code,
                        "",
                        healthy,
                        self._skills(r.skills),
                        empty,
                        False,
                        r.status,
                        day if r.status else None,
                        r.intent,
                        r.notes,
                        self._date(r.return_date),
                    )
                    for (id_hash, r), pk, hk, id_sealed, phone_hash, phone_sealed in zip(
                        rows,
                        person_keys,
                        household_keys,
                        ids_sealed,
                        phone_hashes,
                        phones_sealed,
                        strict=True,
                    )
                ],
                key=itemgetter(3),
            ),
        )
        self._insert(
            EmploymentEvent,
            _EVENT_FIELDS,
            [self._event(pk, r) for pk, r in zip(person_keys, ledger, strict=True) if r.status],
        )
        self._insert(
            IntentRecord,
            _INTENT_FIELDS,
            [self._intent(pk, r) for pk, r in zip(person_keys, ledger, strict=True) if r.intent],
        )
        return count

    def _event(self, person_id: int, r: LedgerRow) -> tuple[Any, ...]:
        return (
            person_id,
            r.status,
            self.day,
            self.source,
            "",
            "",
            r.work_place,
            r.employer_name,
            None,
            r.monthly_income,
            self.user.pk,
            self.now,
        )

    def _intent(self, person_id: int, r: LedgerRow) -> tuple[Any, ...]:
        return (person_id, r.intent, r.intent_destination, self.day, self.source, self.now)

    def _update(self, pairs: list[tuple[_Known, LedgerRow]]) -> int:
        """The rule of the row-by-row update, judged on values: only people with something new are written."""
        changes: list[tuple[_Known, LedgerRow, list[str]]] = []
        phone_hashes = blind_indexes([r.phone for _k, r in pairs])
        new_phones: dict[int, str] = {}
        for (person, row), phone_hash in zip(pairs, phone_hashes, strict=True):
            changed = [
                name
                for name, value in (("name", row.name), ("village_code", row.village_code))
                if value and getattr(person, name) != value
            ]
            if row.skills and sorted(person.skills) != sorted(row.skills):
                changed.append("skills")
            if row.notes and person.notes != row.notes:
                changed.append("notes")
            if row.phone and phone_hash != person.phone_hash:
                changed.append("phone")
                new_phones[person.pk] = phone_hash
            if (
                person.household_id is not None
                and row.poverty_category
                and person.poverty_category != row.poverty_category
            ):
                changed.append("poverty_category")
            if row.status and (person.latest is None or not _same_work(person.latest, row)):
                changed.append("status")
            if row.intent and person.intent != row.intent:
                changed.append("intent")
            if row.return_date and person.return_date != row.return_date:
                changed.append("return_date")
            if changed:
                changes.append((person, row, changed))
        if changes:
            self._write_updates(changes, new_phones)
        return len(changes)

    def _write_updates(
        self, changes: list[tuple[_Known, LedgerRow, list[str]]], phones: dict[int, str]
    ) -> None:
        sealed = dict(
            zip(phones, encrypt_many([r.phone for k, r, _c in changes if k.pk in phones]), strict=True)
        )
        statements: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        households: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        intents: list[tuple[Any, ...]] = []
        for person, row, changed in changes:
            values: dict[str, Any] = {}
            for name in changed:
                if name in ("name", "village_code", "notes", "intent"):
                    values[name] = getattr(row, name)
                elif name == "return_date":
                    values["return_date"] = self._date(row.return_date)
                elif name == "skills":
                    values["skills"] = self._skills(row.skills)
                elif name == "phone":
                    values |= {
                        "phone_hash": phones[person.pk],
                        "phone_encrypted": sealed[person.pk],
                        "phone_masked": _masked_phone(row.phone),
                    }
                elif name == "poverty_category":
                    households.append((row.poverty_category, self.day, self.now, person.household_id))
                elif name == "status":
                    values |= {"status": row.status, "status_since": self.day}
                    events.append(self._event(person.pk, row))
            if "intent" in changed:
                intents.append(self._intent(person.pk, row))
            values["updated_at"] = self.now
            statements.setdefault(tuple(values), []).append((*values.values(), person.pk))
        quote = self.conn.ops.quote_name
        with self.conn.cursor() as cursor:
            for names, rows in statements.items():
                sets = ", ".join(f"{quote(column)} = %s" for column in self._columns(Person, names))
                cursor.executemany(f"UPDATE {quote(Person._meta.db_table)} SET {sets} WHERE id = %s", rows)  # noqa: S608
            if households:
                cursor.executemany(
                    f"UPDATE {quote(Household._meta.db_table)} SET poverty_category = %s, "  # noqa: S608
                    "poverty_set_on = %s, updated_at = %s WHERE id = %s",
                    households,
                )
        self._insert(EmploymentEvent, _EVENT_FIELDS, events)
        self._insert(IntentRecord, _INTENT_FIELDS, intents)
        for person, _row, changed in changes:
            audit_record(
                action=Action.UPDATE,
                actor=self.user,
                object_type="registry.person",
                object_id=person.pk,
                changes={"fields": changed, "source": "import"},
            )


def _same_work(latest: tuple[str, str, str, str, str, int | None], row: LedgerRow) -> bool:
    """Whether a row repeats the latest event. A place kept as province + city reads back as one text."""
    status, place, province, city, employer, income = latest
    place = place or f"{province}{city}"
    return (status, place, employer, income) == (
        row.status,
        row.work_place,
        row.employer_name,
        row.monthly_income,
    )
