"""A batch's new people as table columns, for ``import_writer.Writer``: built column by column, without a
tuple or a Python call per row, then written as COPY text (PostgreSQL) or ``executemany`` rows (SQLite).

Each table's first column is the value its rows are sorted on (the ID hash for people, the village code for
households), so each index is filled leaf after leaf; on PostgreSQL sorting the COPY lines sorts on it
(a tab sorts before any character of a hash or a code).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import itemgetter
from typing import Any

from wengang.core.masking import mask_id_number, mask_phone

from .choices import Health, PovertyCategory, Relation
from .importers import LedgerRow

NULL = "\\N"
_COPY_SPECIAL = re.compile(r"[\\\t\n\r\0]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\000"})

# Column kinds: how a column's values become COPY text.
TEXT = "text"  # text from the file: escaped where it holds a tab, newline, backslash
SAFE = "safe"  # text made here that never needs escaping (hashes, base64, digits, dates, choice values)
INT = "int"  # integers
OPTIONAL = "optional"  # integers or safe text, or None
SAME = "same"  # one value for every row (``values`` is that value)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    values: Any


def escaped(values: list[str]) -> list[str]:
    """COPY text escapes, looked for once in the whole column (a file rarely holds any)."""
    if not _COPY_SPECIAL.search("".join(values)):
        return values
    return [v.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(v) else v for v in values]


def _same_text(value: Any) -> str:
    if value is None:
        return NULL
    if value is True or value is False:
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)


def row_count(columns: Sequence[Column]) -> int:
    return next(len(c.values) for c in columns if c.kind != SAME)


def copy_lines(columns: Sequence[Column], *, sort: bool = True) -> list[str]:
    """The rows as COPY text lines (no newline), sorted on the first column if ``sort``."""
    count = row_count(columns)
    texts: list[Iterable[str]] = []
    for column in columns:
        values = column.values
        if column.kind == SAME:
            texts.append(repeat(_same_text(values), count))
        elif column.kind == TEXT:
            texts.append(escaped(values))
        elif column.kind == SAFE:
            texts.append(values)
        elif column.kind == INT:
            texts.append(map(str, values))
        else:
            texts.append([NULL if v is None else str(v) for v in values])
    lines = list(map("\t".join, zip(*texts, strict=False)))
    if sort:
        lines.sort()
    return lines


def value_rows(columns: Sequence[Column], *, sort: bool = True) -> list[tuple[Any, ...]]:
    """The rows as parameter tuples (``executemany``), sorted on the first column if ``sort``."""
    count = row_count(columns)
    values = [repeat(c.values, count) if c.kind == SAME else c.values for c in columns]
    rows = list(zip(*values, strict=False))
    if sort:
        rows.sort(key=itemgetter(0))
    return rows


def _masked_ids(ids: list[str]) -> list[str]:
    return [v[:6] + "********" + v[14:] if len(v) == 18 and v.isalnum() else mask_id_number(v) for v in ids]


def _masked_phones(phones: list[str]) -> list[str]:
    return [
        (p[:3] + "****" + p[7:] if len(p) == 11 and p.isdigit() else mask_phone(p)) if p else ""
        for p in phones
    ]


def _iso(dates: Iterable[dt.date | None]) -> list[str | None]:
    return [None if d is None else d.isoformat() for d in dates]


@dataclass(frozen=True)
class NewPeople:
    """What the four tables get for a batch's new people (rows of the file, keys drawn, ID and phone hashes,
    in the same order). IDs and phones are sealed (``seal``) a chunk at a time as the person rows are made."""

    ledger: list[LedgerRow]
    person_keys: list[int]
    household_keys: list[int]
    id_hashes: list[str]
    phone_hashes: list[str]
    now: Any  # as the database takes it
    day: str
    source: str
    user_id: Any
    skills_json: Callable[[list[str]], str]
    seal: Callable[[list[str]], list[str]]

    def households(self, *, heads: bool = True) -> list[Column]:
        """``heads=False``: without the head (``NULL``), set afterwards (see ``Writer._create``)."""
        rows = self.ledger
        general = PovertyCategory.GENERAL.value
        return [
            Column("village_code", SAFE, [r.village_code for r in rows]),
            Column("id", INT, self.household_keys),
            Column("created_at", SAME, self.now),
            Column("updated_at", SAME, self.now),
            Column("head", INT, self.person_keys) if heads else Column("head", SAME, None),
            Column("poverty_category", SAFE, [r.poverty_category or general for r in rows]),
            Column("poverty_set_on", SAME, self.day),
        ]

    def people(self, chunk: int) -> Iterator[list[Column]]:
        """The person rows in ID-hash order, ``chunk`` rows at a time, each chunk's IDs and phones sealed as
        it is made (the database reads one chunk while the next is made)."""
        order = sorted(range(len(self.ledger)), key=self.id_hashes.__getitem__)
        for start in range(0, len(order), chunk):
            part = order[start : start + chunk]
            yield self._people([self.ledger[i] for i in part], part)

    def _people(self, rows: list[LedgerRow], part: list[int]) -> list[Column]:
        ids = [r.id_number for r in rows]
        phones = [r.phone for r in rows]
        statuses = [r.status for r in rows]
        skills = self.skills_json
        return [
            Column("id_hash", SAFE, [self.id_hashes[i] for i in part]),
            Column("id", INT, [self.person_keys[i] for i in part]),
            Column("created_at", SAME, self.now),
            Column("updated_at", SAME, self.now),
            Column("id_encrypted", SAFE, self.seal(ids)),
            Column("id_masked", TEXT, _masked_ids(ids)),
            Column("name", TEXT, [r.name for r in rows]),
            Column("gender", TEXT, [r.gender for r in rows]),
            Column("birth_date", SAFE, [r.birth_date.isoformat() for r in rows]),
            Column("phone_hash", SAFE, [self.phone_hashes[i] for i in part]),
            Column("phone_encrypted", SAFE, self.seal(phones)),
            Column("phone_masked", TEXT, _masked_phones(phones)),
            Column("household", INT, [self.household_keys[i] for i in part]),
            Column("relation", SAME, Relation.HEAD.value),
            Column("village_code", TEXT, [r.village_code for r in rows]),
            Column("education", SAME, ""),
            Column("health", SAME, Health.HEALTHY.value),
            Column("skills", TEXT, [skills(r.skills) for r in rows]),
            Column("certificates", SAME, skills([])),
            Column("is_three_without", SAME, False),
            Column("status", TEXT, statuses),
            Column("status_since", OPTIONAL, [self.day if s else None for s in statuses]),
            Column("intent", TEXT, [r.intent for r in rows]),
            Column("notes", TEXT, [r.notes for r in rows]),
            Column("return_date", OPTIONAL, _iso(r.return_date for r in rows)),
        ]

    def events(self) -> list[Column]:
        """The employment events of the rows with a status (in key order, as the person index grows)."""
        keep = [bool(r.status) for r in self.ledger]
        rows = list(compress(self.ledger, keep))
        return [
            Column("person", INT, list(compress(self.person_keys, keep))),
            Column("status", TEXT, [r.status for r in rows]),
            Column("occurred_on", SAME, self.day),
            Column("source", SAME, self.source),
            Column("work_province", SAME, ""),
            Column("work_city", SAME, ""),
            Column("work_place", TEXT, [r.work_place for r in rows]),
            Column("employer_name", TEXT, [r.employer_name for r in rows]),
            Column("enterprise", SAME, None),
            Column("monthly_income", OPTIONAL, [r.monthly_income for r in rows]),
            Column("recorded_by", SAME, self.user_id),
            Column("created_at", SAME, self.now),
        ]

    def intents(self) -> list[Column]:
        """The intent records of the rows with an intent."""
        keep = [bool(r.intent) for r in self.ledger]
        rows = list(compress(self.ledger, keep))
        return [
            Column("person", INT, list(compress(self.person_keys, keep))),
            Column("intent", TEXT, [r.intent for r in rows]),
            Column("destination", TEXT, [r.intent_destination for r in rows]),
            Column("recorded_on", SAME, self.day),
            Column("source", SAME, self.source),
            Column("created_at", SAME, self.now),
        ]
