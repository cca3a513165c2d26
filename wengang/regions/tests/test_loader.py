"""Tests for the region loader (services), the load_regions command and the geometry helpers."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from wengang.core.geo import haversine_km, polygon_centroid
from wengang.regions.choices import Level
from wengang.regions.models import Region, RegionCodeChange
from wengang.regions.services import (
    LUOYANG_CHANGES_FILE,
    LUOYANG_FILE,
    LoadResult,
    RegionLoadError,
    code_changes_load_file,
    luoyang_load,
    regions_load,
    regions_load_file,
)

DATA = Path(__file__).resolve().parent / "data"
GEOJSON = Path(settings.BASE_DIR) / "wengang" / "static" / "geo" / "luoyang_counties.geojson"


@pytest.fixture(autouse=True)
def empty_region_tables(db: None) -> None:
    """Start every test from empty tables (the session fixture in conftest.py loads Luoyang).

    The test's transaction is rolled back afterwards, so other tests still see the session data.
    """
    RegionCodeChange.objects.all().delete()
    Region.objects.update(parent=None)
    Region.objects.all().delete()


def snapshot() -> list[tuple[object, ...]]:
    """Every stored value of every region, timestamps included."""
    return list(Region.objects.order_by("code").values_list())


def parent_code(code: str) -> str | None:
    region = Region.objects.select_related("parent").get(code=code)
    return region.parent.code if region.parent else None


# --------------------------------------------------------------------------------------------------------
# The shipped Luoyang data


@pytest.mark.django_db
def test_luoyang_file_loads_every_level() -> None:
    regions, changes = luoyang_load()

    assert regions == LoadResult(created=3458, updated=0, unchanged=0)
    assert changes == LoadResult(created=3, updated=0, unchanged=0)
    assert Region.objects.count() == 3458
    assert Region.objects.filter(level=Level.PROVINCE).count() == 1
    assert Region.objects.filter(level=Level.CITY).count() == 1
    current = Region.objects.filter(level=Level.COUNTY, valid_to__isnull=True, is_statistical=False)
    assert current.count() == 14
    assert sorted(current.values_list("code", flat=True)) == [
        "410302",
        "410303",
        "410304",
        "410305",
        "410307",
        "410308",
        "410311",
        "410323",
        "410324",
        "410325",
        "410326",
        "410327",
        "410328",
        "410329",
    ]
    high_tech = Region.objects.get(code="410371")
    assert (high_tech.name, high_tech.level, high_tech.is_statistical) == (
        "洛阳高新技术产业开发区",
        Level.COUNTY,
        True,
    )
    old = Region.objects.filter(valid_to__isnull=False).order_by("code")
    assert [(r.code, r.name, r.valid_to, r.parent.code if r.parent else None) for r in old] == [
        ("410306", "吉利区", dt.date(2021, 1, 1), "410300"),
        ("410322", "孟津县", dt.date(2021, 1, 1), "410300"),
        ("410381", "偃师市", dt.date(2021, 1, 1), "410300"),
    ]
    assert Region.objects.filter(level=Level.TOWNSHIP).count() == 194
    assert Region.objects.filter(level=Level.VILLAGE).count() == 3244
    assert Region.objects.filter(level=Level.TOWNSHIP, parent__code="410308").count() == 14
    assert Region.objects.filter(level=Level.TOWNSHIP, parent__code="410371").count() == 3
    # Every township hangs under a county, every village under a township.
    assert not Region.objects.filter(level=Level.TOWNSHIP).exclude(parent__level=Level.COUNTY).exists()
    assert not Region.objects.filter(level=Level.VILLAGE).exclude(parent__level=Level.TOWNSHIP).exists()
    village = Region.objects.get(code="410302001001")
    assert (village.name, village.parent.code if village.parent else None) == (
        "承福门社区居民委员会",
        "410302001",
    )
    assert set(Region.objects.values_list("data_version", flat=True)) == {"NBS-2023"}
    # Only the 14 counties with a boundary have coordinates.
    assert Region.objects.filter(longitude__isnull=False).count() == 14
    assert (
        Region.objects.filter(level__in=[Level.TOWNSHIP, Level.VILLAGE], latitude__isnull=False).count() == 0
    )

    assert list(RegionCodeChange.objects.order_by("old_code").values_list("old_code", "new_code")) == [
        ("410306", "410308"),
        ("410322", "410308"),
        ("410381", "410307"),
    ]
    assert set(RegionCodeChange.objects.values_list("effective_date", flat=True)) == {dt.date(2021, 1, 1)}
    assert RegionCodeChange.objects.get(old_code="410381").note == "撤销偃师市，设立洛阳市偃师区"


@pytest.mark.django_db
def test_luoyang_county_coordinates_are_the_geojson_centroids() -> None:
    regions_load_file(path=LUOYANG_FILE)
    features = json.loads(GEOJSON.read_text(encoding="utf-8"))["features"]
    assert len(features) == 14
    for feature in features:
        region = Region.objects.get(code=feature["properties"]["code"])
        lon, lat = polygon_centroid(feature["geometry"])
        assert region.name == feature["properties"]["name"]
        assert (region.longitude, region.latitude) == (Decimal(f"{lon:.6f}"), Decimal(f"{lat:.6f}"))
    luanchuan = Region.objects.get(code="410324")
    assert (luanchuan.longitude, luanchuan.latitude) == (Decimal("111.604759"), Decimal("33.907239"))


@pytest.mark.django_db
def test_loading_the_luoyang_files_twice_changes_nothing() -> None:
    luoyang_load()
    before = snapshot()
    changes_before = list(RegionCodeChange.objects.values_list())

    regions, changes = luoyang_load()

    assert regions == LoadResult(created=0, updated=0, unchanged=3458)
    assert changes == LoadResult(created=0, updated=0, unchanged=3)
    assert snapshot() == before
    assert list(RegionCodeChange.objects.values_list()) == changes_before


# --------------------------------------------------------------------------------------------------------
# Small files


@pytest.mark.django_db
def test_small_file_loads_with_every_column() -> None:
    result = regions_load_file(path=DATA / "small.csv", data_version="test-1")

    assert result == LoadResult(created=8, updated=0, unchanged=0)
    county = Region.objects.get(code="410329")
    assert (county.longitude, county.latitude) == (Decimal("112.456036"), Decimal("34.400897"))
    assert county.data_version == "test-1"
    assert Region.objects.get(code="410381").valid_to == dt.date(2021, 1, 1)
    assert Region.objects.get(code="410371").is_statistical is True
    assert parent_code("410329101201") == "410329101"
    assert parent_code("410000") is None


@pytest.mark.django_db
def test_data_version_defaults_to_the_file_name() -> None:
    regions_load_file(path=DATA / "small.csv")
    assert set(Region.objects.values_list("data_version", flat=True)) == {"small"}


@pytest.mark.django_db
def test_a_changed_name_updates_exactly_one_row(tmp_path: Path) -> None:
    regions_load_file(path=DATA / "small.csv", data_version="v")
    before = {row[0]: row for row in Region.objects.values_list("code", "name", "updated_at")}
    changed = tmp_path / "small.csv"
    text = (DATA / "small.csv").read_text(encoding="utf-8")
    changed.write_text(text.replace("中溪村村民委员会", "中溪村民委员会"), encoding="utf-8")

    result = regions_load_file(path=changed, data_version="v")

    assert result == LoadResult(created=0, updated=1, unchanged=7)
    after = {row[0]: row for row in Region.objects.values_list("code", "name", "updated_at")}
    assert after["410329101201"][1] == "中溪村民委员会"
    assert after["410329101201"][2] > before["410329101201"][2]
    assert {code: row for code, row in after.items() if code != "410329101201"} == {
        code: row for code, row in before.items() if code != "410329101201"
    }


@pytest.mark.django_db
def test_blank_optional_cells_keep_stored_values(tmp_path: Path) -> None:
    regions_load_file(path=DATA / "small.csv", data_version="v")
    without_coordinates = tmp_path / "plain.csv"
    without_coordinates.write_text("code,name\n410329,伊川县\n", encoding="utf-8")

    result = regions_load_file(path=without_coordinates, data_version="v")

    assert result == LoadResult(created=0, updated=0, unchanged=1)
    county = Region.objects.get(code="410329")
    assert (county.longitude, county.latitude) == (Decimal("112.456036"), Decimal("34.400897"))


@pytest.mark.django_db
def test_gbk_file_with_chinese_header_loads() -> None:
    raw = (DATA / "gbk.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")

    result = regions_load_file(path=DATA / "gbk.csv", data_version="gbk")

    assert result == LoadResult(created=5, updated=0, unchanged=0)
    village = Region.objects.get(code="410324001001")
    assert village.name == "栾川县城关镇耕莘东路社区居民委员会"
    assert village.level == Level.VILLAGE
    assert parent_code("410324001001") == "410324001"
    assert Region.objects.get(code="410324").longitude == Decimal("111.604759")


@pytest.mark.django_db
def test_utf8_file_with_bom_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes((DATA / "inferred.csv").read_text(encoding="utf-8").encode("utf-8-sig"))

    assert regions_load_file(path=path) == LoadResult(created=5, updated=0, unchanged=0)


@pytest.mark.django_db
def test_chinese_level_words() -> None:
    regions_load_file(path=DATA / "chinese_levels.csv")

    levels = dict(Region.objects.values_list("code", "level"))
    assert levels == {
        "410000": Level.PROVINCE,
        "410300": Level.CITY,
        "410302": Level.COUNTY,
        "410329": Level.COUNTY,
        "410302001": Level.TOWNSHIP,
        "410329101": Level.TOWNSHIP,
        "410329203": Level.TOWNSHIP,
        "410302001001": Level.VILLAGE,
        "410329101200": Level.VILLAGE,
        "410329101201": Level.VILLAGE,
    }


@pytest.mark.django_db
def test_level_and_parent_are_inferred_from_the_code() -> None:
    result = regions_load_file(path=DATA / "inferred.csv")

    assert result == LoadResult(created=5, updated=0, unchanged=0)
    assert dict(Region.objects.values_list("code", "level")) == {
        "410000": Level.PROVINCE,
        "410300": Level.CITY,
        "410302": Level.COUNTY,
        "410302001": Level.TOWNSHIP,
        "410302001001": Level.VILLAGE,
    }
    assert parent_code("410000") is None
    assert parent_code("410300") == "410000"
    assert parent_code("410302") == "410300"
    assert parent_code("410302001") == "410302"
    assert parent_code("410302001001") == "410302001"


@pytest.mark.django_db
def test_parent_may_already_be_in_the_database() -> None:
    regions_load_file(path=DATA / "inferred.csv")
    rows = [{"code": "410302002", "name": "西南隅街道"}, {"code": "410302002001", "name": "某社区"}]

    result = regions_load(rows=rows, data_version="v")

    assert result == LoadResult(created=2, updated=0, unchanged=0)
    assert parent_code("410302002") == "410302"
    assert parent_code("410302002001") == "410302002"


# --------------------------------------------------------------------------------------------------------
# Errors


@pytest.mark.django_db
def test_file_with_errors_writes_nothing_and_reports_every_error() -> None:
    regions_load_file(path=DATA / "inferred.csv")
    before = snapshot()

    with pytest.raises(RegionLoadError) as caught:
        regions_load_file(path=DATA / "errors.csv")

    assert caught.value.errors == [
        "第 4 行「code」列：区划代码必须是 6、9 或 12 位数字，实际为“41030”",
        "第 5 行「latitude」列：纬度“95”超出范围，应在 3 到 54 之间",
        "第 6 行「parent_code」列：上级区划“410399”在文件和数据库中都不存在",
        "第 7 行「code」列：区划代码“410329”与第 5 行重复",
    ]
    assert snapshot() == before
    assert not Region.objects.filter(code="410329").exists()


@pytest.mark.django_db
def test_level_prefix_coordinate_and_date_errors() -> None:
    rows = [
        {"code": "410000", "name": "河南省", "parent_code": "", "level": "province"},
        {"code": "410300", "name": "洛阳市", "parent_code": "410000", "level": "city"},
        {"code": "410329", "name": "伊川县", "parent_code": "410300", "level": "township"},
        {"code": "410402", "name": "新华区", "parent_code": "410300", "level": "county"},
        {"code": "410302", "name": "老城区", "parent_code": "410300", "level": "county"},
        {"code": "410303", "name": "西工区", "parent_code": "410302", "level": "county"},
        {"code": "410305", "name": "涧西区", "longitude": "abc", "latitude": "34.6"},
        {"code": "410311", "name": "洛龙区", "valid_to": "2021-13-01"},
        {"code": "410323", "name": "新安县", "level": "郡"},
        {"code": "4.10302E+11", "name": "某村"},
    ]

    with pytest.raises(RegionLoadError) as caught:
        regions_load(rows=rows, data_version="v")

    assert caught.value.errors == [
        "第 4 行「level」列：级别“township”（乡级）的区划代码应为 9 位，而“410329”是 6 位",
        "第 5 行「code」列：区划代码“410402”应以上级区划“洛阳市（410300）”的前缀“4103”开头",
        "第 7 行「parent_code」列：上级区划“老城区（410302）”是县级，必须高于本行的县级",
        "第 8 行「longitude」列：经度不是数字：“abc”",
        "第 9 行「valid_to」列：日期格式应为 YYYY-MM-DD，实际为“2021-13-01”",
        "第 10 行「level」列：无法识别的级别“郡”，可填 province、city、county、township、village "
        "或 省、市、县、区、乡、镇、街道、村、社区",
        "第 11 行「code」列：区划代码必须是 6、9 或 12 位数字，实际为“4.10302E+11”"
        "（被 Excel 转成了科学计数法，请把该列设为文本格式后重新导出）",
    ]
    assert Region.objects.count() == 0


@pytest.mark.django_db
def test_header_errors_are_reported_on_row_1(tmp_path: Path) -> None:
    path = tmp_path / "bad_header.csv"
    path.write_text("code,longtitude\n410000,113.6\n", encoding="utf-8")

    with pytest.raises(RegionLoadError) as caught:
        regions_load_file(path=path)

    assert caught.value.errors == [
        "第 1 行「longtitude」列：无法识别的列名，可用的列为：code、name、parent_code、level、longitude、"
        "latitude、valid_from、valid_to、is_statistical、data_version",
        "第 1 行：缺少必需的列「name」",
    ]


# --------------------------------------------------------------------------------------------------------
# Code changes


@pytest.mark.django_db
def test_code_changes_upsert() -> None:
    assert code_changes_load_file(path=DATA / "changes.csv") == LoadResult(created=2, updated=0, unchanged=0)
    assert code_changes_load_file(path=DATA / "changes.csv") == LoadResult(created=0, updated=0, unchanged=2)

    result = code_changes_load_file(path=LUOYANG_CHANGES_FILE)

    assert result == LoadResult(created=1, updated=1, unchanged=1)
    assert (
        RegionCodeChange.objects.get(old_code="410322").note
        == "撤销孟津县、吉利区，设立洛阳市孟津区（原孟津县）"
    )


@pytest.mark.django_db
def test_code_change_errors(tmp_path: Path) -> None:
    path = tmp_path / "changes.csv"
    path.write_text(
        "old_code,new_code,effective_date\n410381,410381,2021-01-01\n410322,410308,2021\n"
        "410306,410308,2021-01-01\n410306,410308,2021-01-01\n",
        encoding="utf-8",
    )

    with pytest.raises(RegionLoadError) as caught:
        code_changes_load_file(path=path)

    assert caught.value.errors == [
        "第 2 行「new_code」列：新代码不能与原代码相同",
        "第 3 行「effective_date」列：日期格式应为 YYYY-MM-DD，实际为“2021”",
        "第 5 行「old_code」列：“410306 → 410308”与第 4 行重复",
    ]
    assert RegionCodeChange.objects.count() == 0


# --------------------------------------------------------------------------------------------------------
# Management command


@pytest.mark.django_db
def test_command_loads_a_file() -> None:
    out = StringIO()
    call_command("load_regions", str(DATA / "small.csv"), "--data-version", "cmd", stdout=out)

    assert out.getvalue().strip() == "新增 8，更新 0，未变 0"
    assert set(Region.objects.values_list("data_version", flat=True)) == {"cmd"}


@pytest.mark.django_db
def test_command_loads_changes_and_luoyang() -> None:
    out = StringIO()
    call_command("load_regions", str(DATA / "changes.csv"), "--changes", stdout=out)
    assert out.getvalue().strip() == "新增 2，更新 0，未变 0"

    out = StringIO()
    call_command("load_regions", "--luoyang", stdout=out)
    assert out.getvalue().splitlines() == [
        "区划：新增 3458，更新 0，未变 0",
        "代码变更：新增 1，更新 1，未变 1",
    ]


@pytest.mark.django_db
def test_command_prints_every_error_and_fails() -> None:
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="共 4 处错误，未写入任何数据"):
        call_command("load_regions", str(DATA / "errors.csv"), stdout=out, stderr=err)

    lines = err.getvalue().splitlines()
    assert len(lines) == 4
    assert lines[0] == "第 4 行「code」列：区划代码必须是 6、9 或 12 位数字，实际为“41030”"
    assert lines[3] == "第 7 行「code」列：区划代码“410329”与第 5 行重复"
    assert Region.objects.count() == 0


def test_command_needs_a_file_or_luoyang() -> None:
    with pytest.raises(CommandError, match="请给出 CSV 文件路径"):
        call_command("load_regions")
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("load_regions", "/nonexistent/regions.csv")


# --------------------------------------------------------------------------------------------------------
# Geometry helpers


def test_polygon_centroid_of_unit_square() -> None:
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    assert polygon_centroid(square) == pytest.approx((0.5, 0.5))


def test_polygon_centroid_is_area_weighted_and_handles_holes() -> None:
    # A 2×2 square at the origin and a 1×1 square at x 10..11: weights 4 and 1.
    multi = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]],
            [[[10, 0], [11, 0], [11, 1], [10, 1], [10, 0]]],
        ],
    }
    assert polygon_centroid(multi) == pytest.approx(((4 * 1 + 1 * 10.5) / 5, (4 * 1 + 1 * 0.5) / 5))
    # A 4×4 square with the 2×2 quarter at its top right cut out (clockwise hole ring).
    holed = {
        "type": "Polygon",
        "coordinates": [
            [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]],
            [[2, 2], [2, 4], [4, 4], [4, 2], [2, 2]],
        ],
    }
    expected = (16 * 2 - 4 * 3) / 12
    assert polygon_centroid(holed) == pytest.approx((expected, expected))
    with pytest.raises(ValueError, match="Unsupported geometry"):
        polygon_centroid({"type": "Point", "coordinates": [0, 0]})


def test_haversine_km() -> None:
    assert haversine_km(112.0, 34.0, 112.0, 34.0) == 0
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.195, abs=0.01)
    # 洛阳 (city centre) to 郑州 (city centre): about 108 km as the crow flies.
    assert haversine_km(112.454, 34.620, 113.625, 34.747) == pytest.approx(108, abs=5)
