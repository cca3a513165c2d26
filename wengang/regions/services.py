"""Load administrative areas (:class:`Region`) and code changes (:class:`RegionCodeChange`) from CSV.

Region file format / 区划文件格式 (also in ``docs/regions-format.md``)
=====================================================================

A CSV file, UTF-8 (with or without BOM) or GBK/GB18030 (what Chinese Excel writes for "CSV (逗号分隔)").
The first row is the header; every further row is one area. 第 1 行是表头，其后每行一个区划。

=================  ========  =========================================================================
column / 列         required  meaning / 含义
=================  ========  =========================================================================
``code``           yes       6 digits (province/city/county), 9 (township), 12 (village).
                             区划代码：省市县 6 位，乡镇街道 9 位，村居 12 位。
``name``           yes       Name, kept as published (``承福门社区居民委员会``). 名称，按原样保存。
``parent_code``    no        Parent's code. Blank → inferred: village → first 9 digits, township → first
                             6, county → first 4 + ``00``, city → first 2 + ``0000``, province → none.
                             上级代码；留空时按代码推断。
``level``          no        ``province/city/county/township/village`` or 省/市/县/区/乡/镇/街道/村/社区
                             (also 居委会, 县级市, 自治县, 旗, 苏木, 嘎查 …). Blank → inferred from the code:
                             12 → village, 9 → township, 6 ending ``0000`` → province, ending ``00`` →
                             city, else county. 级别；留空时按代码推断。
``longitude``      no        Decimal degrees, 73–136, rounded to 6 decimals. 经度。
``latitude``       no        Decimal degrees, 3–54. Give both or neither. 纬度，须与经度同时填写。
``valid_from``     no        Date ``YYYY-MM-DD`` (also ``YYYY/M/D``, ``YYYYMMDD``, ``YYYY年M月D日``).
                             启用日期。
``valid_to``       no        Date the code stopped being used (abolished codes). 停用日期。
``is_statistical`` no        ``1/0``, ``true/false``, ``是/否``: a statistics-only unit such as 高新区.
                             仅统计用（如高新区）。
``data_version``   no        Version tag of the source, ≤ 40 characters; blank → the loader's
                             ``data_version`` argument. 数据版本；留空时用命令行 ``--data-version`` 的值。
=================  ========  =========================================================================

Chinese header names are accepted too (区划代码, 名称, 上级代码, 级别, 经度, 纬度, 启用日期, 停用日期,
仅统计用, 数据版本). A column the loader does not know is an error (so that a misspelt ``longtitude`` is
not silently dropped). Blank rows are skipped.

Semantics: rows are upserted by ``code``. ``name``, ``level``, ``parent`` and ``data_version`` are always
written. For the optional columns (coordinates, dates, ``is_statistical``) an absent column or a blank cell
leaves the stored value as it is, so that a file without coordinates does not erase coordinates imported
from another file; a new row gets the empty default. 可选列缺失或单元格为空时，保留数据库中的原值。

Everything is validated before anything is written, and all errors are reported together (row numbers as
the spreadsheet shows them, header = row 1). Any error → :class:`RegionLoadError`, nothing written.

Code change file / 代码变更文件: header ``old_code,new_code,effective_date`` plus optional ``note``
(原代码, 新代码, 生效日期, 备注). Rows are upserted by ``(old_code, new_code)``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from wengang.core.text import normalize_code, normalize_text

from .choices import CODE_LENGTH, Level
from .models import Region, RegionCodeChange

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
LUOYANG_FILE = DATA_DIR / "luoyang_regions_nbs2023.csv"
LUOYANG_CHANGES_FILE = DATA_DIR / "luoyang_code_changes.csv"

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


# --------------------------------------------------------------------------------------------------------
# Region loading


@dataclass
class _RegionRow:
    line: int
    code: str | None = None  # None when the code itself is invalid
    name: str = ""
    level: Level | None = None
    parent_code: str | None = None
    data_version: str = ""
    optional: dict[str, object] = field(default_factory=dict)  # only fields to write


def _parse_region_row(
    line: int, row: Mapping[str, str | None], cols: _Columns, default_version: str, errors: list[str]
) -> _RegionRow:
    parsed = _RegionRow(line=line)

    code = normalize_code(cols.cell(row, "code"))
    if not code:
        errors.append(_message(line, cols.label("code"), _("The area code must not be blank")))
    elif (problem := _code_problem(code)) is not None:
        errors.append(_message(line, cols.label("code"), problem))
    else:
        parsed.code = code

    parsed.name = normalize_text(cols.cell(row, "name"))
    if not parsed.name:
        errors.append(_message(line, cols.label("name"), _("The name must not be blank")))
    elif len(parsed.name) > 100:
        errors.append(
            _message(
                line,
                cols.label("name"),
                _("The name must be at most %(limit)d characters long, got %(count)d")
                % {"limit": 100, "count": len(parsed.name)},
            )
        )

    level_text = normalize_text(cols.cell(row, "level"))
    if level_text:
        level = _LEVEL_WORDS.get(level_text.lower())
        if level is None:
            errors.append(
                _message(
                    line,
                    cols.label("level"),
                    _("Unknown level “%(level)s”; use %(english)s or %(chinese)s")
                    % {
                        "level": level_text,
                        "english": _join(["province", "city", "county", "township", "village"]),
                        "chinese": _join(["省", "市", "县", "区", "乡", "镇", "街道", "村", "社区"]),
                    },
                )
            )
        elif parsed.code is not None and CODE_LENGTH[level] != len(parsed.code):
            errors.append(
                _message(
                    line,
                    cols.label("level"),
                    _(
                        "An area code of level “%(level)s” (%(level_name)s) has %(length)d digits, "
                        "but “%(code)s” has %(actual)d"
                    )
                    % {
                        "level": level_text,
                        "level_name": _LEVEL_NAMES[level],
                        "length": CODE_LENGTH[level],
                        "code": parsed.code,
                        "actual": len(parsed.code),
                    },
                )
            )
        else:
            parsed.level = level
    elif parsed.code is not None:
        parsed.level = infer_level(parsed.code)

    parent_text = normalize_code(cols.cell(row, "parent_code"))
    if parent_text:
        if (problem := _code_problem(parent_text, parent=True)) is not None:
            errors.append(_message(line, cols.label("parent_code"), problem))
        elif parent_text == parsed.code:
            errors.append(
                _message(
                    line,
                    cols.label("parent_code"),
                    _("The parent area code must not be this row's own area code"),
                )
            )
        else:
            parsed.parent_code = parent_text
    elif parsed.code is not None and parsed.level is not None:
        inferred = infer_parent_code(parsed.code, parsed.level)
        if inferred == parsed.code:
            errors.append(
                _message(
                    line,
                    cols.label("parent_code"),
                    _(
                        "Cannot infer the parent of area code “%(code)s” (the result is the code "
                        "itself); fill in the parent code"
                    )
                    % {"code": parsed.code},
                )
            )
        else:
            parsed.parent_code = inferred

    lon_text = normalize_text(cols.cell(row, "longitude"))
    lat_text = normalize_text(cols.cell(row, "latitude"))
    coordinates: dict[str, Decimal] = {}
    for name, text, bounds in (
        ("longitude", lon_text, _LONGITUDE_RANGE),
        ("latitude", lat_text, _LATITUDE_RANGE),
    ):
        if not text:
            continue
        value = _parse_degrees(name, text, bounds)
        if isinstance(value, str):
            errors.append(_message(line, cols.label(name), value))
        else:
            coordinates[name] = value
    if bool(lon_text) != bool(lat_text):
        missing = "latitude" if lon_text else "longitude"
        errors.append(
            _message(line, cols.label(missing), _("Fill in both longitude and latitude, or leave both blank"))
        )
    elif len(coordinates) == 2:
        parsed.optional.update(coordinates)

    dates: dict[str, dt.date] = {}
    for name in ("valid_from", "valid_to"):
        text = normalize_text(cols.cell(row, name))
        if not text:
            continue
        date = _parse_date(text)
        if date is None:
            errors.append(_message(line, cols.label(name), _date_problem(text)))
        else:
            dates[name] = date
    if "valid_from" in dates and "valid_to" in dates and dates["valid_from"] > dates["valid_to"]:
        errors.append(
            _message(line, cols.label("valid_to"), _("The end date must not be before the start date"))
        )
    parsed.optional.update(dates)

    flag = normalize_text(cols.cell(row, "is_statistical")).lower()
    if flag in _TRUE_WORDS:
        parsed.optional["is_statistical"] = True
    elif flag in _FALSE_WORDS:
        parsed.optional["is_statistical"] = False
    elif flag:
        errors.append(
            _message(
                line,
                cols.label("is_statistical"),
                _("Use 1 or 0 (yes/no), got “%(value)s”") % {"value": flag},
            )
        )

    version = normalize_text(cols.cell(row, "data_version")) or default_version
    if len(version) > 40:
        errors.append(
            _message(
                line,
                cols.label("data_version"),
                _("The data version must be at most %(limit)d characters long, got “%(value)s”")
                % {"limit": 40, "value": version},
            )
        )
    parsed.data_version = version
    return parsed


def _fetch_regions(codes: set[str]) -> dict[str, Region]:
    """Existing regions for ``codes``, in one query, or one query per province for large sets."""
    if not codes:
        return {}
    if len(codes) <= IN_QUERY_LIMIT:
        return {region.code: region for region in Region.objects.filter(code__in=codes)}
    found: dict[str, Region] = {}
    for prefix in sorted({code[:2] for code in codes}):
        for region in Region.objects.filter(code__startswith=prefix).iterator(chunk_size=5000):
            if region.code in codes:
                found[region.code] = region
    return found


def _check_parents(
    rows: list[_RegionRow],
    by_code: Mapping[str, _RegionRow],
    existing: Mapping[str, Region],
    cols: _Columns,
    errors: list[str],
) -> None:
    for row in rows:
        if row.code is None or row.parent_code is None:
            continue
        parent_level: Level | None
        parent_name: str
        if row.parent_code in by_code:
            parent_row = by_code[row.parent_code]
            parent_level, parent_name = parent_row.level, parent_row.name
        elif row.parent_code in existing:
            parent = existing[row.parent_code]
            parent_level, parent_name = Level(parent.level), parent.name
        else:
            errors.append(
                _message(
                    row.line,
                    cols.label("parent_code"),
                    _("The parent area “%(code)s” is neither in the file nor in the database")
                    % {"code": row.parent_code},
                )
            )
            continue
        if parent_level is None or row.level is None:
            continue  # the level error is already reported
        if _LEVEL_RANK[parent_level] >= _LEVEL_RANK[row.level]:
            errors.append(
                _message(
                    row.line,
                    cols.label("parent_code"),
                    _(
                        "The parent area “%(name)s (%(code)s)” is %(parent_level)s; it must be higher "
                        "than this row's %(level)s"
                    )
                    % {
                        "name": parent_name,
                        "code": row.parent_code,
                        "parent_level": _LEVEL_NAMES[parent_level],
                        "level": _LEVEL_NAMES[row.level],
                    },
                )
            )
            continue
        prefix = row.parent_code[: _PREFIX_LENGTH[parent_level]]
        if not row.code.startswith(prefix):
            errors.append(
                _message(
                    row.line,
                    cols.label("code"),
                    _(
                        "Area code “%(code)s” must start with “%(prefix)s”, the prefix of its parent "
                        "area “%(name)s (%(parent_code)s)”"
                    )
                    % {
                        "code": row.code,
                        "prefix": prefix,
                        "name": parent_name,
                        "parent_code": row.parent_code,
                    },
                )
            )


_REGION_UPDATE_FIELDS = [
    "name",
    "level",
    "parent",
    "data_version",
    "longitude",
    "latitude",
    "valid_from",
    "valid_to",
    "is_statistical",
    "updated_at",
]


def _apply(region: Region, row: _RegionRow, parent_id: int | None) -> bool:
    """Set the row's values on ``region``; return whether anything changed."""
    values: dict[str, object] = {
        "name": row.name,
        "level": row.level,
        "parent_id": parent_id,
        "data_version": row.data_version,
        **row.optional,
    }
    changed = False
    for attname, value in values.items():
        if getattr(region, attname) != value:
            setattr(region, attname, value)
            changed = True
    return changed


def _write_regions(rows: list[_RegionRow], existing: Mapping[str, Region]) -> LoadResult:
    """Upsert ``rows`` level by level so that every parent has an id before its children are written.

    ``existing`` holds the stored regions for the file's codes and for the parents it refers to.
    """
    code_to_id: dict[str, int] = {code: region.pk for code, region in existing.items()}
    now = timezone.now()
    created = updated = unchanged = 0
    for level in LEVEL_ORDER:
        to_create: list[Region] = []
        to_update: list[Region] = []
        for row in rows:
            if row.level != level or row.code is None:
                continue
            parent_id = code_to_id[row.parent_code] if row.parent_code else None
            region = existing.get(row.code)
            if region is None:
                region = Region(code=row.code)
                _apply(region, row, parent_id)
                to_create.append(region)
            elif _apply(region, row, parent_id):
                region.updated_at = now
                to_update.append(region)
            else:
                unchanged += 1
        if to_create:
            Region.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
            if any(region.pk is None for region in to_create):
                # Databases that cannot return ids from a bulk insert: look them up in bulk.
                fetched = _fetch_regions({region.code for region in to_create})
                code_to_id.update((code, region.pk) for code, region in fetched.items())
            else:
                code_to_id.update((region.code, region.pk) for region in to_create)
        if to_update:
            Region.objects.bulk_update(to_update, _REGION_UPDATE_FIELDS, batch_size=BATCH_SIZE)
        created += len(to_create)
        updated += len(to_update)
    return LoadResult(created=created, updated=updated, unchanged=unchanged)


def _regions_load(
    header: Sequence[str],
    records: Sequence[Mapping[str, str | None]],
    *,
    data_version: str,
    source: str,
    errors: list[str],
) -> LoadResult:
    cols, header_errors = _map_header(header, _REGION_COLUMNS, _REGION_REQUIRED)
    if header_errors:
        raise RegionLoadError(errors + header_errors)

    default_version = normalize_text(data_version)
    rows: list[_RegionRow] = []
    by_code: dict[str, _RegionRow] = {}
    for index, record in enumerate(records):
        line = index + 2  # the header is row 1
        if _is_blank(record):
            continue
        row = _parse_region_row(line, record, cols, default_version, errors)
        if row.code is not None:
            first = by_code.get(row.code)
            if first is not None:
                errors.append(
                    _message(
                        line,
                        cols.label("code"),
                        _("Area code “%(code)s” repeats row %(line)d")
                        % {"code": row.code, "line": first.line},
                    )
                )
                continue
            by_code[row.code] = row
        rows.append(row)

    with transaction.atomic():
        wanted = set(by_code) | {row.parent_code for row in rows if row.parent_code}
        existing = _fetch_regions(wanted)
        _check_parents(rows, by_code, existing, cols, errors)
        if errors:
            raise RegionLoadError(errors)
        result = _write_regions(rows, existing)
    logger.info(
        "Regions loaded from %s: %d created, %d updated, %d unchanged",
        source or "rows",
        result.created,
        result.updated,
        result.unchanged,
    )
    return result


def regions_load(
    *, rows: Iterable[Mapping[str, str | None]], data_version: str, source: str = ""
) -> LoadResult:
    """Validate and upsert regions from row mappings (keys are the header names; see module docstring).

    Row numbers in error messages count the header as row 1, so the first mapping is row 2.
    ``data_version`` is used for rows without a ``data_version`` cell; ``source`` only labels the log line.
    Raises :class:`RegionLoadError` with every problem found, in which case nothing is written.
    """
    records = list(rows)
    if not records:
        return LoadResult(created=0, updated=0, unchanged=0)
    header = list(dict.fromkeys(key for record in records for key in record))
    return _regions_load(header, records, data_version=data_version, source=source, errors=[])


# --------------------------------------------------------------------------------------------------------
# Files


def _decode(raw: bytes) -> str:
    """Decode a CSV file written as UTF-8 (BOM or not), UTF-16 with BOM, or GBK/GB18030."""
    if raw.startswith(b"PK\x03\x04"):
        raise RegionLoadError(
            [_("This is an Excel workbook (.xlsx): in Excel, use “Save as” CSV, then import that file")]
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise RegionLoadError([_("Unknown file encoding: save the file as CSV in UTF-8 or GBK encoding")])


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str | None]], list[str]]:
    """Return the header, the rows as mappings, and errors about rows with more cells than the header."""
    text = _decode(path.read_bytes())
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = list(reader)
    if not table:
        raise RegionLoadError([_("The file is empty; row 1 must be the header")])
    header = table[0]
    errors: list[str] = []
    rows: list[dict[str, str | None]] = []
    for index, cells in enumerate(table[1:]):
        extra = [cell for cell in cells[len(header) :] if normalize_text(cell)]
        if extra:
            errors.append(
                _message(
                    index + 2,
                    None,
                    _("The row has %(cells)d cells, more than the %(columns)d columns of the header")
                    % {"cells": len(cells), "columns": len(header)},
                )
            )
        rows.append(
            {key: cells[position] if position < len(cells) else None for position, key in enumerate(header)}
        )
    return header, rows, errors


def regions_load_file(*, path: Path, data_version: str | None = None) -> LoadResult:
    """Load a region CSV file (UTF-8 or GBK). ``data_version`` defaults to the file name without suffix."""
    header, rows, errors = _read_csv(path)
    version = data_version if data_version is not None else path.stem[:40]
    return _regions_load(header, rows, data_version=version, source=str(path), errors=errors)


# --------------------------------------------------------------------------------------------------------
# Code changes


def _clean_note(value: str) -> str:
    """Keep Chinese punctuation (，（）) in prose; only trim and collapse whitespace."""
    return " ".join(value.split())


def _code_changes_load(
    header: Sequence[str], records: Sequence[Mapping[str, str | None]], *, source: str, errors: list[str]
) -> LoadResult:
    cols, header_errors = _map_header(header, _CHANGE_COLUMNS, _CHANGE_REQUIRED)
    if header_errors:
        raise RegionLoadError(errors + header_errors)

    parsed: dict[tuple[str, str], tuple[dt.date, str | None]] = {}
    lines: dict[tuple[str, str], int] = {}
    for index, record in enumerate(records):
        line = index + 2
        if _is_blank(record):
            continue
        codes: list[str | None] = []
        for name in ("old_code", "new_code"):
            code = normalize_code(cols.cell(record, name))
            problem = _("The area code must not be blank") if not code else _code_problem(code)
            if problem is not None:
                errors.append(_message(line, cols.label(name), problem))
                codes.append(None)
            else:
                codes.append(code)
        old_code, new_code = codes
        if old_code is not None and old_code == new_code:
            errors.append(
                _message(line, cols.label("new_code"), _("The new code must differ from the old code"))
            )
        date_text = normalize_text(cols.cell(record, "effective_date"))
        date = _parse_date(date_text) if date_text else None
        if not date_text:
            errors.append(
                _message(line, cols.label("effective_date"), _("The effective date must not be blank"))
            )
        elif date is None:
            errors.append(_message(line, cols.label("effective_date"), _date_problem(date_text)))
        note = _clean_note(cols.cell(record, "note")) or None
        if note is not None and len(note) > 200:
            errors.append(
                _message(
                    line,
                    cols.label("note"),
                    _("The note must be at most %(limit)d characters long, got %(count)d")
                    % {"limit": 200, "count": len(note)},
                )
            )
        if old_code is None or new_code is None or old_code == new_code or date is None:
            continue
        key = (old_code, new_code)
        if key in lines:
            errors.append(
                _message(
                    line,
                    cols.label("old_code"),
                    _("“%(old_code)s → %(new_code)s” repeats row %(line)d")
                    % {"old_code": old_code, "new_code": new_code, "line": lines[key]},
                )
            )
            continue
        lines[key] = line
        parsed[key] = (date, note)

    if errors:
        raise RegionLoadError(errors)
    with transaction.atomic():
        old_codes = sorted({old for old, _new in parsed})
        existing: dict[tuple[str, str], RegionCodeChange] = {}
        for start in range(0, len(old_codes), IN_QUERY_LIMIT):
            chunk = old_codes[start : start + IN_QUERY_LIMIT]
            for stored in RegionCodeChange.objects.filter(old_code__in=chunk):
                existing[(stored.old_code, stored.new_code)] = stored
        now = timezone.now()
        to_create: list[RegionCodeChange] = []
        to_update: list[RegionCodeChange] = []
        for (old_code, new_code), (date, note) in parsed.items():
            change = existing.get((old_code, new_code))
            if change is None:
                to_create.append(
                    RegionCodeChange(
                        old_code=old_code, new_code=new_code, effective_date=date, note=note or ""
                    )
                )
                continue
            changed = change.effective_date != date or (note is not None and change.note != note)
            if changed:
                change.effective_date = date
                if note is not None:
                    change.note = note
                change.updated_at = now
                to_update.append(change)
        RegionCodeChange.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        RegionCodeChange.objects.bulk_update(
            to_update, ["effective_date", "note", "updated_at"], batch_size=BATCH_SIZE
        )
    result = LoadResult(
        created=len(to_create),
        updated=len(to_update),
        unchanged=len(parsed) - len(to_create) - len(to_update),
    )
    logger.info(
        "Region code changes loaded from %s: %d created, %d updated, %d unchanged",
        source or "rows",
        result.created,
        result.updated,
        result.unchanged,
    )
    return result


def code_changes_load(*, rows: Iterable[Mapping[str, str | None]], source: str = "") -> LoadResult:
    """Validate and upsert code changes (``old_code,new_code,effective_date[,note]``) from row mappings."""
    records = list(rows)
    if not records:
        return LoadResult(created=0, updated=0, unchanged=0)
    header = list(dict.fromkeys(key for record in records for key in record))
    return _code_changes_load(header, records, source=source, errors=[])


def code_changes_load_file(*, path: Path) -> LoadResult:
    """Load a code-change CSV file (UTF-8 or GBK); raises :class:`RegionLoadError` on any error."""
    header, rows, errors = _read_csv(path)
    return _code_changes_load(header, rows, source=str(path), errors=errors)


def luoyang_load() -> tuple[LoadResult, LoadResult]:
    """Load the shipped Luoyang regions and code changes (both or neither) and return both results."""
    with transaction.atomic():
        regions = regions_load_file(path=LUOYANG_FILE)
        changes = code_changes_load_file(path=LUOYANG_CHANGES_FILE)
    return regions, changes
