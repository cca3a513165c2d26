"""Reading a ledger file into rows: .xlsx (openpyxl), .csv (UTF-8 with or without BOM, GBK/GB18030), .xls.

Staff files have a title row above the header, merged cells, blank rows and a 合计 row at the bottom. The
header row is found automatically; every kept row remembers its row number as Excel shows it, so errors
can point at it.

.xls (Excel 97–2003) is read with ``python-calamine`` (a pinned dependency). A file named .xls that is
really .xlsx, CSV or an HTML table (as some systems export) is read by its content, not its name.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from wengang.core.text import normalize_text

from .columns import header_field

HEADER_SEARCH_ROWS = 10
MIN_HEADER_MATCHES = 2
MAX_ROWS = 1_000_000  # a whole county's ledger in one file
SUMMARY_PREFIXES = ("合计", "总计", "小计", "填表人", "制表人", "审核人")

Cell = str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None


class TableError(ValueError):
    """The file as a whole cannot be read; the message says why, in the user's language."""


@dataclass(slots=True)
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


# Which header texts count as known columns while a header row is being looked for. The labour ledger's by
# default; another importer (enterprise lists, returning-worker lists) passes its own to ``read_table``.
_RECOGNISE: ContextVar[Callable[[object], str | None]] = ContextVar("recognise", default=header_field)


def _known_headers(row: list[Cell]) -> int:
    recognise = _RECOGNISE.get()
    return len({f for f in (recognise(v) for v in row if isinstance(v, str)) if f is not None})


def _is_summary(row: list[Cell]) -> bool:
    for value in row:
        if _is_blank(value):
            continue
        text = normalize_text(value).replace(" ", "")
        return text.startswith(SUMMARY_PREFIXES)
    return False


def _row_is_blank(cells: list[Cell]) -> bool:
    """``all(_is_blank(v) for v in cells)``, without normalising the usual plain-ASCII or CJK text."""
    for value in cells:
        if value is None or value == "":
            continue
        if type(value) is not str:
            return False
        if value.isascii():
            if value.strip():
                return False
            continue
        if value.lstrip()[:1].isalnum() or not _is_blank(value):  # a letter or digit (CJK too) stays
            return False
    return True


_SUMMARY_FIRST = frozenset(p[0] for p in SUMMARY_PREFIXES)


def _row_is_summary(cells: list[Cell]) -> bool:
    """``_is_summary(cells)``: decided from the first character when it is plainly not a summary word."""
    for value in cells:
        if value is None or value == "":
            continue
        if type(value) is str:
            first = value.lstrip()[:1]
            if first and (first.isascii() or ("\u4e00" <= first <= "\u9fff" and first not in _SUMMARY_FIRST)):
                return False
        return _is_summary(cells)
    return False


def _too_many_rows() -> TableError:
    return TableError(_("The file has more than %(n)d rows. Split it into several files.") % {"n": MAX_ROWS})


@dataclass
class TableStream:
    """A table whose data rows are read as they are iterated (:func:`iter_table`); ``skipped_rows`` fills as
    ``rows`` is consumed. Iterating raises :class:`TableError` past ``MAX_ROWS`` data rows."""

    filename: str
    headers: list[str]
    header_row_number: int
    rows: Iterator[TableRow]
    sheet_name: str = ""
    skipped_rows: list[int] = field(default_factory=list)


def _find_header(head: list[list[Cell]]) -> tuple[int, list[str]] | None:
    """The header row's index in ``head`` (the first rows of the sheet) and its normalised headers."""
    header_idx = None
    for i, row in enumerate(head[:HEADER_SEARCH_ROWS]):
        if _known_headers(row) >= MIN_HEADER_MATCHES:
            header_idx = i
            break
    if header_idx is None:
        return None
    headers = [normalize_text(v) if not _is_blank(v) else "" for v in head[header_idx]]
    # A two-row header (a merged group header such as 务工情况 above 务工地点 and 务工单位): the row below
    # names known columns that differ from the cells above them (vertically merged cells repeat the same).
    if header_idx + 1 < len(head):
        below = [normalize_text(v) if not _is_blank(v) else "" for v in head[header_idx + 1]]
        above = headers + [""] * max(0, len(below) - len(headers))
        recognise = _RECOGNISE.get()
        subs = [j for j, v in enumerate(below) if v and recognise(v) and v != above[j]]
        if subs:
            combined = [below[j] if j < len(below) and below[j] else above[j] for j in range(len(above))]
            if _known_headers(list(combined)) >= _known_headers(list(headers)):
                headers = combined
                header_idx += 1
    width = len(headers)
    while width and not headers[width - 1]:
        width -= 1
    return header_idx, headers[:width]


def _stream_table(
    filename: str, sheet_name: str, grid: Iterable[list[Cell]], *, limit: int | None = None
) -> TableStream | None:
    """Find the header row in ``grid`` (row i is Excel row i+1) and stream the data rows after it.

    Only the first rows are held to find the header; the rest are read as ``rows`` is iterated. Blank rows
    are dropped, summary rows (合计 …) dropped and listed in ``skipped_rows``.
    """
    source = iter(grid)
    head = list(itertools.islice(source, HEADER_SEARCH_ROWS + 1))
    found = _find_header(head)
    if found is None:
        return None
    header_idx, headers = found
    width = len(headers)
    cap = MAX_ROWS if limit is None else limit
    stream = TableStream(
        filename=filename,
        sheet_name=sheet_name,
        headers=headers,
        header_row_number=header_idx + 1,
        rows=iter(()),
    )

    def rows() -> Iterator[TableRow]:
        kept = 0
        skipped = stream.skipped_rows
        for number, row in enumerate(itertools.chain(head[header_idx + 1 :], source), start=header_idx + 2):
            cells = row[:width] if len(row) >= width else list(row) + [None] * (width - len(row))
            if type(cells) is not list:
                cells = list(cells)
            if _row_is_blank(cells):
                continue
            if _row_is_summary(cells):
                skipped.append(number)
                continue
            kept += 1
            if kept > cap:
                raise _too_many_rows()
            yield TableRow(number, cells)

    stream.rows = rows()
    return stream


def _materialise(stream: TableStream) -> Table:
    table = Table(
        filename=stream.filename,
        sheet_name=stream.sheet_name,
        headers=stream.headers,
        header_row_number=stream.header_row_number,
        rows=list(stream.rows),
    )
    table.skipped_rows = stream.skipped_rows
    return table


def _build_table(filename: str, sheet_name: str, grid: list[list[Cell]]) -> Table | None:
    """Find the header row in ``grid`` (row i is Excel row i+1) and keep the data rows after it."""
    stream = _stream_table(filename, sheet_name, grid)
    return None if stream is None else _materialise(stream)


class NoHeaderError(TableError):
    """No row among the first ones names enough known columns (importers may word it their own way)."""


def _no_header_error() -> TableError:
    return NoHeaderError(
        _(
            "No header row was found in the first %(n)d rows. The header row must name at least two known "
            "columns, such as 姓名 and 身份证号; download the template to see them."
        )
        % {"n": HEADER_SEARCH_ROWS}
    )


# --- .xlsx ---------------------------------------------------------------------------------------------


def _read_xlsx(data: bytes, filename: str) -> Table:
    """.xlsx with openpyxl: the fallback when python-calamine cannot open a workbook openpyxl can."""
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


def _calamine_rows(sheet: Any) -> Iterator[list[Cell]]:
    """A calamine sheet's rows as openpyxl gives them: from column A, empty cells ``None``, merged cells
    filled from their top-left value (a row blank in the file stays blank)."""
    lead = [None] * sheet.start[1] if sheet.start else []
    ranges = sorted(sheet.merged_cell_ranges or [])
    active: list[tuple[int, int, int, Cell]] = []  # (last row, first col, last col, value)
    pending = 0
    for r, raw in enumerate(sheet.iter_rows()):
        row: list[Cell] = [None if v == "" else v for v in raw]
        if lead:
            row = lead + row
        if ranges or active:
            while pending < len(ranges) and ranges[pending][0][0] <= r:
                (r0, c0), (r1, c1) = ranges[pending]
                pending += 1
                if r0 == r and r1 >= r:
                    active.append((r1, c0, c1, row[c0] if c0 < len(row) else None))
            active = [a for a in active if a[0] >= r]
            if active and not all(_is_blank(v) for v in row):
                for _last, c0, c1, top in active:
                    for c in range(c0, min(c1 + 1, len(row))):
                        row[c] = top
        yield row


def _calamine_stream(data: bytes, filename: str, workbook: Any | None = None) -> TableStream | None:
    """The first visible sheet with a header row, read with python-calamine; ``None`` if calamine cannot
    open the workbook (the caller falls back to openpyxl)."""
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    try:
        wb = workbook or CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = list(wb.sheets_metadata)
    except Exception:  # calamine raises its own error types; openpyxl gets the file next
        return None
    names = [m.name for m in metas if m.visible == SheetVisibleEnum.Visible] or [m.name for m in metas]
    for name in names:
        stream = _stream_table(filename, name, _calamine_rows(wb.get_sheet_by_name(name)))
        if stream is not None:
            return stream
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


def _text_encoding(data: bytes) -> tuple[str, int]:
    """The encoding :func:`decode_text` would use, and how many bytes of BOM to skip; the whole of ``data``
    is checked now, so reading never fails halfway through the rows."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, skip = "utf-8", 3
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding, skip = "utf-16", 0
    else:
        encoding, skip = "utf-8", 0
        try:
            codecs.decode(data, "utf-8")  # the string is dropped at once
        except UnicodeDecodeError:
            encoding = "gb18030"
    try:
        codecs.decode(memoryview(data)[skip:] if skip else data, encoding)
    except UnicodeDecodeError as exc:
        raise TableError(
            _("The text file is neither UTF-8 nor GBK. Save it from Excel as CSV UTF-8, or as .xlsx.")
        ) from exc
    return encoding, skip


def _text_reader(data: bytes, encoding: str, skip: int) -> io.TextIOWrapper:
    raw = io.BytesIO(data)
    raw.seek(skip)
    return io.TextIOWrapper(raw, encoding=encoding, newline="")


def _csv_stream(data: bytes, filename: str) -> TableStream:
    """A CSV read row by row: only the file's bytes and the rows not yet consumed are in memory."""
    encoding, skip = _text_encoding(data)
    sample = _text_reader(data, encoding, skip).read(8192)
    if sample.lstrip()[:1] == "<":
        raise TableError(
            _("The file is a web page, not a spreadsheet. Open it in Excel and save it as .xlsx.")
        )
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    rows: Iterator[list[Cell]] = csv.reader(_text_reader(data, encoding, skip), delimiter=delimiter)  # type: ignore[assignment]
    stream = _stream_table(filename, "", rows)
    if stream is None:
        raise _no_header_error()
    return stream


def _read_csv(data: bytes, filename: str) -> Table:
    return _materialise(_csv_stream(data, filename))


# --- entry point -----------------------------------------------------------------------------------------


def _file_bytes(path_or_bytes: str | os.PathLike[str] | bytes, filename: str) -> tuple[bytes, str]:
    if isinstance(path_or_bytes, bytes):
        return path_or_bytes, filename
    path = Path(path_or_bytes)
    return path.read_bytes(), filename or path.name


def iter_table(
    path_or_bytes: str | os.PathLike[str] | bytes,
    filename: str = "",
    *,
    recognise: Callable[[object], str | None] | None = None,
) -> TableStream:
    """Like :func:`read_table`, but the data rows are read as ``rows`` is iterated, so a million-row CSV
    or xlsx never sits in memory as a grid. .xlsx is read with python-calamine (openpyxl when calamine
    cannot open it); .xls and an xlsx read by openpyxl are read whole first.

    ``recognise`` maps a header text to a column key (or ``None``): the header row is the first of the
    first rows that names at least two known columns. Default: the labour ledger's columns.
    """
    token = _RECOGNISE.set(recognise) if recognise is not None else None
    try:
        return _iter_table(path_or_bytes, filename)
    finally:
        if token is not None:
            _RECOGNISE.reset(token)


def _iter_table(path_or_bytes: str | os.PathLike[str] | bytes, filename: str) -> TableStream:
    data, filename = _file_bytes(path_or_bytes, filename)
    if not data.strip():
        raise TableError(_("The file is empty."))
    ext = Path(filename).suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        stream = _calamine_stream(data, filename)
        return stream if stream is not None else _as_stream(_read_xlsx(data, filename))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return _as_stream(_read_xls(data, filename))
    if ext in (".xlsx", ".xlsm"):
        raise TableError(
            _("The file could not be opened as an Excel workbook. Open it in Excel and save it as .xlsx.")
        )
    if ext in ("", ".csv", ".txt", ".xls", ".tsv"):
        return _csv_stream(data, filename)
    raise TableError(_("Files of type %(ext)s cannot be imported; use .xlsx, .xls or .csv.") % {"ext": ext})


def _as_stream(table: Table) -> TableStream:
    return TableStream(
        filename=table.filename,
        headers=table.headers,
        header_row_number=table.header_row_number,
        rows=iter(table.rows),
        sheet_name=table.sheet_name,
        skipped_rows=table.skipped_rows,
    )


def read_table(
    path_or_bytes: str | os.PathLike[str] | bytes,
    filename: str = "",
    *,
    recognise: Callable[[object], str | None] | None = None,
) -> Table:
    """Read the first sheet with a recognisable header row into a :class:`Table`.

    ``filename`` (as uploaded) is used for messages and, when the content does not say, for the format.
    ``recognise``: see :func:`iter_table`. Raises :class:`TableError` with a message for the user when the
    file cannot be read.
    """
    return _materialise(iter_table(path_or_bytes, filename, recognise=recognise))


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
