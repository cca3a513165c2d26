"""Importing an enterprise list (企业名单) from .xlsx/.xls/.csv: read, recognise columns, check, load.

Files come as staff keep them: a title row, merged cells, blank rows, a 合计 row, extra columns, columns in
any order, CSV in UTF-8 or GBK. Cells are read with the registry's readers (``registry.importers.reading``);
the header row is found with this module's own column names. Every bad cell is reported with its row,
column and reason; valid rows create or update enterprises (by credit code) in one transaction. Lists are
hundreds of rows, so the import runs while the user waits (capped at ``MAX_ROWS``).
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from wengang.accounts.scoping import area_q
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core import crypto
from wengang.core.masking import redact_text
from wengang.core.text import normalize_code, normalize_text
from wengang.regions.models import Region
from wengang.registry.importers.columns import header_key
from wengang.registry.importers.reading import (
    HEADER_SEARCH_ROWS,
    Cell,
    NoHeaderError,
    Table,
    TableError,
    TableRow,
    cell_text,
    read_table,
)
from wengang.registry.importers.validation import RowError

from . import industries
from .models import Enterprise, KeyCategory, Size
from .selectors import enterprise_queryset
from .services import clean_enterprise_values, normalize_uscc, uscc_problem

MAX_ROWS = 20_000

NAME, USCC, AREA, ADDRESS, INDUSTRY = "name", "uscc", "area", "address", "industry"
SIZE, CONTACT_NAME, CONTACT_PHONE, STAFF, KEY = "size", "contact_name", "contact_phone", "staff", "key"
COLUMNS: dict[str, tuple[str, ...]] = {
    NAME: ("企业名称", "单位名称", "企业全称", "企业(单位)名称", "用人单位名称", "公司名称"),
    USCC: ("统一社会信用代码", "信用代码", "社会信用代码", "统一信用代码"),
    AREA: ("所在县区", "所属县区", "区县", "所在地区", "县区", "县(市、区)", "所在县(市、区)", "所在乡镇"),
    ADDRESS: ("地址", "企业地址", "注册地址", "经营地址", "详细地址"),
    INDUSTRY: ("行业", "所属行业", "行业类别", "行业代码", "行业门类"),
    SIZE: ("企业规模", "规模"),
    CONTACT_NAME: ("联系人", "企业联系人", "人事联系人"),
    CONTACT_PHONE: ("联系电话", "电话", "联系方式", "手机号"),
    STAFF: ("职工人数", "在岗职工数", "用工人数", "在职职工数", "职工总数"),
    KEY: ("重点企业类别", "重点企业", "重点企业类型"),
}
REQUIRED = (NAME, USCC)
SIZE_WORDS = {"大型": Size.LARGE, "中型": Size.MEDIUM, "小型": Size.SMALL, "微型": Size.MICRO}
KEY_WORDS = {
    "重要医用物资": KeyCategory.MEDICAL_SUPPLIES,
    "医用物资": KeyCategory.MEDICAL_SUPPLIES,
    "生活必需品": KeyCategory.DAILY_NECESSITIES,
    "城市运转保障": KeyCategory.CITY_OPERATION,
    "重点产业链": KeyCategory.KEY_INDUSTRIAL_CHAIN,
    "重大项目": KeyCategory.MAJOR_PROJECT,
    "重大工程": KeyCategory.MAJOR_PROJECT,
    "重大项目、重大工程": KeyCategory.MAJOR_PROJECT,
    "重大项目/重大工程": KeyCategory.MAJOR_PROJECT,
}
NO_KEY_WORDS = ("否", "无", "-", "—", "非重点企业")
_PAREN_RE = re.compile(r"\([^)]*\)")
_ALIASES = {header_key(a): k for k, aliases in COLUMNS.items() for a in aliases}


def column_of(text: object) -> str | None:
    key = header_key(text)
    return (_ALIASES.get(key) or _ALIASES.get(_PAREN_RE.sub("", key))) if key else None


# --- reading ------------------------------------------------------------------------------------------


def read_enterprise_table(data: bytes, filename: str) -> Table:
    """The first sheet whose first rows hold a header naming at least two known columns.

    Read with the registry's reader (title rows, merged cells, blank and 合计 rows, GBK CSV, .xls), told
    which headers an enterprise list has.
    """
    try:
        table = read_table(data, filename, recognise=column_of)
    except NoHeaderError:
        raise TableError(
            _(
                "No header row was found in the first %(n)d rows. It must name at least two known columns, "
                "such as 企业名称 and 统一社会信用代码; download the template to see them."
            )
            % {"n": HEADER_SEARCH_ROWS}
        ) from None
    if len(table.rows) > MAX_ROWS:
        raise TableError(
            _("The file has more than %(n)s rows. Split it into several files.") % {"n": f"{MAX_ROWS:,}"}
        )
    return table


# --- resolving cells ----------------------------------------------------------------------------------

_AREA_SUFFIX_RE = re.compile(r"(街道办事处|街道|办事处|县|区|市|镇|乡)$")


def _bare(name: str) -> str:
    stripped = _AREA_SUFFIX_RE.sub("", name)
    return stripped if len(stripped) >= 2 else name


class AreaIndex:
    """Counties and townships in the user's scope, by code, name and name without 县/区/镇/乡/街道."""

    def __init__(self, user: Any) -> None:
        rows = Region.objects.filter(area_q(user, "code"), level__in=("county", "township", "village"))
        self.codes: set[str] = set(rows.values_list("code", flat=True))
        self.by_name: dict[str, list[str]] = {}
        self.counties: dict[str, str] = {}
        for code, name, level in rows.filter(
            level__in=("county", "township"), valid_to__isnull=True
        ).values_list("code", "name", "level"):
            key = normalize_text(name).replace(" ", "")
            for k in {key, _bare(key)}:
                self.by_name.setdefault(k, []).append(code)
            if level == "county":
                self.counties[key] = code

    def resolve(self, raw: str) -> str:
        """The code ``raw`` names; ValueError with a reason if none or several."""
        code = normalize_code(raw).removesuffix(".0")
        if code.isdigit():
            if code in self.codes:
                return code
            if Region.objects.filter(code=code).exists():
                raise ValueError(_("The area %(code)s is outside your area.") % {"code": code})
            raise ValueError(_("No county, township or village has the code %(code)s.") % {"code": code})
        text = normalize_text(raw).replace(" ", "")
        prefix = ""
        for county in sorted(self.counties, key=len, reverse=True):
            if text.startswith(county) and len(text) > len(county):
                prefix, text = self.counties[county], text[len(county) :]
                break
        found = self.by_name.get(text) or self.by_name.get(_bare(text)) or []
        found = [c for c in found if c.startswith(prefix)]
        if len(found) == 1:
            return found[0]
        if found:
            raise ValueError(
                _("Several areas are called %(name)s; put the county first or write the code: %(codes)s.")
                % {"name": text, "codes": "、".join(found[:6])}
            )
        if Region.objects.filter(name__startswith=text).exists():
            raise ValueError(_("%(name)s is outside your area.") % {"name": normalize_text(raw)})
        raise ValueError(
            _("No county or township in your area is called %(name)s.") % {"name": normalize_text(raw)}
        )


def parse_industry(raw: str) -> tuple[str, str]:
    """(section, division) from ``13``, ``C13``, ``13 农副食品加工业``, a division name, or a section name."""
    text = normalize_text(raw).replace(" ", "")
    match = re.match(r"^([A-Ta-t])?(\d{2})", text)
    if match:
        division = match.group(2)
        section = industries.section_of(division)
        if not section:
            raise ValueError(_("%(code)s is not a GB/T 4754 industry division.") % {"code": division})
        return section, division
    for division, section, name in industries.divisions():
        if name == text:
            return section, division
    for letter, name in industries.sections():
        if name == text or text.upper() == letter:
            return letter, ""
    raise ValueError(
        _("%(value)s is not a GB/T 4754 industry; write the two-digit division code (e.g. 13) or its name.")
        % {"value": text}
    )


def parse_staff(value: Cell) -> int:
    text = cell_text(value).removesuffix("人").replace(",", "")
    if not text.isdigit():
        raise ValueError(_("Enter a whole number of people, 0 or more."))
    return int(text)


# --- validating ---------------------------------------------------------------------------------------


@dataclass
class EnterpriseRow:
    row_number: int
    uscc: str
    values: dict[str, Any]  # model field → value; absent when the cell was blank (keep what is stored)
    key_category: str | None = None  # None: not given


@dataclass
class ImportResult:
    filename: str
    table: Table | None = None
    columns: dict[str, int] = field(default_factory=dict)
    rows: list[EnterpriseRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_warnings: list[str] = field(default_factory=list)
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    loaded: bool = False

    @property
    def rejected(self) -> int:
        return len({e.row_number for e in self.errors})

    def messages(self) -> list[str]:
        return [
            _("Row %(row)d 「%(column)s」: %(reason)s")
            % {"row": e.row_number, "column": e.column, "reason": e.reason}
            if e.column
            else _("Row %(row)d: %(reason)s") % {"row": e.row_number, "reason": e.reason}
            for e in self.errors
        ]


def validate_table(table: Table, *, user: Any) -> ImportResult:
    """Check every row; no writes. Existing enterprises are matched by credit code within the user's scope."""
    result = ImportResult(filename=table.filename, table=table, total_rows=len(table.rows))
    for idx, text in enumerate(table.headers):
        key = column_of(text)
        if key is not None and key not in result.columns:
            result.columns[key] = idx
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in result.columns]
    if missing:
        raise TableError(_("The file has no %(columns)s column.") % {"columns": "、".join(missing)})
    can_designate = user.can("enterprises.designate")
    if KEY in result.columns and not can_designate:
        result.file_warnings.append(
            _(
                "Only the bureau's administrators designate key enterprises; "
                "the %(column)s column was not read."
            )
            % {"column": table.headers[result.columns[KEY]]}
        )
    areas = AreaIndex(user)
    codes = {normalize_uscc(row.get(result.columns[USCC])) for row in table.rows}
    existing = dict(Enterprise.objects.filter(uscc__in=codes).values_list("uscc", "pk"))
    visible = set(enterprise_queryset(user).filter(uscc__in=codes).values_list("uscc", flat=True))
    seen: dict[str, int] = {}
    for row in table.rows:
        errors: list[RowError] = []

        def bad(key: str, reason: str, row: TableRow = row, errors: list[RowError] = errors) -> None:
            idx = result.columns[key]
            errors.append(
                RowError(row.number, table.headers[idx], cell_text(row.get(idx))[:100], reason, idx)
            )

        def cell(key: str, row: TableRow = row) -> str:
            return cell_text(row.get(result.columns[key])) if key in result.columns else ""

        code = normalize_uscc(cell(USCC))
        problem = uscc_problem(code)
        if problem:
            bad(USCC, problem)
        elif code in seen:
            bad(USCC, _("The same credit code is already in row %(row)d.") % {"row": seen[code]})
        elif code in existing and code not in visible:
            bad(USCC, _("This enterprise is registered outside your area."))
        seen.setdefault(code, row.number)
        values: dict[str, Any] = {}
        if not cell(NAME):
            bad(NAME, _("Required."))
        if cell(AREA):
            try:
                values["area_code"] = areas.resolve(cell(AREA))
            except ValueError as exc:
                bad(AREA, str(exc))
        elif code not in existing:
            if AREA in result.columns:
                bad(AREA, _("Required for an enterprise not yet registered."))
            else:
                bad(USCC, _("The enterprise is not registered yet and the file has no 所在县区 column."))
        if cell(INDUSTRY):
            try:
                values["industry_section"], values["industry_division"] = parse_industry(cell(INDUSTRY))
            except ValueError as exc:
                bad(INDUSTRY, str(exc))
        if cell(SIZE):
            word = cell(SIZE).replace(" ", "").removesuffix("企业")
            if word in SIZE_WORDS or word + "型" in SIZE_WORDS:
                values["size"] = SIZE_WORDS.get(word) or SIZE_WORDS[word + "型"]
            else:
                bad(SIZE, _("One of: %(words)s.") % {"words": "、".join(SIZE_WORDS)})
        if cell(STAFF):
            try:
                values["staff_count"] = parse_staff(row.get(result.columns[STAFF]))
            except ValueError as exc:
                bad(STAFF, str(exc))
        for key, name in (
            (NAME, "name"),
            (ADDRESS, "address"),
            (CONTACT_NAME, "contact_name"),
            (CONTACT_PHONE, "contact_phone"),
        ):
            if cell(key):
                try:
                    values.update(clean_enterprise_values(user, {name: cell(key)}, fields=(name,)))
                except ValidationError as exc:
                    bad(key, " ".join(exc.messages))
        key_category = None
        if can_designate and cell(KEY):
            word = cell(KEY).replace(" ", "")
            if word in KEY_WORDS:
                key_category = str(KEY_WORDS[word])
            elif word in NO_KEY_WORDS:
                key_category = ""
            else:
                bad(KEY, _("One of: %(words)s; or 否 to remove.") % {"words": "、".join(list(KEY_WORDS)[:7])})
        if errors:
            result.errors.extend(errors)
        else:
            result.rows.append(EnterpriseRow(row.number, code, values, key_category))
    return result


# --- loading ------------------------------------------------------------------------------------------


def _load(result: ImportResult, *, user: Any) -> dict[str, Any]:
    now = timezone.now()
    current = {e.uscc: e for e in Enterprise.objects.filter(uscc__in=[r.uscc for r in result.rows])}
    new: list[Enterprise] = []
    changed: dict[str, list[str]] = {}
    for row in result.rows:
        values = dict(row.values)
        enterprise = current.get(row.uscc)
        if enterprise is None:
            enterprise = Enterprise(uscc=row.uscc, **values)
            if row.key_category:
                enterprise.key_category = row.key_category
                enterprise.key_designated_by, enterprise.key_designated_at = user, now
            new.append(enterprise)
            continue
        fields = [k for k, v in values.items() if getattr(enterprise, k) != v]
        for k in fields:
            setattr(enterprise, k, values[k])
        if row.key_category is not None and row.key_category != enterprise.key_category:
            enterprise.key_category = row.key_category
            enterprise.key_designated_by, enterprise.key_designated_at = user, now
            fields += ["key_category", "key_designated_by", "key_designated_at"]
        if fields:
            enterprise.updated_at = now
            changed[row.uscc] = fields
        else:
            result.unchanged += 1
    Enterprise.objects.bulk_create(new, batch_size=500)
    if changed:
        update_fields = sorted({f for fs in changed.values() for f in fs} | {"updated_at"})
        Enterprise.objects.bulk_update([current[c] for c in changed], update_fields, batch_size=500)
    result.created, result.updated = len(new), len(changed)
    return {
        "created": [e.uscc for e in new][:1000],
        "updated": dict(list(changed.items())[:1000]),
    }


def enterprise_import(
    *, user: Any, data: bytes, filename: str, all_or_nothing: bool, request: HttpRequest | None = None
) -> ImportResult:
    """Read, check and (unless refused) load a list. TableError when the file as a whole cannot be read."""
    if not user.can("enterprises.import"):
        raise PermissionDenied(_("Your roles do not allow importing enterprises."))
    table = read_enterprise_table(data, filename)
    result = validate_table(table, user=user)
    detail: dict[str, Any] = {}
    with transaction.atomic():
        if result.rows and not (all_or_nothing and result.errors):
            detail = _load(result, user=user)
            result.loaded = True
        audit_record(
            action=Action.IMPORT,
            actor=user,
            object_type="employers.enterprise",
            request=request,
            changes={
                "filename": filename,
                "rows": result.total_rows,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "rejected": result.rejected,
                "loaded": result.loaded,
                **detail,
            },
        )
    return result


# --- workbooks for download ---------------------------------------------------------------------------

BOLD = Font(bold=True)
BAD_FILL = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def error_report_xlsx_bytes(result: ImportResult) -> bytes:
    """The rejected rows as they were, with a leading 错误说明 column and the bad cells in red."""
    assert result.table is not None
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "错误行"
    ws.append(["错误说明", _("Row in file"), *result.table.headers])
    for c in ws[1]:
        c.font = BOLD
    by_row: dict[int, list[RowError]] = {}
    for e in result.errors:
        by_row.setdefault(e.row_number, []).append(e)
    cells = {r.number: r.cells for r in result.table.rows}
    for out_row, number in enumerate(sorted(by_row), start=2):
        reasons = "\n".join(f"{e.column}：{e.reason}" for e in by_row[number])
        ws.append([reasons, number, *(redact_text(cell_text(v)) for v in cells[number])])
        ws.cell(out_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
        for e in by_row[number]:
            if e.column_index is not None:
                ws.cell(out_row, e.column_index + 3).fill = BAD_FILL
    ws.column_dimensions["A"].width = 60
    return _save(wb)


def template_xlsx_bytes() -> bytes:
    """The template: one column per field with its canonical header, and a sheet explaining each."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "企业名单"
    ws.append([aliases[0] for aliases in COLUMNS.values()])
    for i, c in enumerate(ws[1], start=1):
        c.font = BOLD
        ws.column_dimensions[c.column_letter].width = 22
        if i == 2:
            for row in range(2, 1002):
                ws.cell(row, i).number_format = "@"
    notes = {
        NAME: _("Required."),
        USCC: _("Required. 18 characters; enterprises already registered are updated."),
        AREA: _(
            "County or township name (伊川县, 鸣皋镇, 伊川县鸣皋镇) or its code. "
            "Required for new enterprises."
        ),
        INDUSTRY: _("GB/T 4754 division code (e.g. 13) or its name."),
        SIZE: "、".join(SIZE_WORDS),
        STAFF: _("Whole number of people."),
        KEY: _("Administrators only: %(words)s; 否 removes the designation.")
        % {"words": "、".join(KEY_WORDS)},
    }
    help_ws = wb.create_sheet("填写说明")
    help_ws.append([_("Column"), _("Also accepted as"), _("What to write")])
    for key, aliases in COLUMNS.items():
        help_ws.append([aliases[0], "、".join(aliases[1:]), str(notes.get(key, ""))])
    help_ws.append([_("A title row, blank rows, a 合计 row and other columns are fine.")])
    help_ws.append([_("A blank cell leaves the stored value unchanged.")])
    for letter, width in (("A", 16), ("B", 40), ("C", 80)):
        help_ws.column_dimensions[letter].width = width
    return _save(wb)


def _report_dir() -> Path:
    folder = Path(settings.STATIC_ROOT).parent / "enterprise-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def report_save(*, user: Any, data: bytes) -> str:
    """Keep an error report (sealed) for its uploader to download; reports older than a day are removed."""
    folder = _report_dir()
    cutoff = timezone.now().timestamp() - 86_400
    for old in folder.glob("*.sealed"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = uuid.uuid4().hex
    (folder / f"{user.pk}-{token}.sealed").write_bytes(crypto.encrypt_bytes(data))
    return token


def report_load(*, user: Any, token: str) -> bytes:
    """FileNotFoundError unless ``token`` is a report of this user's."""
    if not re.fullmatch(r"[0-9a-f]{32}", token):
        raise FileNotFoundError(token)
    return crypto.decrypt_bytes((_report_dir() / f"{user.pk}-{token}.sealed").read_bytes())
