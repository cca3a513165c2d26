"""The column-wise checks of the import's fast path (fifth pass): whole-column matches for names and phones,
birth dates and region codes looked up by slices of the ID number, and the garbage collector paused during
validation. Each must give exactly what the cell-by-cell and row-by-row checks give."""

from __future__ import annotations

import csv
import gc
import io
import random

import pytest
from stdnum.cn import ric

from conftest import make_id
from wengang.accounts.tests.factories import make_user
from wengang.registry.importers import columns as c
from wengang.registry.importers import read_table, validate_rows
from wengang.registry.importers import validation as v
from wengang.registry.importers.reading import TableRow
from wengang.registry.importers.villages import VillageIndex
from wengang.registry.tests.ledger_checks import HEADER, assert_same_result, validate_slowly


def _fast() -> v._FastPath:
    return v._FastPath(c.map_columns(HEADER), VillageIndex(user=None), "")


def _phones_one_by_one(fast: v._FastPath, raws: list[object]) -> tuple[list[object], list[bool]]:
    """The per-cell loop the column match stands in for (the fourth pass's code)."""
    phones: list[object] = [""] * len(raws)
    bad = [False] * len(raws)
    for k, raw in enumerate(raws):
        if raw is None or raw == "":
            continue
        if type(raw) is str and len(raw) == 11 and v._PLAIN_PHONE_RE.match(raw):
            phones[k] = raw
            continue
        phone = fast.phone_judge(raw)
        bad[k] = phone is v._BAD
        phones[k] = phone
    return phones, bad


PHONE_CELLS: list[object] = [
    "13912340001",
    "18800000000",
    "",
    None,
    13912340001,
    13912340001.0,
    "+86 139-1234-0003",
    "139 1234 0004",
    "12345",
    "139123400011",
    "1391234000",
    "13912340001\n",
    "\n13912340001",
    "1391234000\n1",
    "13912340001\n13912340002",
    "12912340001",
    "１３９１２３４０００１",
    "1391234000１",
    "\n",
    "1",
]


def _awkward_columns(rng: random.Random, cells: list[object], plain: str) -> list[list[object]]:
    """5,000 short columns of random awkward cells, and each cell next to a plain one (either side)."""
    columns = [[rng.choice(cells) for _ in range(rng.randrange(1, 5))] for _ in range(5000)]
    return columns + [[plain, cell] for cell in cells] + [[cell, plain] for cell in cells]


def test_phone_column_match_agrees_with_the_cell_by_cell_check():
    rng = random.Random(11)
    fast = _fast()
    columns = [["13912340001"] * n for n in (1, 2, 50)]  # the usual column: the one-match path
    columns += _awkward_columns(rng, PHONE_CELLS, "13912340001")
    for raws in columns:
        bad = [False] * len(raws)
        got = fast._phones(raws, bad)
        want, want_bad = _phones_one_by_one(fast, raws)
        assert [p if p is not v._BAD else "BAD" for p in got] == [
            p if p is not v._BAD else "BAD" for p in want
        ], raws
        assert bad == want_bad, raws


NAME_CELLS: list[object] = [
    "张三",
    "欧阳娜娜",
    "李",
    "张 三",
    " 张三",
    "",
    None,
    123,
    "12345",
    "张三\n李四",
    "\n",
    "李" * 50,
    "李" * 51,
    "Ann Lee",
    "王·五",
    "１２",
    "张三\n",
    "\n李四",
]


def test_name_column_match_agrees_with_the_cell_by_cell_check():
    rng = random.Random(12)
    fast = _fast()
    plain = ["张三", "欧阳娜娜", "李", "李" * 50]
    assert v._FastPath._names(plain) == plain  # the usual column takes the one-match path
    columns = _awkward_columns(rng, NAME_CELLS, "张三")
    taken = 0
    for raws in columns:
        got = v._FastPath._names(raws)
        if got is None:
            continue  # judged cell by cell, as before
        taken += 1
        assert got == [fast._name(raw) for raw in raws], raws
    assert taken > 100


# --- ID numbers: birth dates and region codes by slices, against the row-by-row check --------------------


def _ids(count: int) -> list[str]:
    rng = random.Random(13)
    regions = ["410329", "410381", "410307", "410300", "110101", "999999", "410322"]
    days = ["19900101", "19850315", "19000229", "20000229", "19901301", "19800230", "20991231", "19700101"]
    out, seen = [], set()
    while len(out) < count:
        body = f"{rng.choice(regions)}{rng.choice(days)}{rng.randrange(1, 999):03d}"
        number = body + ric.calc_check_digit(body + "0")
        if rng.random() < 0.1:
            number = number[:-1] + rng.choice("0123456789X")  # often a wrong check digit
        if number not in seen and not number.endswith("00"):
            seen.add(number)
            out.append(number)
    return out


def _table(rows: list[list[object]]):
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return read_table(out.getvalue().encode(), "台账.csv")


@pytest.mark.django_db
def test_ids_by_slices_agree_with_the_row_by_row_check(monkeypatch):
    user = make_user("columns_city", "city_admin", "410300")
    ids = _ids(600)
    assert any(n.endswith("X") for n in ids)
    rng = random.Random(14)
    rows: list[list[object]] = [
        [
            "张三",
            number,
            f"139{k:08d}",
            rng.choice(["男", "女", ""]),
            "410329001001",
            "脱贫户",
            "省外务工",
            "江苏省苏州市",
            "6000",
            "外出务工",
        ]
        for k, number in enumerate(ids)
    ]
    table = _table(rows)
    fast = validate_rows(table, user=user)
    assert_same_result(fast, validate_slowly(monkeypatch, table, user))
    assert len(fast.rows) > 100
    assert len(fast.errors) > 100
    # and the chunk gives row by row what the single-row fast path gives
    cmap = fast.columns
    assert cmap is not None
    chunked = v._FastPath(cmap, VillageIndex.for_user(user), "")
    single = v._FastPath(cmap, VillageIndex.for_user(user), "")
    oks = chunked.ids_ok(table.rows)
    assert chunked.rows(table.rows, oks) == [single.row(r, ok) for r, ok in zip(table.rows, oks, strict=True)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "odd",
    [
        None,
        ["张 三", None, None],
        ["", None, None],
        [None, None, ""],
        [None, None, "+86 139-1234-9999"],
        [None, None, "12345"],
        ["李" * 51, None, None],
        ["12345", None, None],
    ],
)
def test_plain_columns_with_one_odd_cell_agree(monkeypatch, odd):
    user = make_user("columns_county", "county_admin", "410329")
    rows: list[list[object]] = [
        ["王五", make_id("410329", "19900101", s), f"1391234{s:04d}", "", "410329001001", "", "", "", "", ""]
        for s in range(1, 300)
    ]
    if odd is not None:
        name, _, phone = odd
        row = rows[150]
        rows[150] = [
            name if name is not None else row[0],
            row[1],
            phone if phone is not None else row[2],
            *row[3:],
        ]
    table = _table(rows)
    assert_same_result(validate_rows(table, user=user), validate_slowly(monkeypatch, table, user))


def test_short_rows_are_padded_like_row_get():
    fast = _fast()
    number = make_id("410329", "19900101", 1)
    chunk = [
        TableRow(2, ["张三", number]),
        TableRow(3, ["李四", number, "13912340001", "", "", "", "", "", "", ""]),
    ]
    oks = fast.ids_ok(chunk)
    # no village column value and no default village: both need the row-by-row check
    assert (
        fast.rows(chunk, oks) == [fast.row(r, ok) for r, ok in zip(chunk, oks, strict=True)] == [None, None]
    )
    assert fast.rows([], []) == []


# --- the garbage collector ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_garbage_collector_is_restored_after_validation():
    user = make_user("columns_gc", "county_admin", "410329")
    table = _table([["王五", make_id("410329", "19900101", 1), "", "", "410329001001", "", "", "", "", ""]])
    assert gc.isenabled()
    seen = []

    def rows():
        seen.append(gc.isenabled())
        yield from table.rows

    result = v.validate_stream(table.headers, rows(), user=user)
    assert len(result.rows) == 1
    assert seen == [False]
    assert gc.isenabled()

    def broken():
        yield from table.rows
        raise RuntimeError("read error")

    with pytest.raises(RuntimeError):
        v.validate_stream(table.headers, broken(), user=user)
    assert gc.isenabled()
    gc.disable()
    try:
        v.validate_stream(table.headers, iter(table.rows), user=user)
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


@pytest.mark.django_db
def test_rows_with_the_same_skills_cell_get_their_own_lists():
    user = make_user("columns_skills", "county_admin", "410329")
    out = io.StringIO()
    lines = [["姓名", "身份证号", "村代码", "技能"]]
    lines += [["王五", make_id("410329", "19900101", s), "410329001001", "电工、焊工"] for s in (1, 2)]
    csv.writer(out).writerows(lines)
    result = validate_rows(read_table(out.getvalue().encode(), "台账.csv"), user=user)
    first, second = result.rows
    assert first.skills == second.skills == ["电工", "焊工"]
    first.skills.append("厨师")
    assert second.skills == ["电工", "焊工"]


VILLAGE_CELLS = [
    "410329001001",
    "西场社区",
    "王庄村",
    "鸣皋镇王庄村",
    "许沟",
    "410307004001",
    "41032900100",
    "",
    "不存在村",
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "scope"),
    [
        (["姓名", "身份证号", "村代码"], "410329"),
        (["姓名", "身份证号", "户籍所在村"], "410329"),
        (["姓名", "身份证号", "村代码", "户籍所在村"], "410329"),
        (["姓名", "身份证号"], "410329001001"),  # a village's specialist: no village column needed
    ],
)
def test_village_columns_present_or_absent_agree(monkeypatch, headers, scope):
    """The village judged by the code cell alone, the name cell alone, the pair, or neither column."""
    user = make_user("columns_villages", "county_admin" if len(scope) == 6 else "specialist", scope)
    rng = random.Random(15)
    rows: list[list[object]] = []
    for s in range(1, 400):
        row: list[object] = ["王五", make_id("410329", "19900101", s)]
        row += [rng.choice(VILLAGE_CELLS) for _ in headers[2:]]
        rows.append(row)
    out = io.StringIO()
    csv.writer(out).writerows([headers, *rows])
    table = read_table(out.getvalue().encode(), "台账.csv")
    fast = validate_rows(table, user=user)
    assert_same_result(fast, validate_slowly(monkeypatch, table, user))
    assert fast.rows
