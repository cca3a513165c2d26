"""The fast paths of the ledger import: vectorised ID checks, streamed reading, column-wise validation that
agrees with the row-by-row check, and the bulk writes (COPY on PostgreSQL) that still resume exactly."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import random

import openpyxl
import pytest
from stdnum.cn import ric

from conftest import make_id
from wengang.accounts.tests.factories import make_user
from wengang.audit.models import AuditEvent
from wengang.core import crypto
from wengang.regions.models import Region
from wengang.registry import imports
from wengang.registry.identity import checksums_ok
from wengang.registry.importers import TableError, read_table, reading, validate_rows
from wengang.registry.importers import validation as v
from wengang.registry.imports import ledger_import_load, ledger_import_validate
from wengang.registry.models import EmploymentEvent, Household, IntentRecord, LedgerImport, Person
from wengang.registry.tests.ledger_checks import HEADER, assert_same_result, validate_slowly

# --- ID checksums --------------------------------------------------------------------------------------


def test_vectorised_checksum_agrees_with_stdnum():
    rng = random.Random(7)
    numbers = []
    for _ in range(20_000):
        body = "".join(rng.choice("0123456789") for _ in range(17))
        right = ric.calc_check_digit(body + "0")
        numbers.append(body + (right if rng.random() < 0.6 else rng.choice("0123456789X")))
    got = checksums_ok(numbers)
    assert got == [ric.calc_check_digit(n) == n[-1] for n in numbers]
    assert any(ok and n.endswith("X") for n, ok in zip(numbers, got, strict=True))
    assert any(not ok and n.endswith("X") for n, ok in zip(numbers, got, strict=True))


def test_checksum_says_no_to_anything_not_plain():
    good = next(n for n in (make_id("410329", "19900101", s) for s in range(1, 999)) if n.endswith("X"))
    odd = [
        good.lower(),
        good + " ",
        good[:-1],
        None,
        410329199001010075,
        "４" + good[1:],
        good[:-1] + "A",
    ]
    assert checksums_ok([good, *odd]) == [True] + [False] * len(odd)
    assert checksums_ok([]) == []


# --- reading ----------------------------------------------------------------------------------------------


def _csv(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def test_csv_is_streamed_with_title_blank_and_total_rows():
    village = "410329001001"
    lines = ["伊川县劳动力台账（2026年）,,,", ",".join(HEADER[:5]), ",,,,"]
    lines += [f"人{i},{make_id('410329', '19900101', 100 + i)},,男,{village}" for i in range(5)]
    lines += ["合计,5人,,,", "填表人：张三,,,,"]
    stream = reading.iter_table(_csv(lines), "台账.csv")
    assert (stream.header_row_number, stream.headers) == (2, HEADER[:5])
    first = next(stream.rows)
    assert (first.number, first.cells[0]) == (4, "人0")
    assert stream.skipped_rows == []  # nothing read past the first row yet
    rest = list(stream.rows)
    assert [r.number for r in rest] == [5, 6, 7, 8]
    assert stream.skipped_rows == [9, 10]
    table = read_table(_csv(lines), "台账.csv")
    assert ([r.number for r in table.rows], table.skipped_rows) == ([4, 5, 6, 7, 8], [9, 10])


def test_gbk_and_bad_bytes_still_answer_as_before():
    data = ("姓名,身份证号\n张三," + make_id("410329", "19900101", 5) + "\n").encode("gbk")
    assert read_table(data, "a.csv").rows[0].cells[0] == "张三"
    with pytest.raises(TableError):
        read_table(b"\xef\xbb\xbf\xff\xfe\xfa,\x81", "a.csv")


def test_row_cap_is_a_file_error(monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    lines = [",".join(HEADER[:2])] + [f"人{i},{make_id('410329', '19900101', 100 + i)}" for i in range(4)]
    with pytest.raises(TableError, match="3"):
        read_table(_csv(lines), "big.csv")
    assert len(read_table(_csv(lines[:4]), "ok.csv").rows) == 3


def test_calamine_reads_merged_and_blank_rows_like_openpyxl():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["伊川县劳动力台账"])
    ws.append([None, *HEADER[:6]])
    ws.append([1, "甲", make_id("410329", "19900101", 11), "13912340001", "男", "410329001001", "脱贫户"])
    ws.append([2, "乙", make_id("410329", "19900101", 12), 13912340002, "女", None, None])
    ws.append([None] * 7)
    ws.append([3, "丙", make_id("410329", "19900101", 13), None, "男", "410329001002", "一般户"])
    ws.append(["合计", None, None, None, None, None, None])
    ws.merge_cells("A1:G1")
    ws.merge_cells("F3:F5")
    ws.merge_cells("G3:G4")
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    fast, slow = read_table(data, "a.xlsx"), reading._read_xlsx(data, "a.xlsx")
    assert (fast.headers, fast.header_row_number, fast.skipped_rows) == (
        slow.headers,
        slow.header_row_number,
        slow.skipped_rows,
    )
    assert [r.number for r in fast.rows] == [r.number for r in slow.rows] == [3, 4, 6]
    cell = reading.cell_text
    assert [[cell(x) for x in r.cells] for r in fast.rows] == [[cell(x) for x in r.cells] for r in slow.rows]
    assert fast.rows[1].cells[5:7] == ["410329001001", "脱贫户"]  # filled from the merged cells above


# --- validation: the fast path gives what the row-by-row check gives -----------------------------------


@pytest.fixture
def county_user(db):
    return make_user("fast_county", "county_admin", "410329")


def _messy_rows() -> list[list[object]]:
    rows: list[list[object]] = [HEADER]
    ok = [
        [
            "张三",
            make_id("410329", "19900101", 101),
            "13912340001",
            "男",
            "410329001001",
            "脱贫户",
            "省外务工",
        ],
        ["李四", make_id("410329", "19850315", 102), "", "", "410329001001", "", "未就业"],
    ]
    rows += [r + ["江苏省苏州市", "6000", "外出务工"] for r in ok]
    x_id = next(
        make_id("410329", "19900101", s)
        for s in range(200, 999)
        if make_id("410329", "19900101", s)[-1] == "X"
    )
    rows += [
        [
            "王五",
            x_id.lower(),
            "+86 139-1234-0003",
            "男",
            "410329001001",
            "一般户",
            "",
            "",
            "",
            "",
        ],  # lower x
        ["赵 六", x_id[:-1] + "0", "13912340004", "女", "410329001001", "", "", "", "", ""],  # bad checksum
        ["钱七", make_id("410329", "19900101", 103), "12345", "女", "410329001001", "", "", "", "", ""],
        ["孙八", make_id("410329", "19900101", 104), "13912340006", "女", "410307004001", "", "", "", "", ""],
        [
            "周九",
            make_id("410329", "19900101", 105),
            "13912340007",
            "男",
            "410329001001",
            "穷户",
            "",
            "",
            "",
            "",
        ],
        ["吴十", make_id("410381", "19800101", 106), "13912340008", "男", "410329001001", "", "", "", "", ""],
        [
            "郑一",
            make_id("410329", "19900101", 107),
            "13912340009",
            "男",
            "410329001001",
            "",
            "",
            "",
            "9千",
            "",
        ],
        [
            "王二",
            make_id("410329", "19900101", 108),
            "13912340010",
            "男",
            "410329001001",
            "",
            "",
            "",
            "1e9",
            "",
        ],
        [
            "冯三",
            make_id("410329", "19900101", 101),
            "13912340011",
            "男",
            "410329001001",
            "",
            "",
            "",
            "",
            "",
        ],  # dup
        ["陈四", "410329199001010005", "", "男", "410329001001", "", "", "", "", ""],  # template example
        ["12345", make_id("410329", "19900101", 109), "", "男", "410329001001", "", "", "", "", ""],
        ["褚五", make_id("410329", "19901301", 110), "", "男", "410329001001", "", "", "", "", ""],
        ["卫六", make_id("410329", "19900101", 111), "", "女", "410329001001", "", "", "", "", ""],  # gender
        ["", "", "", "", "", "", "", "", "", ""],
    ]
    return rows


def test_fast_path_agrees_with_the_row_by_row_check(county_user, monkeypatch):
    out = io.StringIO()
    csv.writer(out).writerows(_messy_rows())
    table = read_table(out.getvalue().encode(), "台账.csv")
    fast = validate_rows(table, user=county_user)
    slow = validate_slowly(monkeypatch, table, county_user)
    assert_same_result(fast, slow)
    assert fast.total_rows == 15
    assert {e.row_number for e in fast.errors} >= {2, 12}  # the duplicated ID rejects both rows
    assert len(fast.rows) >= 3


def test_fast_path_agrees_on_xlsx_cells(county_user, monkeypatch):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in _messy_rows():
        ws.append(row)
    ws.append(
        [
            "蒋七",
            make_id("410329", "19900101", 120),
            13912340020,
            "男",
            410329001001,
            "脱贫户",
            "",
            "",
            5000.0,
            "",
        ]
    )
    ws.append(["沈八", 410329199001011210, "", "男", "410329001001", "", "", "", "", ""])
    out = io.BytesIO()
    wb.save(out)
    table = read_table(out.getvalue(), "台账.xlsx")
    fast = validate_rows(table, user=county_user)
    assert_same_result(fast, validate_slowly(monkeypatch, table, county_user))


# --- loading ----------------------------------------------------------------------------------------------


def test_bulk_hashes_and_seals_match_the_one_value_functions(db):
    values = ["410329199001010075", "13912340001", "", "张三"]
    assert imports.blind_indexes(values) == [crypto.blind_index(x) for x in values]
    sealed = imports.encrypt_many(values)
    assert [crypto.decrypt(s) for s in sealed] == values
    assert len(set(sealed[:2] + imports.encrypt_many(values[:2]))) == 4  # fresh nonces


def test_sealed_rows_round_trip_in_both_formats(county_user):
    row = v.LedgerRow(
        row_number=2,
        id_number=make_id("410329", "19900101", 5),
        name="张三",
        gender="M",
        birth_date=dt.date(1990, 1, 1),
        phone="",
        village_code="410329001001",
        poverty_category="",
        status="employed_local",
        work_place="",
        employer_name="",
        monthly_income=3000,
        return_date=dt.date(2026, 2, 1),
        intent="",
        intent_destination="",
        skills=["电工"],
        notes="",
    )
    assert imports._rows_from_json(imports._rows_to_json([row, row])) == [row, row]
    old = json.dumps([dataclasses.asdict(row)], ensure_ascii=False, default=str).encode()
    assert imports._rows_from_json(old) == [row]


def _ledger(n: int, village: str, *, first: int = 300, status: str = "省外务工") -> bytes:
    lines = [
        ",".join(
            [
                "姓名",
                "身份证号",
                "联系电话",
                "村代码",
                "户类型",
                "就业状态",
                "务工地点",
                "月收入(元)",
                "就业意愿",
            ]
        )
    ]
    for i in range(n):
        lines.append(
            f"人{i},{make_id('410329', '19900101', first + i)},1391234{first + i:04d},{village},脱贫户,"
            f"{status},浙江省宁波市,6000,外出务工"
        )
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def test_interrupted_bulk_load_resumes_without_duplicates(people, monkeypatch):
    """Killed after batch k (on PostgreSQL this is the COPY path): no row lost, none written twice."""
    village = Region.objects.filter(code__startswith="410329001", level="village").order_by("code")[0].code
    user = people["county_admin"]
    record = ledger_import_validate(user=user, data=_ledger(8, village), filename="a.csv")
    monkeypatch.setattr(imports, "BATCH_SIZE", 3)
    real = imports._upsert
    calls = {"n": 0}

    def dying(batch, **kwargs):
        calls["n"] += 1
        result = real(batch, **kwargs)
        if calls["n"] == 3:
            raise SystemExit("worker killed after writing, before commit")
        return result

    monkeypatch.setattr(imports, "_upsert", dying)
    with pytest.raises(SystemExit):
        ledger_import_load(import_id=record.pk)
    record.refresh_from_db()
    assert (record.next_index, Person.objects.count(), EmploymentEvent.objects.count()) == (6, 6, 6)
    monkeypatch.setattr(imports, "_upsert", real)
    record = ledger_import_load(import_id=record.pk)
    assert (record.created, record.next_index, record.status) == (8, 8, "done")
    assert Person.objects.count() == Household.objects.count() == 8
    assert EmploymentEvent.objects.count() == IntentRecord.objects.count() == 8
    for person in Person.objects.select_related("household"):
        assert person.household.head_id == person.pk
        assert crypto.decrypt(person.id_encrypted)[:6] == "410329"
        assert person.id_hash == crypto.blind_index(crypto.decrypt(person.id_encrypted))
        assert (
            person.phone_masked
            == crypto.decrypt(person.phone_encrypted)[:3] + "****" + person.phone_masked[-4:]
        )
    # Keys taken for the rolled-back batch are not reused by the ORM afterwards, and it still works.
    Household.objects.create(village_code=village)


def test_reimport_updates_only_what_changed_with_history_and_audit(people):
    village = Region.objects.filter(code__startswith="410329001", level="village").order_by("code")[0].code
    user = people["county_admin"]
    first = ledger_import_load(
        import_id=ledger_import_validate(user=user, data=_ledger(4, village), filename="a.csv").pk
    )
    assert (first.created, first.updated, first.unchanged) == (4, 0, 0)
    audits = AuditEvent.objects.filter(object_type="registry.person").count()
    same = ledger_import_load(
        import_id=ledger_import_validate(user=user, data=_ledger(4, village), filename="b.csv").pk
    )
    assert (same.created, same.updated, same.unchanged) == (0, 0, 4)
    assert AuditEvent.objects.filter(object_type="registry.person").count() == audits
    changed = _ledger(4, village).replace("脱贫户".encode(), "监测户".encode(), 1)
    changed = changed.replace(b"13912340300", b"13700000300")
    changed = changed.replace("省外务工".encode(), "县内务工".encode(), 1)
    record = ledger_import_load(
        import_id=ledger_import_validate(user=user, data=changed, filename="c.csv").pk
    )
    assert (record.created, record.updated, record.unchanged) == (0, 1, 3)
    person = Person.objects.get(name="人0")
    assert (person.phone_masked, crypto.decrypt(person.phone_encrypted)) == ("137****0300", "13700000300")
    assert person.phone_hash == crypto.blind_index("13700000300")
    assert (person.status, person.household.poverty_category) == ("employed_in_county", "monitored")
    assert list(person.employment_events.order_by("id").values_list("status", flat=True)) == [
        "employed_out_of_province",
        "employed_in_county",
    ]
    event = AuditEvent.objects.filter(object_type="registry.person").latest("id")
    assert (event.object_id, event.changes) == (
        str(person.pk),
        {"fields": ["phone", "poverty_category", "status"], "source": "import"},
    )
    assert LedgerImport.objects.count() == 3


def test_duplicate_ids_of_plain_rows_are_in_the_error_workbook(people):
    village = Region.objects.filter(code__startswith="410329001", level="village").order_by("code")[0].code
    data = _ledger(3, village) + _ledger(1, village).split(b"\n", 1)[1]  # row 5 repeats row 2's ID number
    record = ledger_import_validate(user=people["county_admin"], data=data, filename="dup.csv")
    assert (record.valid_rows, record.rejected_rows) == (2, 2)
    assert [e["row"] for e in record.errors] == [2, 5]
    sheet = openpyxl.load_workbook(io.BytesIO(bytes(record.error_report))).active
    assert [sheet.cell(r, 2).value for r in (2, 3)] == [2, 5]
    assert [sheet.cell(r, 3).value for r in (2, 3)] == ["人0", "人0"]


def test_return_date_is_stored_and_updated(people):
    """返乡时间 lands in Person.return_date on create, is unchanged on re-import, and a new date updates."""
    village = Region.objects.filter(code__startswith="410329001", level="village").order_by("code")[0].code
    user = people["county_admin"]
    ids = [make_id("410329", "19880808", 700 + i) for i in range(2)]

    def sheet(day: str) -> bytes:
        rows = ["姓名,身份证号,村代码,返乡时间"] + [f"返乡{i},{ids[i]},{village},{day}" for i in range(2)]
        return "\n".join(rows).encode()

    def load(data: bytes, name: str):
        return ledger_import_load(import_id=ledger_import_validate(user=user, data=data, filename=name).pk)

    assert load(sheet("2027年1月20日"), "a.csv").created == 2
    assert set(Person.objects.filter(name__startswith="返乡").values_list("return_date", flat=True)) == {
        dt.date(2027, 1, 20)
    }
    again = load(sheet("2027-01-20"), "b.csv")
    assert (again.updated, again.unchanged) == (0, 2)
    moved = load(sheet("2027/2/3"), "c.csv")
    assert moved.updated == 2
    assert Person.objects.get(name="返乡0").return_date == dt.date(2027, 2, 3)
