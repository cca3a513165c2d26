"""Validating a ledger table row by row into typed rows, row errors and warnings. No database writes.

Villages are resolved from one query of the villages in the user's scope; existing people are not looked
at here (the load step decides between creating and updating). Every message is translatable, and every
value quoted back to the user is masked: ID numbers and phones always, and ID-like or phone-like runs in
any other cell.
"""

from __future__ import annotations

import gc
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from wengang.accounts.scoping import user_area_prefixes
from wengang.core.masking import mask_id_number, mask_phone, redact_text
from wengang.core.text import normalize_code, normalize_text
from wengang.registry.identity import (
    IdentityError,
    normalize_phone,
    parse_resident_id,
)

from . import columns as c
from .fastpath import (  # noqa: F401  # the row types and the fast path's markers, as before
    _BAD,
    _MISS,
    _PLAIN_PHONE_RE,
    CHUNK,
    MAX_LENGTHS,
    LedgerRow,
    _clean_name,
    _FastPath,
)
from .reading import Table, TableRow, cell_text
from .values import parse_date, parse_income, split_list
from .villages import VillageError, VillageIndex

MAX_SHOWN = 100
_LONG_DIGITS_RE = re.compile(r"\d{15,}")


@dataclass(frozen=True)
class RowError:
    """A rejected cell: row number as Excel shows it, header as written in the file, masked value, reason."""

    row_number: int
    column: str
    masked_value: str
    reason: str
    column_index: int | None = None  # 0-based, for highlighting; None when not tied to a cell


@dataclass(frozen=True)
class RowWarning:
    """Something to check in a row that is still accepted (e.g. an old region code in the ID number)."""

    row_number: int
    column: str
    masked_value: str
    reason: str
    column_index: int | None = None


@dataclass
class ValidationResult:
    rows: list[LedgerRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    file_warnings: list[str] = field(default_factory=list)
    columns: c.ColumnMap | None = None
    total_rows: int = 0  # data rows read (blank and summary rows excluded)

    @property
    def ok(self) -> bool:
        """The file could be validated (it may still have rejected rows)."""
        return not self.file_errors

    @property
    def rejected_row_numbers(self) -> list[int]:
        return sorted({e.row_number for e in self.errors})

    def errors_by_row(self) -> dict[int, list[RowError]]:
        out: dict[int, list[RowError]] = defaultdict(list)
        for error in self.errors:
            out[error.row_number].append(error)
        return dict(out)


def masked_cell(field_key: str | None, value: Any) -> str:
    """A cell's value as it may be shown back: ID numbers and phones masked, other cells redacted."""
    if value is None:
        return ""
    if field_key == c.ID_NUMBER:
        text = normalize_code(value if isinstance(value, str) else _raw_number(value))
        return mask_id_number(text)
    text = cell_text(value)
    if field_key == c.PHONE and any(ch.isdigit() for ch in text):
        return mask_phone(text)
    text = redact_text(text)
    text = _LONG_DIGITS_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    if len(text) > MAX_SHOWN:
        text = text[: MAX_SHOWN - 1] + "…"
    return text


def _raw_number(value: Any) -> str:
    """A number as Excel's General format shows it: ``4.10329E+17`` for a long one."""
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 1e11:
        mantissa, exponent = f"{float(value):.5E}".split("E")
        return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"
    return cell_text(value)


def excel_id_message() -> str:
    # The same msgid as wengang.registry.identity, so it shares the translation.
    return _(
        "The ID number was stored by Excel as a number and has lost its last digits. Format the column "
        "as Text in Excel, type the numbers again, and import again."
    )


class _RowCheck:
    """Collects one row's errors and warnings."""

    def __init__(self, row: TableRow, cmap: c.ColumnMap) -> None:
        self.row = row
        self.cmap = cmap
        self.errors: list[RowError] = []
        self.warnings: list[RowWarning] = []
        self.id_number = ""  # once parsed, even if the row has other errors

    def raw(self, key: str) -> Any:
        return self.row.get(self.cmap.index(key))

    def text(self, key: str) -> str:
        return cell_text(self.raw(key))

    def error(self, key: str, reason: str) -> None:
        self.errors.append(
            RowError(
                self.row.number,
                self.cmap.header(key),
                masked_cell(key, self.raw(key)),
                reason,
                self.cmap.index(key),
            )
        )

    def warn(self, key: str, reason: str) -> None:
        self.warnings.append(
            RowWarning(
                self.row.number,
                self.cmap.header(key),
                masked_cell(key, self.raw(key)),
                reason,
                self.cmap.index(key),
            )
        )

    def bounded(self, key: str) -> str:
        value = self.text(key)
        limit = MAX_LENGTHS.get(key)
        if limit and len(value) > limit:
            self.error(key, _("This is longer than %(n)d characters.") % {"n": limit})
        return value

    def enum(self, key: str) -> str:
        value = self.text(key)
        if not value:
            return ""
        found = c.lookup_enum(key, value)
        if found is None:
            self.error(
                key,
                _("%(value)s is not a word this column accepts. Use one of: %(words)s.")
                % {"value": value, "words": "、".join(c.accepted_words(key))},
            )
            return ""
        return found


def _is_empty(row: TableRow, cmap: c.ColumnMap) -> bool:
    return all(not cell_text(row.get(idx)) for idx in cmap.fields.values())


def _validate_row(
    row: TableRow, cmap: c.ColumnMap, villages: VillageIndex, default_village: str
) -> tuple[LedgerRow | None, _RowCheck]:
    check = _RowCheck(row, cmap)

    name = _clean_name(check.bounded(c.NAME))
    if not name:
        check.error(c.NAME, _("The name is missing."))
    elif name.replace(".", "").isdigit():
        check.error(c.NAME, _("The name is a number; check that the columns are in the right place."))

    resident = None
    raw_id = check.raw(c.ID_NUMBER)
    if raw_id is None or (isinstance(raw_id, str) and not normalize_text(raw_id)):
        check.error(c.ID_NUMBER, _("The ID number is missing."))
    elif isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
        check.error(c.ID_NUMBER, excel_id_message())
    else:
        try:
            resident = parse_resident_id(raw_id)
        except IdentityError as exc:
            check.error(c.ID_NUMBER, str(exc))
        else:
            check.id_number = resident.number
            for message in resident.warnings:
                check.warn(c.ID_NUMBER, message)
            if resident.number == c.EXAMPLE_ID_NUMBER:
                check.error(c.ID_NUMBER, _("This is the template's example row; delete it before importing."))

    gender_text = normalize_code(check.raw(c.GENDER)) if cmap.index(c.GENDER) is not None else ""
    if gender_text and resident is not None:
        gender = c.GENDER_WORDS.get(gender_text)
        if gender is None:
            check.warn(c.GENDER, _("The gender is not 男 or 女; the gender in the ID number is used."))
        elif gender != resident.gender:
            check.warn(c.GENDER, _("The gender does not match the ID number; the ID number's is used."))

    phone = ""
    if check.text(c.PHONE):
        try:
            phone = normalize_phone(check.text(c.PHONE))
        except IdentityError as exc:
            check.error(c.PHONE, str(exc))

    village_code = ""
    village_key = c.VILLAGE_CODE if check.text(c.VILLAGE_CODE) else c.VILLAGE
    village_text = check.text(village_key)
    if village_text:
        try:
            village_code = villages.resolve(village_text)
        except VillageError as exc:
            check.error(village_key, str(exc))
    elif default_village:
        village_code = default_village
    else:
        check.error(c.VILLAGE, _("The village is missing."))

    poverty = check.enum(c.POVERTY_CATEGORY)
    status = check.enum(c.STATUS)
    intent = check.enum(c.INTENT)
    work_place = check.bounded(c.WORK_PLACE)
    employer = check.bounded(c.EMPLOYER_NAME)
    destination = check.bounded(c.INTENT_DESTINATION)
    notes = check.bounded(c.NOTES)
    skills = split_list(check.raw(c.SKILLS))

    income = None
    try:
        income = parse_income(check.raw(c.MONTHLY_INCOME))
    except ValueError as exc:
        check.error(c.MONTHLY_INCOME, str(exc))
    return_date = None
    try:
        return_date = parse_date(check.raw(c.RETURN_DATE))
    except ValueError as exc:
        check.error(c.RETURN_DATE, str(exc))

    if check.errors or resident is None:
        return None, check
    return (
        LedgerRow(
            row_number=row.number,
            id_number=resident.number,
            name=name,
            gender=resident.gender,
            birth_date=resident.birth_date,
            phone=phone,
            village_code=village_code,
            poverty_category=poverty,
            status=status,
            work_place=work_place,
            employer_name=employer,
            monthly_income=income,
            return_date=return_date,
            intent=intent,
            intent_destination=destination,
            skills=skills,
            notes=notes,
            warnings=[w.reason for w in check.warnings],
        ),
        check,
    )


def _mapped_blank(row: TableRow, indexes: list[int]) -> bool:
    """``_is_empty``: every mapped cell blank (the name cell, checked first, is filled in most rows)."""
    cells = row.cells
    width = len(cells)
    for i in indexes:
        value = cells[i] if i < width else None
        if value is None or value == "":
            continue
        if type(value) is not str or (value.strip() if value.isascii() else value.lstrip()[:1].isalnum()):
            return False
        if cell_text(value):
            return False
    return True


def _chunks(rows: Iterable[TableRow], size: int) -> Iterator[list[TableRow]]:
    it = iter(rows)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _file_checks(headers: list[str], user: Any, result: ValidationResult) -> tuple[c.ColumnMap, str]:
    cmap = c.map_columns(headers)
    result.columns = cmap
    result.file_errors.extend(cmap.errors)
    result.file_warnings.extend(cmap.warnings)
    scope = getattr(user, "scope_code", "") or ""
    if not user_area_prefixes(user):
        result.file_errors.append(_("Your account has no area, so nothing can be imported."))
    default_village = scope if len(scope) == 12 else ""
    if cmap.index(c.VILLAGE) is None and cmap.index(c.VILLAGE_CODE) is None and not default_village:
        result.file_errors.append(
            _(
                "The file has no village column (%(column)s). Add it, with the village name or its "
                "12-digit code."
            )
            % {"column": c.canonical_header(c.VILLAGE)}
        )
    return cmap, default_village


def validate_stream(
    headers: list[str],
    rows: Iterable[TableRow],
    *,
    user: Any,
    villages: VillageIndex | None = None,
    keep_rejected: list[TableRow] | None = None,
) -> ValidationResult:
    """:func:`validate_rows` over rows read one at a time (``iter_table(...).rows``); the same result.

    Rows are checked in chunks: the ID checksums of a chunk at once (NumPy), repeated cells once per
    distinct value, and only rows with something to report go through the row-by-row check that words the
    messages. Rejected rows are appended to ``keep_rejected`` (for the error workbook) when it is given;
    a row rejected only for repeating an ID number of a later row is not (its number is in the errors).

    The cyclic garbage collector is paused meanwhile: the rows, cells and results made here hold no
    cycles, and its passes over the growing heap took a third of the time at a million rows.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _validate_stream(headers, rows, user=user, villages=villages, keep_rejected=keep_rejected)
    finally:
        if enabled:
            gc.enable()


def _validate_stream(
    headers: list[str],
    rows: Iterable[TableRow],
    *,
    user: Any,
    villages: VillageIndex | None,
    keep_rejected: list[TableRow] | None,
) -> ValidationResult:
    result = ValidationResult()
    cmap, default_village = _file_checks(headers, user, result)
    mapped = sorted(cmap.fields.values(), key=lambda i: i != cmap.index(c.NAME))
    if cmap.missing:
        rows = ()
    if result.file_errors:
        result.total_rows = sum(1 for r in rows if not _mapped_blank(r, mapped))
        if not cmap.missing and not result.total_rows:
            result.file_errors.append(_("The file has no data rows under the header row."))
        return result

    index = villages if villages is not None else VillageIndex.for_user(user)
    fast = _FastPath(cmap, index, default_village)
    # Per row, in order: the LedgerRow (fast path) or (TableRow, LedgerRow | None, _RowCheck).
    checked: list[LedgerRow | tuple[TableRow, LedgerRow | None, _RowCheck]] = []
    first_row: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    total = 0
    for chunk in _chunks(rows, CHUNK):
        chunk = [r for r in chunk if not _mapped_blank(r, mapped)]
        total += len(chunk)
        for row, ledger in zip(chunk, fast.rows(chunk, fast.ids_ok(chunk)), strict=True):
            if ledger is not None:
                checked.append(ledger)
                number = ledger.id_number
            else:
                ledger, check = _validate_row(row, cmap, index, default_village)
                checked.append((row, ledger, check))
                number = check.id_number
            if number:
                seen = first_row.setdefault(number, row.number)
                if seen != row.number:
                    repeated.setdefault(number, [seen]).append(row.number)
    result.total_rows = total
    if not total:
        result.file_errors.append(_("The file has no data rows under the header row."))
        return result

    for item in checked:
        if isinstance(item, LedgerRow):
            if item.id_number not in repeated:
                result.rows.append(item)
                continue
            # A fast-path row's ID cell is its number as written; the other cells are not kept.
            row = TableRow(item.row_number, [None] * len(headers))
            row.cells[cmap.fields[c.ID_NUMBER]] = item.id_number
            repeat = _RowCheck(row, cmap)
            repeat.id_number = item.id_number
            item = (row, None, repeat)
            keep = False
        else:
            keep = True
        row, ledger, check = item
        number = check.id_number
        if number and number in repeated:
            others = [n for n in repeated[number] if n != row.number]
            check.error(
                c.ID_NUMBER,
                _("The same ID number is also in row %(rows)s of this file; keep one row per person.")
                % {"rows": "、".join(str(n) for n in others)},
            )
            ledger = None
        if ledger is None:
            result.errors.extend(check.errors)
            if keep and keep_rejected is not None:
                keep_rejected.append(row)
        else:
            result.rows.append(ledger)
            result.warnings.extend(check.warnings)
    return result


def validate_rows(table: Table, *, user: Any, villages: VillageIndex | None = None) -> ValidationResult:
    """Check every row of ``table`` for ``user``; see :class:`ValidationResult`.

    A row is rejected for any error in it, for a village outside the user's scope, and when its ID number
    appears in another row of the file (every such row is rejected, naming the others). ``villages`` may be
    passed to reuse an index; by default it is read in one query.
    """
    return validate_stream(table.headers, table.rows, user=user, villages=villages)
