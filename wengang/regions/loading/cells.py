"""Region loader building blocks: constants, results and errors, messages, header mapping, cell parsing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from wengang.core.text import normalize_text

from ..choices import Level

BATCH_SIZE = 1000
"""Rows per INSERT/UPDATE statement batch (Django lowers it further where the database needs it)."""

IN_QUERY_LIMIT = 900
"""Up to this many codes are fetched with one ``code IN (...)`` query; more are fetched per province."""

LEVEL_ORDER: tuple[Level, ...] = (Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE)
_LEVEL_RANK = {level: rank for rank, level in enumerate(LEVEL_ORDER)}
_LEVEL_NAMES = {
    Level.PROVINCE: gettext_lazy("province level"),
    Level.CITY: gettext_lazy("city level"),
    Level.COUNTY: gettext_lazy("county level"),
    Level.TOWNSHIP: gettext_lazy("township level"),
    Level.VILLAGE: gettext_lazy("village level"),
}
"""How messages name a level (“… is province level, must be higher than …”)."""
_PREFIX_LENGTH = {Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12}

_LEVEL_WORDS: dict[str, Level] = {
    **dict.fromkeys(["province", "省", "省级", "直辖市", "自治区", "特别行政区"], Level.PROVINCE),
    **dict.fromkeys(
        ["city", "prefecture", "市", "市级", "地级", "地级市", "地区", "自治州", "盟"], Level.CITY
    ),
    **dict.fromkeys(
        [
            "county",
            "district",
            "县",
            "区",
            "县级",
            "县级市",
            "市辖区",
            "自治县",
            "旗",
            "自治旗",
            "林区",
            "特区",
        ],
        Level.COUNTY,
    ),
    **dict.fromkeys(
        ["township", "town", "street", "subdistrict", "乡", "镇", "街道", "乡级", "乡镇", "民族乡", "苏木"]
        + ["街道办事处"],
        Level.TOWNSHIP,
    ),
    **dict.fromkeys(
        ["village", "community", "村", "社区", "村级", "居委会", "村委会", "嘎查", "村民委员会", "居民委员会"]
        + ["社区居民委员会"],
        Level.VILLAGE,
    ),
}

_REGION_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "区划代码", "代码"),
    "name": ("name", "名称", "区划名称"),
    "parent_code": ("parent_code", "上级代码", "上级区划代码"),
    "level": ("level", "级别", "层级"),
    "longitude": ("longitude", "lon", "lng", "经度"),
    "latitude": ("latitude", "lat", "纬度"),
    "valid_from": ("valid_from", "启用日期"),
    "valid_to": ("valid_to", "停用日期", "失效日期"),
    "is_statistical": ("is_statistical", "仅统计用", "统计单位"),
    "data_version": ("data_version", "数据版本"),
}
_REGION_REQUIRED = ("code", "name")

_CHANGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "old_code": ("old_code", "原代码", "旧代码"),
    "new_code": ("new_code", "新代码"),
    "effective_date": ("effective_date", "生效日期", "变更日期"),
    "note": ("note", "备注", "说明"),
}
_CHANGE_REQUIRED = ("old_code", "new_code", "effective_date")

_CODE_RE = re.compile(r"^(\d{6}|\d{9}|\d{12})$")
_SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?E\+?\d+$")
_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s+0{1,2}:00(?::00)?)?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "是"})
_FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", "否"})
_SIX_PLACES = Decimal("0.000001")
_LONGITUDE_RANGE = (Decimal(73), Decimal(136))
_LATITUDE_RANGE = (Decimal(3), Decimal(54))


@dataclass(frozen=True)
class LoadResult:
    """How many rows a load created, updated, and found already identical."""

    created: int
    updated: int
    unchanged: int


class _RowMessage(str):
    """A message about one row that remembers the row number, so errors sort in any language."""

    line: int

    def __new__(cls, text: str, line: int) -> _RowMessage:
        message = super().__new__(cls, text)
        message.line = line
        return message


def _line_of(message: str) -> int:
    return message.line if isinstance(message, _RowMessage) else 0


def _join(items: Iterable[str]) -> str:
    """Join list items with the active language's list separator (“a, b” / “a、b”)."""
    return pgettext("list separator", ", ").join(items)


class RegionLoadError(Exception):
    """The file has errors; nothing was written.

    ``errors`` holds one message per problem in the active language, ordered by row number (file-level
    problems first).
    """

    def __init__(self, errors: list[str]) -> None:
        self.errors = [str(error) for error in sorted(errors, key=_line_of)]
        count = len(self.errors)
        if self.errors:
            message = ngettext(
                "%(count)d error; nothing was written: %(first)s",
                "%(count)d errors; nothing was written: %(first)s",
                count,
            ) % {"count": count, "first": self.errors[0]}
        else:
            message = ngettext(
                "%(count)d error; nothing was written", "%(count)d errors; nothing was written", count
            ) % {"count": count}
        super().__init__(message)


# --------------------------------------------------------------------------------------------------------
# Cell parsing helpers


def _message(line: int, column: str | None, reason: str) -> str:
    if column is None:
        text = _("Row %(line)d: %(reason)s") % {"line": line, "reason": reason}
    else:
        text = _("Row %(line)d, column “%(column)s”: %(reason)s") % {
            "line": line,
            "column": column,
            "reason": reason,
        }
    return _RowMessage(text, line)


class _Columns:
    """Maps canonical column names to the header labels the user wrote."""

    def __init__(self, labels: dict[str, str], keys: dict[str, str]) -> None:
        self.labels = labels  # canonical → label shown in messages
        self.keys = keys  # canonical → key in the row mapping

    def has(self, name: str) -> bool:
        return name in self.keys

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def cell(self, row: Mapping[str, str | None], name: str) -> str:
        key = self.keys.get(name)
        if key is None:
            return ""
        value = row.get(key)
        return "" if value is None else str(value)


def _map_header(
    header: Sequence[str], columns: Mapping[str, tuple[str, ...]], required: Sequence[str]
) -> tuple[_Columns, list[str]]:
    aliases = {normalize_text(alias).lower(): name for name, names in columns.items() for alias in names}
    labels: dict[str, str] = {}
    keys: dict[str, str] = {}
    errors: list[str] = []
    for key in header:
        label = normalize_text(key)
        if not label:
            continue
        name = aliases.get(label.lower())
        if name is None:
            known = _join(names[0] for names in columns.values())
            errors.append(
                _message(
                    1,
                    label,
                    _("Unknown column name; the known columns are: %(columns)s") % {"columns": known},
                )
            )
        elif name in keys:
            errors.append(
                _message(1, label, _("Duplicates the column “%(column)s”") % {"column": labels[name]})
            )
        else:
            labels[name] = label
            keys[name] = key
    errors.extend(
        _message(1, None, _("The required column “%(column)s” is missing") % {"column": name})
        for name in required
        if name not in keys
    )
    return _Columns(labels, keys), errors


def _is_blank(row: Mapping[str, str | None]) -> bool:
    return all(not normalize_text(value) for value in row.values())


def _code_problem(code: str, *, parent: bool = False) -> str | None:
    """Why ``code`` is not a well-formed area code (``parent``: it is the parent code), or ``None``."""
    if _CODE_RE.match(code):
        return None
    scientific = bool(_SCIENTIFIC_RE.match(code))
    if parent and scientific:
        reason = _(
            "The parent area code must be 6, 9 or 12 digits, got “%(code)s” (Excel turned it into "
            "scientific notation: format the column as text and export the file again)"
        )
    elif parent:
        reason = _("The parent area code must be 6, 9 or 12 digits, got “%(code)s”")
    elif scientific:
        reason = _(
            "The area code must be 6, 9 or 12 digits, got “%(code)s” (Excel turned it into scientific "
            "notation: format the column as text and export the file again)"
        )
    else:
        reason = _("The area code must be 6, 9 or 12 digits, got “%(code)s”")
    return reason % {"code": code}


def _parse_date(text: str) -> dt.date | None:
    """Parse ``YYYY-MM-DD`` and the usual spreadsheet variants; ``None`` if not a valid date."""
    match = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if match is None:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _date_problem(text: str) -> str:
    return _("The date must be in the form YYYY-MM-DD, got “%(value)s”") % {"value": text}


def _parse_degrees(name: str, text: str, bounds: tuple[Decimal, Decimal]) -> Decimal | str:
    """Return the value rounded to 6 decimals, or a reason (str) why it is not acceptable.

    ``name`` is ``"longitude"`` or ``"latitude"`` (it names the value in the reason).
    """
    longitude = name == "longitude"
    try:
        value: Decimal | None = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        if longitude:
            return _("Longitude is not a number: “%(value)s”") % {"value": text}
        return _("Latitude is not a number: “%(value)s”") % {"value": text}
    low, high = bounds
    if not low <= value <= high:
        params = {"value": text, "low": low, "high": high}
        if longitude:
            return (
                _("Longitude “%(value)s” is out of range; it must be between %(low)s and %(high)s") % params
            )
        return _("Latitude “%(value)s” is out of range; it must be between %(low)s and %(high)s") % params
    return value.quantize(_SIX_PLACES, rounding=ROUND_HALF_UP)


def infer_level(code: str) -> Level:
    """Level implied by a well-formed code: 12 → village, 9 → township, 6 → province/city/county."""
    if len(code) == 12:
        return Level.VILLAGE
    if len(code) == 9:
        return Level.TOWNSHIP
    if code.endswith("0000"):
        return Level.PROVINCE
    if code.endswith("00"):
        return Level.CITY
    return Level.COUNTY


def infer_parent_code(code: str, level: Level) -> str | None:
    """Parent code implied by a code and its level (``None`` for a province)."""
    if level == Level.VILLAGE:
        return code[:9]
    if level == Level.TOWNSHIP:
        return code[:6]
    if level == Level.COUNTY:
        return code[:4] + "00"
    if level == Level.CITY:
        return code[:2] + "0000"
    return None
