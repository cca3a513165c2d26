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

from collections.abc import Iterable, Mapping
from pathlib import Path

from django.db import transaction

from .loading.cells import (
    BATCH_SIZE,
    IN_QUERY_LIMIT,
    LEVEL_ORDER,
    LoadResult,
    RegionLoadError,
    infer_level,
    infer_parent_code,
)
from .loading.changes import _code_changes_load
from .loading.divisions import _read_csv, _regions_load

__all__ = [
    "BATCH_SIZE",
    "DATA_DIR",
    "IN_QUERY_LIMIT",
    "LEVEL_ORDER",
    "LUOYANG_CHANGES_FILE",
    "LUOYANG_FILE",
    "LoadResult",
    "RegionLoadError",
    "code_changes_load",
    "code_changes_load_file",
    "infer_level",
    "infer_parent_code",
    "luoyang_load",
    "regions_load",
    "regions_load_file",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
LUOYANG_FILE = DATA_DIR / "luoyang_regions_nbs2023.csv"
LUOYANG_CHANGES_FILE = DATA_DIR / "luoyang_code_changes.csv"


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


def regions_load_file(*, path: Path, data_version: str | None = None) -> LoadResult:
    """Load a region CSV file (UTF-8 or GBK). ``data_version`` defaults to the file name without suffix."""
    header, rows, errors = _read_csv(path)
    version = data_version if data_version is not None else path.stem[:40]
    return _regions_load(header, rows, data_version=version, source=str(path), errors=errors)


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
