"""The shipped occupation taxonomy and free-text matching (plain pytest, no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wengang.jobs.taxonomy import (
    CODE_RE,
    OccupationMatcher,
    clean,
    general_labour_codes,
    load_rows,
    related_codes,
)

DATA = Path(__file__).resolve().parents[1] / "data"
HEADER = "code,name,major_code,major_name,middle_code,middle_name,general_labour,related,synonyms\n"


@pytest.fixture(scope="module")
def matcher() -> OccupationMatcher:
    return OccupationMatcher.default()


def test_shipped_data_validates() -> None:
    rows = load_rows()
    assert len(rows) >= 200
    codes = [r.code for r in rows]
    assert len(set(codes)) == len(codes)
    assert all(CODE_RE.match(c) for c in codes)
    known = set(codes)
    for row in rows:
        assert row.major_code == row.code[0]
        assert row.middle_code == row.code[:4]
        assert set(row.related) <= known
    assert {r.major_code for r in rows} >= {"4", "5", "6"}


def test_no_word_belongs_to_two_occupations() -> None:
    owner: dict[str, str] = {}
    for row in load_rows():
        for word in {row.name, *row.synonyms}:
            assert owner.setdefault(word, row.code) == row.code, word


def test_every_word_survives_noise_stripping(matcher: OccupationMatcher) -> None:
    # A synonym that contains a noise word (夜班, 持证 …) could never match.
    assert [w for w in matcher._words if clean(w) != w] == []


def test_user_dict_lists_every_name_and_synonym() -> None:
    words = {line.split(" ")[0] for line in (DATA / "jieba_user_dict.txt").read_text("utf-8").splitlines()}
    for row in load_rows():
        assert row.name in words
        assert {s.upper() for s in row.synonyms} <= words


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("6-18-2-04,焊工,6,x,6-18,y,0,,", "bad occupation code"),
        ("6-18-02-04,焊工,6,x,6-18,y,0,,\n6-18-02-04,电焊,6,x,6-18,y,0,,", "already on line 2"),
        ("6-18-02-04,焊工,6,x,6-18,y,0,6-99-00-00,", "6-99-00-00"),
        ("6-18-02-04,焊工,6,x,6-18,y,2,,", "general_labour"),
    ],
)
def test_load_rows_rejects_bad_lines(tmp_path: Path, body: str, problem: str) -> None:
    path = tmp_path / "occupations.csv"
    path.write_text(HEADER + body + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=problem) as exc:
        load_rows(path)
    assert "line" in str(exc.value)


POSTINGS = [
    ("招聘电焊工两名，要求持证", "焊工"),
    ("急招叉车司机3名 包吃住", "叉车司机"),
    ("普工若干，月薪5000-6500", "其他生产制造及有关人员"),
    ("月嫂 住家", "母婴护理员"),
    ("小区保洁阿姨", "保洁员"),
    ("外卖骑手", "网约配送员"),
    ("快递派件员", "快递员"),
    ("塔吊司机", "起重装卸机械操作工"),
    ("钢筋工 按方计件", "钢筋工"),
    ("缝纫车位工", "缝纫工"),
    ("挖机师傅", "挖掘铲运和桩工机械司机"),
    ("养老院护理员", "养老护理员"),
    ("保安 门卫 夜班", "保安员"),
    ("中餐厨师", "中式烹调师"),
    ("水电工", "电气设备安装工"),
    ("仓库管理员", "仓储管理员"),
    ("理货分拣", "理货员"),
    ("装卸工", "装卸搬运工"),
    ("B2货车司机", "道路货运汽车驾驶员"),
    ("流水线操作工", "其他生产制造及有关人员"),
    ("注塑机操作工", "塑料制品成型制作工"),
    ("木工 模板", "模板工"),
    ("瓦工", "砌筑工"),
    ("油漆工", "油漆工"),
    ("育婴师", "育婴员"),
    ("护林员（公益性岗位）", "护林员"),
    ("道路保洁（公益岗）", "道路保洁员"),
    ("网约车司机", "网约车驾驶员"),
    ("电商主播", "互联网营销师"),
    ("服务员 酒店", "餐厅服务员"),
    ("收银员 超市", "收银员"),
    ("质检员", "质检员"),
    ("CNC数控车床操作工", "多工序数控机床操作调整工"),
    ("钳工", "装配钳工"),
    ("装配工 电子厂", "电子设备装接工"),
    ("食品厂包装工", "包装工"),
    ("家政保姆", "家政服务员"),
    ("农机手", "农机驾驶操作员"),
    ("养猪场饲养员", "家畜饲养员"),
    ("洗碗工", "其他住宿和餐饮服务人员"),
    ("ｂ２货车司机，月薪８０００元", "道路货运汽车驾驶员"),
    ("工地小工 日结300元/天", "其他建筑施工人员"),
    ("建筑电工持证上岗", "电气设备安装工"),
    ("蔬菜大棚采摘工", "园艺工"),
    ("村级就业服务协理员", "就业服务协理员"),
]


@pytest.mark.parametrize(("text", "expected"), POSTINGS)
def test_posting_phrases(matcher: OccupationMatcher, text: str, expected: str) -> None:
    matches = matcher.match(text)
    assert matches, text
    assert matches[0].name == expected
    assert matches[0].score >= 95
    assert matches[0].via in ("name", "synonym")


def test_name_scores_above_synonym(matcher: OccupationMatcher) -> None:
    (name,) = matcher.match("焊工", limit=1)
    (synonym,) = matcher.match("电焊工", limit=1)
    assert (name.score, name.via) == (100, "name")
    assert (synonym.score, synonym.via, synonym.matched) == (95, "synonym", "电焊工")


def test_longest_word_wins(matcher: OccupationMatcher) -> None:
    # “建筑电工” must not be read as 电工, nor “注塑机操作工” as the generic 操作工.
    assert [m.name for m in matcher.match("建筑电工", limit=5)] == ["电气设备安装工"]
    assert [m.name for m in matcher.match("注塑机操作工", limit=5)] == ["塑料制品成型制作工"]


def test_several_occupations_distinct_and_limited(matcher: OccupationMatcher) -> None:
    matches = matcher.match("招钢筋工、木工、架子工、电焊工各两名", limit=3)
    assert len(matches) == 3
    assert len({m.code for m in matches}) == 3
    assert [m.name for m in matcher.match("钢筋工 钢筋绑扎", limit=3)] == ["钢筋工"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("养老护里员", "养老护理员"), ("母婴护里员", "母婴护理员"), ("塔式起重机师机", "起重装卸机械操作工")],
)
def test_typos_take_the_fuzzy_path(matcher: OccupationMatcher, text: str, expected: str) -> None:
    matches = matcher.match(text)
    assert matches[0].name == expected
    assert matches[0].via == "fuzzy"
    assert 70 <= matches[0].score < 95


@pytest.mark.parametrize("text", ["今天天气很好", "", "   ", "5000-6500元/月 包吃住"])
def test_no_occupation(matcher: OccupationMatcher, text: str) -> None:
    assert all(m.score < 80 for m in matcher.match(text))


def test_clean_strips_counts_pay_and_phrases() -> None:
    assert clean("招聘电焊工两名，要求持证") == "电焊工 ,"
    assert "6500" not in clean("月薪5000-6500元")
    assert clean("Ｂ２司机３人") == "B2司机"


def test_related_codes_symmetric() -> None:
    rows = load_rows()
    pairs = 0
    for row in rows:
        for other in related_codes(row.code):
            assert row.code in related_codes(other)
            pairs += 1
    assert pairs > 100
    by_name = {r.name: r.code for r in rows}
    assert by_name["装卸搬运工"] in related_codes(by_name["叉车司机"])
    assert by_name["母婴护理员"] in related_codes(by_name["育婴员"])
    assert by_name["保育员"] in related_codes(by_name["育婴员"])
    assert by_name["抹灰工"] in related_codes(by_name["砌筑工"])
    assert related_codes("0-00-00-00") == frozenset()


def test_general_labour_codes() -> None:
    by_name = {r.name: r.code for r in load_rows()}
    codes = general_labour_codes()
    for name in ("其他生产制造及有关人员", "装卸搬运工", "保洁员", "包装工", "快件处理员"):
        assert by_name[name] in codes
    assert by_name["焊工"] not in codes
    assert by_name["中式烹调师"] not in codes


def test_default_is_a_singleton() -> None:
    assert OccupationMatcher.default() is OccupationMatcher.default()
