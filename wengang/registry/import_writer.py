"""The load step's writes: one batch of checked rows into the registry, without model instances.

People, households, employment events and intents go in with ``COPY`` (PostgreSQL, rows formatted here as
COPY text) or one prepared ``INSERT`` a table (``executemany``, SQLite), keys allocated up front; new
people's rows are built column by column (``import_tables``); existing people are looked up by ID hash,
thousands a query. ID numbers and phones are hashed (one-shot HMAC) a batch at a time and sealed (AES-GCM)
only for the rows written, a chunk at a time as they are written.

For a large first load, :func:`indexes_drop` takes away the indexes (and on PostgreSQL the foreign keys) a
bulk load does not need, and :func:`indexes_restore` builds every missing one again; see
``imports.ledger_import_load`` for when each runs.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import Model
from django.utils import timezone

from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core import crypto
from wengang.core.masking import mask_phone
from wengang.core.models import UnicodeJSONEncoder

from .choices import Source
from .import_tables import Column, NewPeople, copy_lines, value_rows
from .importers import LedgerRow
from .models import EmploymentEvent, Household, IntentRecord, Person

LOOKUP_CHUNK = 5000  # ID hashes per existing-people query
COPY_CHUNK = 5000  # COPY lines written at a time


def blind_indexes(values: Sequence[str]) -> list[str]:
    """``crypto.blind_index`` of each value: HMAC-SHA256 (RFC 2104) spelt out with the key's inner and outer
    hash states made once and copied per value (a third of the cost of ``hmac.digest`` a value)."""
    key = crypto._derive(b"wengang-blind-index-v1")
    if len(key) > _HMAC_BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_HMAC_BLOCK, b"\0")
    inner = hashlib.sha256(key.translate(_HMAC_IPAD))
    outer = hashlib.sha256(key.translate(_HMAC_OPAD))
    out = []
    for value in values:
        if not value:
            out.append("")
            continue
        h = inner.copy()
        h.update(value.encode())
        o = outer.copy()
        o.update(h.digest())
        out.append(o.hexdigest())
    return out


_HMAC_BLOCK = 64  # SHA-256's block size
_HMAC_IPAD = bytes(b ^ 0x36 for b in range(256))
_HMAC_OPAD = bytes(b ^ 0x5C for b in range(256))


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


_COPY_SPECIAL = re.compile(r"[\\\t\n\r\0]")
_COPY_LINE_SPECIAL = re.compile(r"[\n\r\0]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\000"})


@dataclass(frozen=True)
class Hashes:
    """A batch's ID numbers and phones hashed, in the batch's order (sealed later, only those written)."""

    ids: list[str]
    phones: list[str]


def hashes_of(batch: Sequence[LedgerRow]) -> Hashes:
    return Hashes(blind_indexes([r.id_number for r in batch]), blind_indexes([r.phone for r in batch]))


def _copy_value(value: Any) -> str:
    if type(value) is str:
        return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(value) else value
    return _copy_plain(value)


def _copy_plain(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)  # int; date and aware datetime print as PostgreSQL reads them


def copy_text(rows: Sequence[Sequence[Any]]) -> str:
    """Rows in ``COPY … FROM STDIN`` text format (a tab between columns, ``\\N`` for NULL, backslash escapes
    in text). A row is joined as it is; only a row whose text holds a tab, newline or backslash of its own
    is made again value by value with escapes (a fifth of the cost of psycopg's ``write_row`` here)."""
    if not rows:
        return ""
    tabs = len(rows[0]) - 1
    plain, special, escaped = _copy_plain, _COPY_LINE_SPECIAL.search, _copy_value
    lines = []
    for row in rows:
        line = "\t".join([v if type(v) is str else plain(v) for v in row])
        if line.count("\t") != tabs or line.count("\\") != row.count(None) or special(line):
            line = "\t".join(map(escaped, row))
        lines.append(line)
    lines.append("")
    return "\n".join(lines)


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


class Writer:
    """One batch's writes, in the caller's transaction, without model instances."""

    def __init__(self, *, user: Any, today: dt.date) -> None:
        self.conn = connections[DEFAULT_DB_ALIAS]
        self.pg = self.conn.vendor == "postgresql"
        self.user = user
        self.today = today
        now = timezone.now()
        # As text, once: PostgreSQL reads ``str`` of an aware datetime, SQLite stores Django's own text.
        self.now: Any = str(now) if self.pg else self.conn.ops.adapt_datetimefield_value(now)
        self.day: Any = today.isoformat()
        self.source = Source.IMPORT.value
        self._json: dict[tuple[str, ...], str] = {}

    # --- values as the database takes them

    def _date(self, value: dt.date | None) -> Any:
        return None if value is None else value.isoformat()

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
        """COPY (PostgreSQL, the rows formatted here as COPY text) or one prepared INSERT run for every row
        (SQLite)."""
        if not rows:
            return
        if self.pg:
            with self._copy(model, names) as copy:
                copy.write(copy_text(rows))
            return
        quote = self.conn.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(c) for c in self._columns(model, names))
        with self.conn.cursor() as cursor:
            marks = ", ".join(["%s"] * len(names))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608

    @contextlib.contextmanager
    def _copy(self, model: type[Model], names: Sequence[str]) -> Iterator[Any]:
        """A ``COPY … FROM STDIN`` into ``model``'s table (written a chunk at a time: the server reads one
        while the next is made; psycopg's queued writer thread measured no faster here)."""
        quote = self.conn.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(c) for c in self._columns(model, names))
        with self.conn.cursor() as cursor, self.conn.wrap_database_errors:  # psycopg's errors as Django's
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                yield copy

    def _keys(self, model: type[Model], count: int) -> list[int]:
        """``count`` fresh primary keys of ``model``'s table, taken from its sequence like an INSERT would."""
        table = model._meta.db_table
        with self.conn.cursor() as cursor:
            if self.pg:
                # The sequence named once: ``pg_get_serial_sequence`` in the query would run once a row
                # (a stable function), 7x the cost of the ``nextval`` calls themselves.
                cursor.execute(
                    "SELECT pg_get_serial_sequence(%s, 'id')::regclass::oid",
                    [self.conn.ops.quote_name(table)],
                )
                sequence = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT min(k), max(k) FROM ("
                    "SELECT nextval(%s::oid::regclass) AS k FROM generate_series(1, %s)) AS s",
                    [sequence, count],
                )
                low, high = cursor.fetchone()
                # ``count`` distinct keys between low and high: when that is ``count`` values, they are all of
                # them (no other session drew keys in between); otherwise draw them again one by one.
                if high - low + 1 == count:
                    return list(range(low, high + 1))
                cursor.execute(
                    "SELECT nextval(%s::oid::regclass) FROM generate_series(1, %s)", [sequence, count]
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

    def upsert(self, batch: Sequence[LedgerRow], *, optimistic: bool = False) -> tuple[int, int, int]:
        """``optimistic``: first try to create every row without looking anyone up (a savepoint; the unique
        ID hash refuses a person already registered, and then the batch goes the usual way)."""
        hashes = hashes_of(batch)
        by_hash = {h: i for i, h in enumerate(hashes.ids)}
        if optimistic:
            try:
                with transaction.atomic():
                    return self._create(list(by_hash.values()), batch, hashes), 0, 0
            except IntegrityError:
                pass
        known = self._known(sorted(by_hash))  # probes in index order
        created = self._create([i for h, i in by_hash.items() if h not in known], batch, hashes)
        updated = self._update(
            [(known[h], batch[i], hashes.phones[i]) for h, i in by_hash.items() if h in known]
        )
        return created, updated, len(known) - updated

    def _known(self, hashes: list[str]) -> dict[str, _Known]:
        known: dict[str, _Known] = {}
        people, households = Person._meta.db_table, Household._meta.db_table
        with self.conn.cursor() as cursor:
            if self.pg and hashes:
                # Probe the unique index: while a load fills a table its statistics are stale, and the
                # planner would otherwise scan the whole table once per chunk of hashes.
                cursor.execute(
                    "SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)"
                )
                seqscan = cursor.fetchone()[0]
            for chunk in _chunked(hashes, LOOKUP_CHUNK):
                # Raw SQL: the ORM's IN lookup costs more than the query for thousands of hashes.
                # PostgreSQL takes the hashes (hex, no commas) as one text parameter; SQLite one each.
                marks = ", ".join(["%s"] * len(chunk))
                where = "= ANY(string_to_array(%s, ','))" if self.pg else f"IN ({marks})"
                cursor.execute(
                    "SELECT p.id_hash, p.id, p.name, p.village_code, p.skills, p.notes, p.phone_hash, "  # noqa: S608
                    f"p.status, p.intent, p.household_id, h.poverty_category, p.return_date FROM {people} p "
                    f"LEFT JOIN {households} h ON h.id = p.household_id WHERE p.id_hash {where}",
                    [",".join(chunk)] if self.pg else list(chunk),
                )
                for (
                    id_hash,
                    pk,
                    name,
                    village,
                    skills,
                    notes,
                    phone,
                    status,
                    intent,
                    home,
                    poverty,
                    back,
                ) in cursor.fetchall():
                    if isinstance(skills, str):  # JSON comes back as text
                        skills = json.loads(skills)
                    if isinstance(back, str):
                        back = dt.date.fromisoformat(back)
                    known[id_hash] = _Known(
                        pk, name, village, skills, notes, phone, status, intent, home, poverty, back
                    )
            if self.pg and hashes:
                cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [seqscan])
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

    def _create(self, indexes: list[int], batch: Sequence[LedgerRow], hashes: Hashes) -> int:
        if not indexes:
            return 0
        count = len(indexes)
        new = NewPeople(
            ledger=[batch[i] for i in indexes],
            household_keys=self._keys(Household, count),
            person_keys=self._keys(Person, count),
            id_hashes=[hashes.ids[i] for i in indexes],
            phone_hashes=[hashes.phones[i] for i in indexes],
            now=self.now,
            day=self.day,
            source=self.source,
            user_id=self.user.pk,
            skills_json=self._skills,
            seal=encrypt_many,
        )
        # SQLite checks a deferred foreign key of a row whose parent is not there yet by counting, and while
        # that count is not zero every row added to a parent table searches each referring table (17 refer to
        # people): households go in without their head, which is set once the people are there.
        self._write_columns(Household, [new.households(heads=self.pg)])
        self._write_columns(Person, new.people(COPY_CHUNK), sort=False)
        self._write_columns(EmploymentEvent, [new.events()], sort=False)
        self._write_columns(IntentRecord, [new.intents()], sort=False)
        if not self.pg:
            table = self.conn.ops.quote_name(Household._meta.db_table)
            with self.conn.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET head_id = %s WHERE id = %s",  # noqa: S608
                    list(zip(new.person_keys, new.household_keys, strict=True)),
                )
        return count

    def _write_columns(
        self, model: type[Model], chunks: Iterable[list[Column]], *, sort: bool = True
    ) -> None:
        """Rows given as columns (``import_tables``), a chunk at a time: COPY lines on PostgreSQL (the server
        reads a chunk while the next one is made), ``executemany`` on SQLite."""
        names: list[str] = []
        if not self.pg:
            for columns in chunks:
                rows = value_rows(columns, sort=sort)
                if rows:
                    self._insert(model, [c.name for c in columns], rows)
            return
        copy: Any = None
        with contextlib.ExitStack() as stack:
            for columns in chunks:
                lines = copy_lines(columns, sort=sort)
                if not lines:
                    continue
                if copy is None:
                    names = [c.name for c in columns]
                    copy = stack.enter_context(self._copy(model, names))
                copy.write("\n".join(lines) + "\n")

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

    def _update(self, pairs: list[tuple[_Known, LedgerRow, str]]) -> int:
        """The rule of the row-by-row update, judged on values: only people with something new are written.
        ``pairs``: the person, the row, the row's phone hashed."""
        changes: list[tuple[_Known, LedgerRow, list[str]]] = []
        new_phones: dict[int, tuple[str, str]] = {}
        for person, row, phone_hash in pairs:
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
                new_phones[person.pk] = (phone_hash, row.phone)
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
            sealed = encrypt_many([phone for _hash, phone in new_phones.values()])
            phones = {pk: (h, s) for (pk, (h, _p)), s in zip(new_phones.items(), sealed, strict=True)}
            self._write_updates(changes, phones)
        return len(changes)

    def _write_updates(
        self, changes: list[tuple[_Known, LedgerRow, list[str]]], phones: dict[int, tuple[str, str]]
    ) -> None:
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
                        "phone_hash": phones[person.pk][0],
                        "phone_encrypted": phones[person.pk][1],
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


# --- the indexes a bulk load drops and builds again -------------------------------------------------------

_BULK_MODELS = (Person, Household, EmploymentEvent, IntentRecord)
RESTORE_MEMORY = "256MB"  # PostgreSQL maintenance_work_mem while the indexes are built again


@dataclass(frozen=True)
class _Droppable:
    table: str
    name: str
    create: str  # the SQL that makes it, as the migrations did
    foreign_key: bool


def droppable() -> list[_Droppable]:
    """The registry indexes (and, on PostgreSQL, foreign keys) a bulk load does without, named and defined
    exactly as Django's schema editor made them. Kept: primary keys; the unique ID hash (the load looks
    people up by it and it stops a person being registered twice); every index on a foreign key column
    (keys are drawn in order, so these grow at their right edge and cost little; the load finds the latest
    events by person, and SQLite's deferred foreign key checks search the referring table by them); on
    SQLite every foreign key (part of the table's definition there)."""
    conn = connections[DEFAULT_DB_ALIAS]
    pg = conn.vendor == "postgresql"
    editor: Any = conn.SchemaEditorClass(conn, collect_sql=True)  # its statement builders are private API
    out: list[_Droppable] = []
    for model in _BULK_MODELS:
        table = model._meta.db_table
        keys = [
            f
            for f in model._meta.local_fields
            if f.remote_field is not None and getattr(f, "db_constraint", False)
        ]
        for statement in editor._model_indexes_sql(model):
            if any(statement.references_column(table, f.column) for f in keys):
                continue
            out.append(_Droppable(table, str(statement.parts["name"]).strip('"'), str(statement), False))
        if pg:
            for field in keys:
                statement = editor._create_fk_sql(model, field, "_fk_%(to_table)s_%(to_column)s")
                out.append(_Droppable(table, str(statement.parts["name"]).strip('"'), str(statement), True))
    return out


def present() -> set[str]:
    """Names of the indexes and constraints of the registry tables a bulk load touches."""
    conn = connections[DEFAULT_DB_ALIAS]
    tables = [m._meta.db_table for m in _BULK_MODELS]
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(
                "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = ANY(%s) "
                "AND pg_table_is_visible(t.oid) UNION ALL SELECT c.conname FROM pg_constraint c JOIN "
                "pg_class t ON t.oid = c.conrelid WHERE t.relname = ANY(%s) AND pg_table_is_visible(t.oid)",
                [tables, tables],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' "  # noqa: S608
                f"AND tbl_name IN ({', '.join(['%s'] * len(tables))})",
                tables,
            )
        return {row[0] for row in cursor.fetchall()}


def indexes_drop() -> list[str]:
    """Drop what :func:`droppable` lists (in the caller's transaction); the names dropped."""
    conn = connections[DEFAULT_DB_ALIAS]
    quote = conn.ops.quote_name
    there = present()
    gone = [d for d in droppable() if d.name in there]
    with conn.cursor() as cursor:
        _fire_deferred_checks(cursor, gone)
        for item in gone:
            if item.foreign_key:
                cursor.execute(f"ALTER TABLE {quote(item.table)} DROP CONSTRAINT {quote(item.name)}")
            else:
                cursor.execute(f"DROP INDEX {quote(item.name)}")
    return [d.name for d in gone]


def indexes_restore() -> list[str]:
    """Build again (in the caller's transaction) whatever of :func:`droppable` is missing, indexes first,
    then foreign keys (PostgreSQL checks every row against them as they are added); the names built."""
    conn = connections[DEFAULT_DB_ALIAS]
    there = present()
    missing = sorted((d for d in droppable() if d.name not in there), key=lambda d: d.foreign_key)
    if not missing:
        return []
    pg = conn.vendor == "postgresql"
    with conn.cursor() as cursor:
        if pg:
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{RESTORE_MEMORY}'")
            _fire_deferred_checks(cursor, missing)
        for item in missing:
            cursor.execute(item.create)
        for table in sorted({d.table for d in missing}):
            cursor.execute(f"ANALYZE {conn.ops.quote_name(table)}")
    return [d.name for d in missing]


def _fire_deferred_checks(cursor: Any, items: Sequence[_Droppable]) -> None:
    """PostgreSQL refuses to alter a table's foreign keys while checks deferred to the commit are pending
    (rows written earlier in the transaction): run them now, then defer again."""
    if any(d.foreign_key for d in items):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
