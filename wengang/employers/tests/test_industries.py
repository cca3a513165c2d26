"""GB/T 4754-2017 sections and divisions: the data file and its lookups (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wengang.employers import industries
from wengang.employers.industries import SECTION_RANGES

SECTION_COUNT = 20
DIVISION_COUNT = 97  # GB/T 4754-2017 numbers its divisions 01–97 without gaps


def test_twenty_sections_a_to_t():
    letters = [letter for letter, _ in industries.sections()]
    assert letters == list("ABCDEFGHIJKLMNOPQRST")
    assert len(letters) == SECTION_COUNT
    assert all(name for _, name in industries.sections())


def test_division_count_of_the_standard():
    codes = [code for code, _, _ in industries.divisions()]
    assert len(codes) == DIVISION_COUNT
    assert len(set(codes)) == DIVISION_COUNT
    assert codes == [f"{n:02d}" for n in range(1, DIVISION_COUNT + 1)]


def test_every_division_inside_its_sections_range():
    for code, section, _ in industries.divisions():
        low, high = SECTION_RANGES[section]
        assert low <= int(code) <= high, (code, section)


def test_every_section_range_is_filled():
    by_section: dict[str, list[int]] = {}
    for code, section, _ in industries.divisions():
        by_section.setdefault(section, []).append(int(code))
    for section, (low, high) in SECTION_RANGES.items():
        assert by_section[section] == list(range(low, high + 1)), section


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("A", "农、林、牧、渔业"),
        ("C", "制造业"),
        ("S", "公共管理、社会保障和社会组织"),
        ("01", "农业"),
        ("13", "农副食品加工业"),
        ("47", "房屋建筑业"),
        ("54", "道路运输业"),
        ("62", "餐饮业"),
        ("80", "居民服务业"),
        ("97", "国际组织"),
    ],
)
def test_official_names(code, name):
    assert industries.name_of(code) == name


def test_name_of_and_section_of_unknown_codes_are_empty():
    assert industries.name_of("") == ""
    assert industries.name_of("U") == ""
    assert industries.name_of("98") == ""
    assert industries.section_of("98") == ""
    assert industries.section_of("") == ""


def test_section_of():
    assert industries.section_of("01") == "A"
    assert industries.section_of("13") == "C"
    assert industries.section_of("43") == "C"
    assert industries.section_of("70") == "K"
    assert industries.section_of("97") == "T"


def test_division_choices_shape():
    choices = industries.division_choices()
    assert len(choices) == SECTION_COUNT
    assert choices[0][0] == "A 农、林、牧、渔业"
    assert choices[0][1][0] == ("01", "01 农业")
    manufacturing = dict(choices)["C 制造业"]
    assert manufacturing[0] == ("13", "13 农副食品加工业")
    assert len(manufacturing) == 31
    options = [option for _, group in choices for option in group]
    assert len(options) == DIVISION_COUNT
    for value, label in options:
        assert label == f"{value} {industries.name_of(value)}"


def test_lists_are_copies():
    industries.sections().clear()
    industries.divisions().clear()
    industries.division_choices()[0][1].clear()
    assert len(industries.sections()) == SECTION_COUNT
    assert len(industries.divisions()) == DIVISION_COUNT
    assert industries.division_choices()[0][1]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("13", "13"),
        ("C13", "13"),
        ("c13", "13"),
        ("１３", "13"),
        ("13 农副食品加工业", "13"),
        ("C13 农副食品加工业", "13"),
        ("13农副食品加工业", "13"),
        ("13 制造业", "13"),
        ("13.0", "13"),  # a number cell read back as a float
        ("1", "01"),  # a number cell that lost its leading zero
        ("农副食品加工业", "13"),
        (" 农副食品加工业 ", "13"),
        ("房屋建筑业", "47"),
        ("纺织服装服饰业", "18"),  # without the 、
        ("道路运输业", "54"),
        ("餐饮", "62"),
        ("房地产业", "70"),  # section K and its only division share the name
        ("教育", "83"),
        ("国际组织", "97"),
        ("房屋建筑业（总承包）", "47"),
    ],
)
def test_resolve_finds_the_division(text, code):
    assert industries.resolve(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "制造业",  # a section, not a division
        "住宿和餐饮业",  # a section whose name holds a division name
        "住宿和餐饮业服务",
        "卫生和社会工作",
        "不知道",
        "建筑",  # in four division names
        "98",
        "00",
        "C",
        "A13",  # 13 is not in section A
        "13 餐饮业",  # the code and the name disagree
        "1311",  # a class code, not a division code
        "2013年",
    ],
)
def test_resolve_gives_up_when_unsure(text):
    assert industries.resolve(text) == ""


def test_resolve_short_names_match_inside_longer_text():
    # Documented limit of "a division name contained in the text": 体育 (89) is found
    # inside 体育用品, although sporting goods are made in division 24.
    assert industries.resolve("体育用品") == "89"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "industries.csv"
    path.write_text("section,division,name\n" + body, encoding="utf-8")
    return path


def _full_body(*, replace: tuple[str, str] | None = None) -> str:
    text = industries.DATA_FILE.read_text(encoding="utf-8").split("\n", 1)[1]
    if replace:
        text = text.replace(*replace, 1)
    return text


def test_shipped_file_loads():
    table = industries.load()
    assert len(table.sections) == SECTION_COUNT
    assert len(table.divisions) == DIVISION_COUNT


def test_load_rejects_duplicate_division_with_line_number(tmp_path):
    path = _write(tmp_path, _full_body(replace=("A,02,林业", "A,01,林业")))
    with pytest.raises(ValueError, match=r"line 4: division 01 appears twice"):
        industries.load(path)


def test_load_rejects_division_outside_its_section(tmp_path):
    path = _write(tmp_path, _full_body(replace=("C,13,农副食品加工业", "B,13,农副食品加工业")))
    with pytest.raises(ValueError, match=r"line 17: division 13 is outside section B"):
        industries.load(path)


def test_load_rejects_duplicate_section(tmp_path):
    path = _write(tmp_path, _full_body(replace=("B,,采矿业", "A,,采矿业")))
    with pytest.raises(ValueError, match=r"line 8: section A appears twice"):
        industries.load(path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("A,,农、林、牧、渔业\nA,1,农业\n", r"line 3: division '1' is not a two-digit code"),
        ("A,,农、林、牧、渔业\nZ,01,农业\n", r"line 3: unknown section 'Z'"),
        ("A,01,农业\n", r"line 2: division 01 comes before the row of section A"),
        ("A,,农、林、牧、渔业\nA,01\n", r"line 3: expected 3 fields, got 2"),
        ("A,,\n", r"line 2: empty name"),
        ("A,,农、林、牧、渔业\nA,01,农业\n", r"no row for section\(s\) B, C"),
    ],
)
def test_load_rejects_bad_rows(tmp_path, body, message):
    with pytest.raises(ValueError, match=message):
        industries.load(_write(tmp_path, body))


def test_load_rejects_wrong_header(tmp_path):
    path = tmp_path / "industries.csv"
    path.write_text("code,name\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1: header"):
        industries.load(path)
