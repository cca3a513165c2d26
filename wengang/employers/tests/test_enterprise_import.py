"""Importing an enterprise list: a messy sheet, exact per-row errors, all-or-nothing, re-import, scope."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from stdnum.cn import uscc

from wengang.audit.models import Action, AuditEvent
from wengang.employers import importers
from wengang.employers.models import Enterprise
from wengang.registry.importers.reading import TableError

pytestmark = pytest.mark.django_db
BACKEND = "wengang.accounts.backends.StaffBackend"


def code(n: int, area: str = "410329") -> str:
    body = f"91{area}MA8T{n:05d}"
    return body + uscc.calc_check_digit(body)


FOOD, ELEC, BAD, OUTSIDE, EMPTY = code(1), code(2), code(3), code(4, "410307"), code(5)
BAD_CODE = BAD[:17] + ("1" if BAD[17] != "1" else "2")
HEADERS = [
    "序号", "单位名称", "所属县区", "统一社会信用代码(18位)", "行业类别", "规模",
    "联系人", "电话", "在岗职工数", "重点企业类别", "备注",
]  # fmt: skip


def rows(existing_uscc: str) -> list[list[object]]:
    return [
        [
            1,
            "示例食品有限公司",
            "伊川县鸣皋镇",
            FOOD,
            13,
            "中型",
            "张示例",
            "0379-65000001",
            120,
            "生活必需品",
            "",
        ],
        [None] * 11,
        [
            2,
            "示例电子有限公司",
            "城关街道",
            ELEC.lower(),
            "39",
            "大型企业",
            "李示例",
            "13800000002",
            "300人",
            "",
            "x",
        ],
        [3, "坏代码公司", "伊川县", BAD_CODE, 13, "小型", "", "", 10, "", ""],
        [4, "越界公司", "偃师区", OUTSIDE, 13, "小型", "", "", 10, "", ""],
        [5, "", "伊川", EMPTY, 99, "巨型", "", "", "十个", "", ""],
        [6, "伊川测试企业", "伊川县", existing_uscc, "", "", "赵示例", "0379-68000000", "", "", ""],
        ["合计", "", "", "", "", "", "", "", 430, "", ""],
    ]


def messy_xlsx(existing_uscc: str) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["伊川县企业用工名单（示例）"])
    ws.merge_cells("A1:K1")
    ws.append(HEADERS)
    for row in rows(existing_uscc):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def gbk_csv(existing_uscc: str) -> bytes:
    lines = ["伊川县企业名单,,,,,,,,,,", ",".join(HEADERS)]
    for row in rows(existing_uscc):
        lines.append(",".join("" if v is None else str(v) for v in row))
    return "\r\n".join(lines).encode("gbk")


EXPECTED_ERRORS = [
    "Row 6 「统一社会信用代码(18位)」: The check digit is wrong.",
    "Row 7 「所属县区」: 偃师区 is outside your area.",
    "Row 8 「单位名称」: Required.",
    "Row 8 「行业类别」: 99 is not a GB/T 4754 industry division.",
    "Row 8 「规模」: One of: 大型、中型、小型、微型.",
    "Row 8 「在岗职工数」: Enter a whole number of people, 0 or more.",
]


def run(user, data, filename="名单.xlsx", all_or_nothing=False):
    with translation.override("en"):
        return importers.enterprise_import(
            user=user, data=data, filename=filename, all_or_nothing=all_or_nothing
        )


@pytest.mark.parametrize(("builder", "filename"), [(messy_xlsx, "名单.xlsx"), (gbk_csv, "名单.csv")])
def test_messy_sheet_loads_valid_rows_and_reports_each_bad_cell(people, builder, filename):
    admin = people["county_admin"]
    existing = people["employer"].enterprise
    with translation.override("en"):
        result = run(admin, builder(existing.uscc), filename)
        messages = result.messages()
    assert messages == EXPECTED_ERRORS
    assert (result.total_rows, result.created, result.updated, result.unchanged, result.rejected) == (
        6,
        2,
        1,
        0,
        3,
    )
    food = Enterprise.objects.get(uscc=FOOD)
    assert (food.area_code, food.industry_section, food.industry_division, food.size, food.staff_count) == (
        "410329101",
        "C",
        "13",
        "medium",
        120,
    )
    assert (food.key_category, food.key_designated_by) == ("daily_necessities", admin)
    elec = Enterprise.objects.get(uscc=ELEC)
    assert (elec.area_code, elec.size, elec.staff_count, elec.key_category) == ("410329001", "large", 300, "")
    existing.refresh_from_db()
    assert (existing.contact_name, existing.contact_phone, existing.area_code) == (
        "赵示例",
        "0379-68000000",
        "410329",
    )
    assert not Enterprise.objects.filter(uscc__in=[BAD_CODE, OUTSIDE, EMPTY]).exists()
    event = AuditEvent.objects.filter(action=Action.IMPORT).latest("id")
    assert (event.changes["created"], event.changes["rejected"], event.changes["loaded"]) == (
        [FOOD, ELEC],
        3,
        True,
    )

    again = run(admin, builder(existing.uscc), filename)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 3, 3)


def test_all_or_nothing_loads_nothing_when_a_row_is_bad(people):
    before = Enterprise.objects.count()
    result = run(people["county_admin"], messy_xlsx(people["employer"].enterprise.uscc), all_or_nothing=True)
    assert (result.loaded, result.created, result.rejected) == (False, 0, 3)
    assert Enterprise.objects.count() == before
    assert AuditEvent.objects.filter(action=Action.IMPORT).latest("id").changes["loaded"] is False


def test_specialist_key_column_is_a_warning_and_scope_applies(people):
    result = run(people["specialist"], messy_xlsx(people["employer"].enterprise.uscc))
    assert result.file_warnings == [
        "Only the bureau's administrators designate key enterprises; the 重点企业类别 column was not read."
    ]
    # Only 城关街道 (the specialist's township) is in scope; the county-level enterprise is not visible.
    assert [e.uscc for e in Enterprise.objects.filter(uscc__in=[FOOD, ELEC])] == [ELEC]
    with translation.override("en"):
        assert (
            "Row 9 「统一社会信用代码(18位)」: This enterprise is registered outside your area."
            in result.messages()
        )


def test_missing_required_column_and_unreadable_files(people):
    with translation.override("en"):
        with pytest.raises(TableError, match="The file has no 统一社会信用代码 column."):
            importers.enterprise_import(
                user=people["county_admin"], data="企业名称,联系人\n示例,张\n".encode(), filename="a.csv",
                all_or_nothing=True,
            )  # fmt: skip
        with pytest.raises(TableError, match="No header row was found"):
            importers.enterprise_import(
                user=people["county_admin"], data=b"a,b\n1,2\n", filename="a.csv", all_or_nothing=True
            )


def test_row_cap(people):
    lines = ["企业名称,统一社会信用代码,所在县区"] + [
        f"企业{i},{code(i)},伊川县" for i in range(importers.MAX_ROWS + 1)
    ]
    with translation.override("en"), pytest.raises(TableError, match="more than 20,000 rows"):
        importers.read_enterprise_table("\n".join(lines).encode(), "big.csv")


def test_duplicate_code_in_file(people):
    data = f"企业名称,统一社会信用代码,所在县区\n甲,{FOOD},伊川县\n乙,{FOOD},伊川县\n".encode()
    result = run(people["county_admin"], data, "dup.csv")
    with translation.override("en"):
        assert result.messages() == ["Row 3 「统一社会信用代码」: The same credit code is already in row 2."]
    assert Enterprise.objects.get(uscc=FOOD).name == "甲"


def test_import_pages_result_report_and_template(client, people):
    client.force_login(people["county_admin"], backend=BACKEND)
    upload = io.BytesIO(messy_xlsx(people["employer"].enterprise.uscc))
    upload.name = "名单.xlsx"
    response = client.post("/enterprises/import/", {"file": upload, "mode": "valid_rows"})
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.created, result.updated, result.rejected) == (2, 1, 3)
    token = response.context["token"]
    report = client.get(f"/enterprises/import/report/{token}/")
    assert report.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(report.content)).active
    sheet = list(ws.iter_rows(values_only=True))
    assert [r[1] for r in sheet[1:]] == [6, 7, 8]
    client.force_login(people["city_admin"], backend=BACKEND)
    assert client.get(f"/enterprises/import/report/{token}/").status_code == 404
    template = client.get("/enterprises/import/template/")
    headers = next(openpyxl.load_workbook(io.BytesIO(template.content)).active.iter_rows(values_only=True))
    assert headers[:3] == ("企业名称", "统一社会信用代码", "所在县区")
    bad = io.BytesIO(b"nothing useful")
    bad.name = "x.csv"
    page = client.post("/enterprises/import/", {"file": bad, "mode": "valid_rows"})
    assert page.status_code == 200
    assert page.context["form"].errors["file"]


def test_management_command(people, tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(messy_xlsx(people["employer"].enterprise.uscc))
    with pytest.raises(CommandError, match="Nothing was loaded"):
        call_command("import_enterprises", str(path), "--user", "t_county")
    assert not Enterprise.objects.filter(uscc=FOOD).exists()
    out = io.StringIO()
    call_command(
        "import_enterprises",
        str(path),
        "--user",
        "t_county",
        "--valid-rows",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "created=2 updated=1 unchanged=0 rejected=3 loaded=True" in out.getvalue()
