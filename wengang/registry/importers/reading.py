"""Reading a ledger file into rows: .xlsx (openpyxl), .csv (UTF-8 with or without BOM, GBK/GB18030), .xls.

Staff files have a title row above the header, merged cells, blank rows and a 合计 row at the bottom. The
header row is found automatically; every kept row remembers its row number as Excel shows it, so errors
can point at it.

.xls (Excel 97–2003) is read with ``python-calamine`` (a pinned dependency). A file named .xls that is
really .xlsx, CSV or an HTML table (as some systems export) is read by its content, not its name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from wengang.core.text import normalize_text

from .columns import header_field

HEADER_SEARCH_ROWS = 10
MIN_HEADER_MATCHES = 2
MAX_ROWS = 100_000
SUMMARY_PREFIXES = ("合计", "总计", "小计", "填表人", "制表人", "审核人")

Cell = str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None


class TableError(ValueError):
    """The file as a whole cannot be read; the message says why, in the user's language."""


@dataclass
class TableRow:
    number: int  # the row number Excel shows (1-based, counting title and header rows)
    cells: list[Cell]

    def get(self, index: int | None) -> Cell:
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]


@dataclass
class Table:
    filename: str
    headers: list[str]
    header_row_number: int
    rows: list[TableRow]
    sheet_name: str = ""
    skipped_rows: list[int] = field(default_factory=list)  # summary rows (合计 …) left out


def _is_blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not normalize_text(value))


def _known_headers(row: list[Cell]) -> int:
    return len({f for f in (header_field(v) for v in row if isinstance(v, str)) if f is not None})


def _is_summary(row: list[Cell]) -> bool:
    for value in row:
        if _is_blank(value):
            continue
        text = normalize_text(value).replace(" ", "")
        return text.startswith(SUMMARY_PREFIXES)
    return False


def _build_table(filename: str, sheet_name: str, grid: list[list[Cell]]) -> Table | None:
    """Find the header row in ``grid`` (row i is Excel row i+1) and keep the data rows after it."""
    header_idx = None
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        if _known_headers(row) >= MIN_HEADER_MATCHES:
            header_idx = i
            break
    if header_idx is None:
        return None
    headers = [normalize_text(v) if not _is_blank(v) else "" for v in grid[header_idx]]
    # A two-row header (a merged group header such as 务工情况 above 务工地点 and 务工单位): the row below
    # names known columns that differ from the cells above them (vertically merged cells repeat the same).
    if header_idx + 1 < len(grid):
        below = [normalize_text(v) if not _is_blank(v) else "" for v in grid[header_idx + 1]]
        above = headers + [""] * max(0, len(below) - len(headers))
        subs = [j for j, v in enumerate(below) if v and header_field(v) and v != above[j]]
        if subs:
            combined = [below[j] if j < len(below) and below[j] else above[j] for j in range(len(above))]
            if _known_headers(list(combined)) >= _known_headers(list(headers)):
                headers = combined
                header_idx += 1
    width = len(headers)
    while width and not headers[width - 1]:
        width -= 1
    headers = headers[:width]
    table = Table(
        filename=filename, sheet_name=sheet_name, headers=headers, header_row_number=header_idx + 1, rows=[]
    )
    for i in range(header_idx + 1, len(grid)):
        cells = list(grid[i][:width]) + [None] * max(0, width - len(grid[i]))
        if all(_is_blank(v) for v in cells):
            continue
        if _is_summary(cells):
            table.skipped_rows.append(i + 1)
            continue
        table.rows.append(TableRow(number=i + 1, cells=cells))
        if len(table.rows) > MAX_ROWS:
            raise TableError(
                _("The file has more than %(n)d rows. Split it into several files.") % {"n": MAX_ROWS}
            )
    return table


def _no_header_error() -> TableError:
    return TableError(
        _(
            "No header row was found in the first %(n)d rows. The header row must name at least two known "
            "columns, such as 姓名 and 身份证号; download the template to see them."
        )
        % {"n": HEADER_SEARCH_ROWS}
    )


# --- .xlsx -----------------------------------------------------------------------------------------------


def _read_xlsx(data: bytes, filename: str) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(
            _("The file could not be opened as an Excel workbook. Open it in Excel and save it as .xlsx.")
        ) from exc
    sheets = [ws for ws in wb.worksheets if ws.sheet_state == "visible"] or list(wb.worksheets)
    for ws in sheets:
        grid: list[list[Cell]] = [list(r) for r in ws.iter_rows(values_only=True)]
        # Merged cells are filled from their top-left value, but a row blank in the file stays blank.
        blank = {i for i, row in enumerate(grid) if all(_is_blank(v) for v in row)}
        for rng in ws.merged_cells.ranges:
            top = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(grid) else None
            for r in range(rng.min_row - 1, min(rng.max_row, len(grid))):
                if r in blank and r != rng.min_row - 1:
                    continue
                row = grid[r]
                for c in range(rng.min_col - 1, rng.max_col):
                    if c < len(row):
                        row[c] = top
        table = _build_table(filename, ws.title, grid)
        if table is not None:
            return table
    raise _no_header_error()


# --- .xls ------------------------------------------------------------------------------------------------


def _read_xls(data: bytes, filename: str) -> Table:
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        raise TableError(
            _("Excel 97–2003 (.xls) files cannot be read yet. Open the file in Excel and save it as .xlsx.")
        ) from None
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types
        raise TableError(
            _("The file could not be opened as an Excel workbook. Open it in Excel and save it as .xlsx.")
        ) from exc
    for name in wb.sheet_names:
        grid: list[list[Cell]] = [
            list(r) for r in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        ]
        table = _build_table(filename, name, grid)
        if table is not None:
            return table
    raise _no_header_error()


# --- .csv ------------------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (a superset of GBK and GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise TableError(
            _("The text file is neither UTF-8 nor GBK. Save it from Excel as CSV UTF-8, or as .xlsx.")
        ) from exc


def _read_csv(data: bytes, filename: str) -> Table:
    text = decode_text(data)
    if text.lstrip()[:1] == "<":
        raise TableError(
            _("The file is a web page, not a spreadsheet. Open it in Excel and save it as .xlsx.")
        )
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    grid: list[list[Cell]] = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    table = _build_table(filename, "", grid)
    if table is None:
        raise _no_header_error()
    return table


# --- entry point -----------------------------------------------------------------------------------------


def read_table(path_or_bytes: str | os.PathLike[str] | bytes, filename: str = "") -> Table:
    """Read the first sheet with a recognisable header row into a :class:`Table`.

    ``filename`` (as uploaded) is used for messages and, when the content does not say, for the format.
    Raises :class:`TableError` with a message for the user when the file cannot be read.
    """
    if isinstance(path_or_bytes, bytes):
        data = path_or_bytes
    else:
        path = Path(path_or_bytes)
        data = path.read_bytes()
        filename = filename or path.name
    if not data.strip():
        raise TableError(_("The file is empty."))
    ext = Path(filename).suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, filename)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return _read_xls(data, filename)
    if ext in (".xlsx", ".xlsm"):
        raise TableError(
            _("The file could not be opened as an Excel workbook. Open it in Excel and save it as .xlsx.")
        )
    if ext in ("", ".csv", ".txt", ".xls", ".tsv"):
        return _read_csv(data, filename)
    raise TableError(_("Files of type %(ext)s cannot be imported; use .xlsx, .xls or .csv.") % {"ext": ext})


def cell_text(value: Any) -> str:
    """A cell as normalised text: numbers without a spurious ``.0``, dates as ``YYYY-MM-DD``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return normalize_text(value)
