"""Validating a ledger table row by row into typed rows, row errors and warnings. No database writes.

Villages are resolved from one query of the villages in the user's scope; existing people are not looked
at here (the load step decides between creating and updating). Every message is translatable, and every
value quoted back to the user is masked: ID numbers and phones always, and ID-like or phone-like runs in
any other cell.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.utils.translation import gettext as _

from wengang.accounts.scoping import user_area_prefixes
from wengang.core.masking import mask_id_number, mask_phone, redact_text
from wengang.core.text import normalize_code, normalize_text
from wengang.registry.identity import (
    IdentityError,
    checksums_ok,
    normalize_phone,
    parse_resident_id,
    region_existed,
)

from . import columns as c
from .reading import Table, TableRow, cell_text
from .values import parse_date, parse_income, split_list
from .villages import VillageError, VillageIndex

MAX_LENGTHS = {c.NAME: 50, c.WORK_PLACE: 200, c.EMPLOYER_NAME: 200, c.INTENT_DESTINATION: 100, c.NOTES: 500}
MAX_SHOWN = 100
_LONG_DIGITS_RE = re.compile(r"\d{15,}")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")


@dataclass(slots=True)
class LedgerRow:
    """One valid row, normalised, ready for the load step. ``id_number`` and ``phone`` are plaintext."""

    row_number: int
    id_number: str
    name: str
    gender: str  # "M" / "F", from the ID number
    birth_date: dt.date
    phone: str  # 11 digits or ""
    village_code: str
    poverty_category: str  # a PovertyCategory value, or "" when the cell was blank
    status: str  # an EmploymentStatus value, or ""
    work_place: str
    employer_name: str
    monthly_income: int | None
    return_date: dt.date | None
    intent: str  # an Intent value, or ""
    intent_destination: str
    skills: list[str]
    notes: str
    warnings: list[str] = field(default_factory=list)


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


def _clean_name(text: str) -> str:
    return text.replace(" ", "") if _CJK_RE.search(text) else text


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


_MISS = object()  # not memoised yet
_BAD = object()  # a memoised cell that needs the row-by-row check (an error, a warning, anything unusual)
_MEMO_LIMIT = 200_000  # distinct values remembered per column
CHUNK = 4096  # rows whose ID numbers are checked together


class _FastPath:
    """The common row, checked column by column with memoised cells and vectorised ID checksums.

    ``row(...)`` returns the :class:`LedgerRow` that :func:`_validate_row` would return for a row with no
    error and no warning, or ``None`` when anything in the row needs the row-by-row check (which then gives
    the exact messages). Cells repeat (villages, the enumerated words, places, incomes), so each distinct
    value of a column is judged once.
    """

    def __init__(self, cmap: c.ColumnMap, villages: VillageIndex, default_village: str) -> None:
        self.cmap = cmap
        self.villages = villages
        self.default_village = default_village
        idx = cmap.index
        self.i_name, self.i_id, self.i_phone = idx(c.NAME), idx(c.ID_NUMBER), idx(c.PHONE)
        self.i_gender, self.i_code, self.i_village = idx(c.GENDER), idx(c.VILLAGE_CODE), idx(c.VILLAGE)
        self.enums = [idx(c.POVERTY_CATEGORY), idx(c.STATUS), idx(c.INTENT)]
        self.bounded = [idx(c.WORK_PLACE), idx(c.EMPLOYER_NAME), idx(c.INTENT_DESTINATION), idx(c.NOTES)]
        self.i_skills, self.i_income, self.i_return = idx(c.SKILLS), idx(c.MONTHLY_INCOME), idx(c.RETURN_DATE)
        self.memo: dict[str, dict[Any, Any]] = defaultdict(dict)
        self.enum_judges = [self._enum(k) for k in (c.POVERTY_CATEGORY, c.STATUS, c.INTENT)]
        self.bounded_judges = [
            self._bounded(k) for k in (c.WORK_PLACE, c.EMPLOYER_NAME, c.INTENT_DESTINATION, c.NOTES)
        ]
        self.income_judge, self.date_judge = self._parsed(parse_income), self._parsed(parse_date)
        self.phone_judge = self._parsed(_phone_of)
        self.births: dict[str, dt.date | None] = {}
        self.regions: dict[tuple[str, int], bool] = {}
        self.region_years: dict[str, bool] = {}  # ID number[:10] (region code and birth year) → existed

    def _cached(self, column: str, raw: Any, judge: Any) -> Any:
        memo = self.memo[column]
        try:
            return memo[raw]
        except KeyError:
            pass
        except TypeError:  # an unhashable cell: judge it every time
            return judge(raw)
        value = judge(raw)
        if len(memo) < _MEMO_LIMIT:
            memo[raw] = value
        return value

    # Each judge mirrors the matching lines of _validate_row and returns _BAD where that would not pass.

    @staticmethod
    def _name(raw: Any) -> Any:
        # A name of plain CJK characters is its own normalised text.
        text = raw if type(raw) is str and _PLAIN_CJK_RE.match(raw) else cell_text(raw)
        if len(text) > MAX_LENGTHS[c.NAME]:
            return _BAD
        name = _clean_name(text)
        if not name or name.replace(".", "").isdigit():
            return _BAD
        return name

    @staticmethod
    def _bounded(key: str) -> Any:
        limit = MAX_LENGTHS.get(key)

        def judge(raw: Any) -> Any:
            text = cell_text(raw)
            return _BAD if limit and len(text) > limit else text

        return judge

    @staticmethod
    def _enum(key: str) -> Any:
        def judge(raw: Any) -> Any:
            text = cell_text(raw)
            if not text:
                return ""
            found = c.lookup_enum(key, text)
            return _BAD if found is None else found

        return judge

    def _village(self, raws: tuple[Any, Any]) -> Any:
        code_text = cell_text(raws[0])
        text = code_text or cell_text(raws[1])
        if text:
            try:
                return self.villages.resolve(text)
            except VillageError:
                return _BAD
        return self.default_village or _BAD

    @staticmethod
    def _parsed(parse: Any) -> Any:
        def judge(raw: Any) -> Any:
            try:
                return parse(raw)
            except ValueError:
                return _BAD

        return judge

    @staticmethod
    def _gender(raw: Any) -> Any:
        text = normalize_code(raw)
        if not text:
            return ""
        return c.GENDER_WORDS.get(text, _BAD)

    def _birth(self, number: str) -> dt.date | None:
        key = number[6:14]
        try:
            return self.births[key]
        except KeyError:
            try:
                birth: dt.date | None = dt.date(int(key[:4]), int(key[4:6]), int(key[6:]))
            except ValueError:
                birth = None
            self.births[key] = birth
            return birth

    def ids_ok(self, rows: list[TableRow]) -> list[bool]:
        i = self.i_id
        raws = [r.cells[i] if i is not None and i < len(r.cells) else None for r in rows]
        return checksums_ok(raws)  # type: ignore[arg-type]  # anything not a plain str is False

    def _judged(self, key: str, raws: Sequence[Any], judge: Any) -> list[Any]:
        """``_cached`` of every cell of a column: known values in one pass over the memo."""
        get = self.memo[key].get
        try:
            out = [get(raw, _MISS) for raw in raws]
        except TypeError:  # an unhashable cell somewhere: one at a time
            return [self._cached(key, raw, judge) for raw in raws]
        # Misses found by identity in C (``in``/``index`` try ``is`` first; no judged value equals _MISS).
        k = 0
        while True:
            try:
                k = out.index(_MISS, k)
            except ValueError:
                return out
            out[k] = self._cached(key, raws[k], judge)

    def rows(self, chunk: list[TableRow], oks: list[bool]) -> list[LedgerRow | None]:
        """:meth:`row` of every row of a chunk, column by column (the same results, a third of the cost)."""
        n = len(chunk)
        if not n:
            return []
        # The chunk transposed once: column i is cols[i], short rows padded with None (as TableRow.get).
        cols = list(itertools.zip_longest(*[r.cells for r in chunk]))
        nones = (None,) * n

        def column(index: int | None) -> Sequence[Any]:
            return cols[index] if index is not None and index < len(cols) else nones

        numbers = column(self.i_id)
        example = c.EXAMPLE_ID_NUMBER
        # Birth date by the 8 date digits, the region's existence by the 6 region and 4 year digits: both
        # repeat, so a dict lookup a row; misses judged once.
        ids: list[Any] = [
            num if ok and num != example else None for num, ok in zip(numbers, oks, strict=True)
        ]
        bget, rget = self.births.get, self.region_years.get
        births = [bget(num[6:14], _MISS) if num is not None else None for num in ids]
        for k in [k for k, b in enumerate(births) if b is _MISS]:
            births[k] = self._birth(ids[k])
        regions = [
            rget(num[:10], _MISS) if b is not None else False for num, b in zip(ids, births, strict=True)
        ]
        for k in [k for k, r in enumerate(regions) if r is _MISS]:
            number, birth = cast(str, ids[k]), cast(dt.date, births[k])
            regions[k] = self.region_years[number[:10]] = region_existed(number, birth.year)
        bad = [not r for r in regions]
        sex = _SEX_DIGIT
        genders = [sex[num[16]] if r else "" for num, r in zip(ids, regions, strict=True)]
        if self.i_gender is not None:
            written = self._judged("gender", column(self.i_gender), self._gender)
            for k in [k for k, w in enumerate(written) if w is _BAD or (w and w != genders[k])]:
                bad[k] = True

        def judged(key: str, index: int | None, judge: Any) -> list[Any]:
            values = self._judged(key, column(index), judge)
            if _BAD in values:
                for k in [k for k, value in enumerate(values) if value is _BAD]:
                    bad[k] = True
            return values

        names = self._names(column(self.i_name))
        if names is None:
            names = judged("name", self.i_name, self._name)
        phones = self._phones(column(self.i_phone), bad)
        pairs = list(zip(column(self.i_code), column(self.i_village), strict=True))
        villages = self._judged("village", pairs, self._village)
        if _BAD in villages:
            for k in [k for k, value in enumerate(villages) if value is _BAD]:
                bad[k] = True
        poverty, status, intent = (
            judged(key, i, judge)
            for key, i, judge in zip(
                (c.POVERTY_CATEGORY, c.STATUS, c.INTENT), self.enums, self.enum_judges, strict=True
            )
        )
        place, employer, destination, notes = (
            judged(key, i, judge)
            for key, i, judge in zip(
                (c.WORK_PLACE, c.EMPLOYER_NAME, c.INTENT_DESTINATION, c.NOTES),
                self.bounded,
                self.bounded_judges,
                strict=True,
            )
        )
        income = judged("income", self.i_income, self.income_judge)
        back = judged("return", self.i_return, self.date_judge)
        skills = self._judged("skills", column(self.i_skills), split_list)
        # Each row its own skills list (the memo's is shared); warnings from the field's default factory.
        made = itertools.starmap(
            LedgerRow,
            zip(
                [r.number for r in chunk],
                ids,
                names,
                genders,
                births,
                phones,
                villages,
                poverty,
                status,
                place,
                employer,
                income,
                back,
                intent,
                destination,
                map(list, skills),
                notes,
                strict=True,
            ),
        )
        return [None if b else row for row, b in zip(made, bad, strict=True)]

    @staticmethod
    def _names(raws: Sequence[Any]) -> list[Any] | None:
        """The names of a column when every cell is 1 to 50 plain CJK characters (each its own name, as
        :meth:`_name` would give it), with one match over the joined column; else ``None``."""
        try:
            joined = "\n".join(raws)
        except TypeError:  # a blank or a number somewhere
            return None
        # Segments of CJK characters only, and exactly the n-1 newlines the join put in: one cell each.
        if joined.count("\n") == len(raws) - 1 and _PLAIN_NAMES_RE.fullmatch(joined):
            return list(raws)
        return None

    def _phones(self, raws: Sequence[Any], bad: list[bool]) -> list[Any]:
        """The phones of a column; rows whose phone needs the row-by-row check are marked in ``bad``."""
        try:
            joined = "\n".join(raws)
        except TypeError:  # a number or blank cell somewhere
            joined = ""
        # Every cell a plain 11-digit mobile number (the usual column): one match for the whole column.
        # Exactly n-1 newlines, all where the joins put them, so every cell is one whole number.
        if len(joined) == 12 * len(raws) - 1 and _PLAIN_PHONES_RE.fullmatch(joined):
            return list(raws)
        phones: list[Any] = [""] * len(raws)
        plain = _PLAIN_PHONE_RE.match
        for k, raw in enumerate(raws):
            if raw is None or raw == "":
                continue
            if type(raw) is str and len(raw) == 11 and plain(raw):
                phones[k] = raw
                continue
            phone = self._cached("phone", raw, self.phone_judge)
            if phone is _BAD:
                bad[k] = True
            phones[k] = phone
        return phones

    def _existed(self, number: str, year: int) -> bool:
        key = (number[:6], year)
        try:
            return self.regions[key]
        except KeyError:
            found = self.regions[key] = region_existed(number, year)
            return found

    def row(self, row: TableRow, id_ok: bool) -> LedgerRow | None:
        if not id_ok:
            return None
        cells = row.cells
        get = row.get
        number = cast(str, cells[self.i_id])  # type: ignore[index]  # id_ok: a checksum-valid 18-char str
        if number == c.EXAMPLE_ID_NUMBER:
            return None
        birth = self._birth(number)
        if birth is None or not region_existed(number, birth.year):
            return None
        gender = "M" if int(number[16]) % 2 == 1 else "F"
        if self.i_gender is not None:
            written = self._cached("gender", get(self.i_gender), self._gender)
            if written is _BAD or (written and written != gender):
                return None
        cached = self._cached
        name = cached("name", get(self.i_name), self._name)
        if name is _BAD:
            return None
        raw_phone = get(self.i_phone)
        if raw_phone is None or raw_phone == "":
            phone = ""
        elif type(raw_phone) is str and len(raw_phone) == 11 and _PLAIN_PHONE_RE.match(raw_phone):
            phone = raw_phone
        else:
            phone = cached("phone", raw_phone, self.phone_judge)
            if phone is _BAD:
                return None
        village = cached("village", (get(self.i_code), get(self.i_village)), self._village)
        if village is _BAD:
            return None
        i_poverty, i_status, i_intent = self.enums
        j_poverty, j_status, j_intent = self.enum_judges
        poverty = cached(c.POVERTY_CATEGORY, get(i_poverty), j_poverty)
        status = cached(c.STATUS, get(i_status), j_status)
        intent = cached(c.INTENT, get(i_intent), j_intent)
        if poverty is _BAD or status is _BAD or intent is _BAD:
            return None
        i_place, i_employer, i_destination, i_notes = self.bounded
        j_place, j_employer, j_destination, j_notes = self.bounded_judges
        work_place = cached(c.WORK_PLACE, get(i_place), j_place)
        employer = cached(c.EMPLOYER_NAME, get(i_employer), j_employer)
        destination = cached(c.INTENT_DESTINATION, get(i_destination), j_destination)
        notes = cached(c.NOTES, get(i_notes), j_notes)
        if work_place is _BAD or employer is _BAD or destination is _BAD or notes is _BAD:
            return None
        income = cached("income", get(self.i_income), self.income_judge)
        return_date = cached("return", get(self.i_return), self.date_judge)
        if income is _BAD or return_date is _BAD:
            return None
        skills = cached("skills", get(self.i_skills), split_list)
        return LedgerRow(
            row_number=row.number,
            id_number=number,
            name=name,
            gender=gender,
            birth_date=birth,
            phone=phone,
            village_code=village,
            poverty_category=poverty,
            status=status,
            work_place=work_place,
            employer_name=employer,
            monthly_income=income,
            return_date=return_date,
            intent=intent,
            intent_destination=destination,
            skills=list(skills),
            notes=notes,
            warnings=[],
        )


_PLAIN_CJK_RE = re.compile(r"[\u4e00-\u9fff]+\Z")
_PLAIN_PHONE_RE = re.compile(r"1[3-9]\d{9}\Z", re.ASCII)
_PLAIN_PHONES_RE = re.compile(r"(?:1[3-9]\d{9}\n)*1[3-9]\d{9}", re.ASCII)
_PLAIN_NAMES_RE = re.compile(
    r"(?:[\u4e00-\u9fff]{{1,{n}}}\n)*[\u4e00-\u9fff]{{1,{n}}}".format(n=MAX_LENGTHS[c.NAME])
)
_SEX_DIGIT = {str(d): "M" if d % 2 else "F" for d in range(10)}


def _phone_of(raw: Any) -> str:
    text = cell_text(raw)
    if not text:
        return ""
    try:
        return normalize_phone(text)
    except IdentityError as exc:
        raise ValueError(str(exc)) from None


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
