"""The common row of a ledger import, checked column by column (the validator's fast path).

:class:`_FastPath` gives, for a chunk of rows, the :class:`LedgerRow` that the row-by-row check in
:mod:`.validation` would give for each row with no error and no warning, or ``None`` for a row that needs
that check (which then words the messages). Cells repeat (villages, the enumerated words, places, incomes),
so each distinct value of a column is judged once; whole columns of plain names or phones are checked with
one match; ID checksums with NumPy.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from wengang.core.text import normalize_code
from wengang.registry.identity import IdentityError, checksums_ok, normalize_phone, region_existed

from . import columns as c
from .reading import TableRow, cell_text
from .values import parse_date, parse_income, split_list
from .villages import VillageError, VillageIndex

MAX_LENGTHS = {c.NAME: 50, c.WORK_PLACE: 200, c.EMPLOYER_NAME: 200, c.INTENT_DESTINATION: 100, c.NOTES: 500}
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


def _clean_name(text: str) -> str:
    return text.replace(" ", "") if _CJK_RE.search(text) else text


_MISS = object()  # not memoised yet
_BAD = object()  # a memoised cell that needs the row-by-row check (an error, a warning, anything unusual)
_MEMO_LIMIT = 200_000  # distinct values remembered per column
CHUNK = 4096  # rows whose ID numbers are checked together


class _FastPath:
    """The common row, checked column by column with memoised cells and vectorised ID checksums.

    ``row(...)`` returns the :class:`LedgerRow` that ``validation._validate_row`` would return for a row
    with no error and no warning, or ``None`` when anything in the row needs the row-by-row check (which
    then gives the exact messages); ``rows(...)`` does the same for a chunk. Cells repeat (villages, the
    enumerated words, places, incomes), so each distinct value of a column is judged once.
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

    def _village_of_code(self, raw: Any) -> Any:
        return self._village((raw, None))

    def _village_of_name(self, raw: Any) -> Any:
        return self._village((None, raw))

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

        def judged(key: str, index: int | None, judge: Any, raws: Sequence[Any] | None = None) -> list[Any]:
            raws = column(index) if raws is None else raws
            if raws is nones:  # a column the file does not have: one judgement for the chunk
                value = self._cached(key, None, judge)
                if value is _BAD:
                    bad[:] = [True] * n
                return [value] * n
            values = self._judged(key, raws, judge)
            if _BAD in values:
                for k in [k for k, value in enumerate(values) if value is _BAD]:
                    bad[k] = True
            return values

        names = self._names(column(self.i_name))
        if names is None:
            names = judged("name", self.i_name, self._name)
        phones = self._phones(column(self.i_phone), bad)
        codes, places = column(self.i_code), column(self.i_village)
        if places is nones:  # judged by the one cell the file has, without a pair a row
            villages = judged("village_code", None, self._village_of_code, codes)
        elif codes is nones:
            villages = judged("village_name", None, self._village_of_name, places)
        else:
            villages = judged("village", None, self._village, list(zip(codes, places, strict=True)))
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
        skills = judged("skills", self.i_skills, split_list)  # never _BAD
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
