"""Region loader: region rows (parsing, parent checks, writing) and CSV file decoding."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.core.text import normalize_code, normalize_text

from ..choices import CODE_LENGTH, Level
from ..models import Region
from .cells import (
    _FALSE_WORDS,
    _LATITUDE_RANGE,
    _LEVEL_NAMES,
    _LEVEL_RANK,
    _LEVEL_WORDS,
    _LONGITUDE_RANGE,
    _PREFIX_LENGTH,
    _REGION_COLUMNS,
    _REGION_REQUIRED,
    _TRUE_WORDS,
    BATCH_SIZE,
    IN_QUERY_LIMIT,
    LEVEL_ORDER,
    LoadResult,
    RegionLoadError,
    _code_problem,
    _Columns,
    _date_problem,
    _is_blank,
    _join,
    _map_header,
    _message,
    _parse_date,
    _parse_degrees,
    infer_level,
    infer_parent_code,
)

# The log lines keep the logger name they had before the loader was split out of services.py.
logger = logging.getLogger("wengang.regions.services")


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
