"""Workbooks the user downloads: the import template, and the rejected rows with what is wrong in each.

The error workbook repeats the rejected rows as they were in the file, with a leading 错误说明 column and
the bad cells filled light red. It never holds a full ID number or phone: those columns are masked, and
ID-like or phone-like runs in other cells are redacted.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from . import columns as c
from .reading import Table
from .validation import ValidationResult, masked_cell

ERROR_COLUMN = "错误说明"
BAD_FILL = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFD9E1F2", end_color="FFD9E1F2")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def error_report_xlsx_bytes(table: Table, result: ValidationResult) -> bytes:
    """The rejected rows (masked) with a leading 错误说明 column, bad cells highlighted; file errors and
    warnings on further sheets."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "错误行"
    cmap = result.columns or c.map_columns(table.headers)
    field_of = {idx: key for key, idx in cmap.fields.items()}
    ws.append([ERROR_COLUMN, _("Row in file"), *table.headers])
    for cell in ws[1]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
    by_row = result.errors_by_row()
    rows = {r.number: r for r in table.rows}
    for out_row, number in enumerate(sorted(by_row), start=2):
        errors = by_row[number]
        reasons = "\n".join(f"{e.column}：{e.reason}" if e.column else e.reason for e in errors)
        source = rows.get(number)
        cells = source.cells if source is not None else [None] * len(table.headers)
        values = [masked_cell(field_of.get(i), v) for i, v in enumerate(cells)]
        ws.append([reasons, number, *values])
        ws.cell(out_row, 1).alignment = WRAP
        for e in errors:
            if e.column_index is not None:
                ws.cell(out_row, e.column_index + 3).fill = BAD_FILL
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["B"].width = 10
    for i, header in enumerate(table.headers):
        ws.column_dimensions[get_column_letter(i + 3)].width = max(10, min(30, len(header) * 2 + 4))
    ws.freeze_panes = "C2"

    if result.file_errors or result.file_warnings:
        fs = wb.create_sheet("文件问题")
        for message in result.file_errors + result.file_warnings:
            fs.append([message])
        fs.column_dimensions["A"].width = 100
    if result.warnings:
        warn = wb.create_sheet("提示")
        warn.append([_("Row in file"), _("Column"), _("Value"), _("Note")])
        for cell in warn[1]:
            cell.font = BOLD
        for w in result.warnings:
            warn.append([w.row_number, w.column, w.masked_value, w.reason])
        warn.column_dimensions["D"].width = 80
    return _save(wb)


_FIELD_NOTES = {
    c.NAME: "required",
    c.ID_NUMBER: "id",
    c.PHONE: "phone",
    c.VILLAGE: "village",
    c.VILLAGE_CODE: "village_code",
    c.MONTHLY_INCOME: "income",
    c.RETURN_DATE: "date",
    c.SKILLS: "skills",
}


def _field_note(key: str) -> str:
    kind = _FIELD_NOTES.get(key, "")
    if key in c.ENUM_WORDS:
        return _("One of: %(words)s.") % {"words": "、".join(c.accepted_words(key))}
    if kind == "required":
        return _("Required.")
    if kind == "id":
        return _("Required. 18 characters. Format the column as Text before typing or pasting numbers.")
    if kind == "phone":
        return _("11-digit mobile number.")
    if kind == "village":
        return _("The village or community name (e.g. 西场社区 or 许沟村), or its 12-digit code.")
    if kind == "village_code":
        return _("The 12-digit village code; used instead of the name when both are given.")
    if kind == "income":
        return _("Whole yuan a month, e.g. 3000.")
    if kind == "date":
        return _("A date: 2021-02-09, 2021/2/9, 2021.2.9 or 2021年2月9日.")
    if kind == "skills":
        return _("Several skills separated by 、 or commas.")
    return ""


def template_xlsx_bytes() -> bytes:
    """The import template: canonical headers, one fictional example row, and a sheet of accepted words."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "劳动力台账"
    headers = [c.canonical_header(k) for k in c.TEMPLATE_FIELDS]
    ws.append(headers)
    ws.append([c.EXAMPLE_ROW.get(k, "") for k in c.TEMPLATE_FIELDS])
    for i, key in enumerate(c.TEMPLATE_FIELDS, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = 24 if key in (c.ID_NUMBER, c.NOTES, c.WORK_PLACE) else 14
        head = ws.cell(1, i)
        head.font = BOLD
        head.fill = HEADER_FILL
        if key in (c.ID_NUMBER, c.PHONE, c.VILLAGE, c.VILLAGE_CODE):
            # Text, so Excel keeps all 18 digits of pasted ID numbers.
            for row in range(2, 1002):
                ws.cell(row, i).number_format = "@"
    ws.freeze_panes = "A2"

    help_ws = wb.create_sheet("填写说明")
    help_ws.append([_("Column"), _("Also accepted as"), _("What to write")])
    for cell in help_ws[1]:
        cell.font = BOLD
    fields = list(c.TEMPLATE_FIELDS) + [k for k in c.COLUMN_ALIASES if k not in c.TEMPLATE_FIELDS]
    for key in fields:
        aliases = c.COLUMN_ALIASES[key]
        help_ws.append([aliases[0], "、".join(aliases[1:]), _field_note(key)])
    help_ws.append([])
    for line in (
        _("The first row with column headers is read; a title row above it is fine. Delete the example row."),
        _("Rows starting with 合计, 总计 or 小计 are skipped. Unknown columns are ignored."),
        _("Each person appears in one row only."),
    ):
        help_ws.append([line])
    help_ws.column_dimensions["A"].width = 16
    help_ws.column_dimensions["B"].width = 40
    help_ws.column_dimensions["C"].width = 90
    for row in help_ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
    return _save(wb)


__all__ = ["ERROR_COLUMN", "error_report_xlsx_bytes", "template_xlsx_bytes"]
