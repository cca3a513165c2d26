"""Fictional, reproducible enterprises and postings for demos and benchmarks (``wengang seed-postings``).

Posting ``i`` draws from ``random.Random(f"{seed}:posting:{i}")`` and enterprise ``j`` from
``random.Random(f"{seed}:enterprise:{j}")``, so the same seed and size give the same titles, pay and places
on any machine (dates are relative to today, so that published postings are current). Enterprises sit in
Luoyang's counties and in the partner cities that receive directed labour export; their credit codes are
made up and carry a valid check character (``stdnum.cn.uscc``). Rows are written with ``bulk_create`` in
batches, one transaction per batch (50,000 postings take a few seconds).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from stdnum.cn import uscc

from wengang.employers.models import Enterprise, Size
from wengang.regions.models import Region

from .choices import MONTHLY_FACTOR, Board, PostingStatus, Shift, WageUnit
from .models import Occupation, Posting

# Partner cities of directed labour export (劳务协作): area code → (short name, longitude, latitude).
PARTNER_CITIES: dict[str, tuple[str, float, float]] = {
    "370900": ("泰安", 117.0876, 36.2000),
    "320200": ("无锡", 120.3119, 31.4912),
    "330600": ("绍兴", 120.5802, 30.0298),
    "341100": ("滁州", 118.3170, 32.3017),
}
# Used only when no Luoyang county is loaded: the current county-level codes of 洛阳市.
LUOYANG_COUNTIES = (
    "410302 410303 410304 410305 410307 410308 410311 410323 410324 410325 410326 410327 410328 410329"
).split()

# Written only when the occupation table is empty; the shipped table replaces them when loaded.
# (code, name, major group, synonyms, general labour)
FALLBACK_OCCUPATIONS: tuple[tuple[str, str, str, list[str], bool], ...] = (
    ("6-99-00-00", "其他生产制造及有关人员", "生产制造及有关人员", ["普工", "操作工", "流水线工人"], True),
    ("6-18-02-04", "焊工", "生产制造及有关人员", ["电焊工", "焊接工"], False),
    ("6-31-01-03", "电工", "生产制造及有关人员", ["维修电工", "电工师傅"], False),
    ("6-29-01-01", "砌筑工", "生产制造及有关人员", ["瓦工", "泥瓦工"], True),
    ("4-07-05-01", "保安员", "社会生产服务和生活服务人员", ["保安", "门卫"], True),
    ("4-03-02-01", "中式烹调师", "社会生产服务和生活服务人员", ["厨师", "炒菜师傅"], False),
    ("4-02-07-08", "快递员", "社会生产服务和生活服务人员", ["快递小哥", "派件员"], True),
)

BRANDS = (
    "华宇 鑫达 恒信 宏图 中原 伊河 洛浦 嵩岳 天成 金鼎 瑞丰 永安 众诚 华夏 鼎盛 新源 长河 盛通 汇丰 博远 "
    "德润 泰和 福源 明远 正阳 祥云 东方 凯达 隆兴 安泰"
).split()
TRADES = (
    "机械制造 纺织 服装 电子科技 食品 建筑工程 物流 物业服务 汽车配件 新材料 家具 包装 精密铸造 矿山机械 "
    "餐饮管理 保安服务 光伏科技 玻璃制品"
).split()
FORMS = ("有限公司", "有限责任公司", "股份有限公司")
ROADS = "纬一路 纬二路 经三路 开元大道 工业园路 产业集聚区大道 滨河路 建设路 新区大道 创业路".split()
TITLE_PATTERNS = (
    "{name}",
    "急招{name}",
    "{name}（长白班）",
    "{name}若干名",
    "招聘{name}",
    "{name}，包吃住",
    "{name}，节后返岗优先",
    "熟练{name}",
)
CERTIFICATES = ("特种作业操作证", "健康证", "电工证", "焊工证", "保安员证", "叉车证")

# Posting status mix of a live install: mostly published, the rest somewhere in the workflow.
STATUS_WEIGHTS: tuple[tuple[str, float], ...] = (
    (PostingStatus.PUBLISHED, 0.85),
    (PostingStatus.DRAFT, 0.04),
    (PostingStatus.SUBMITTED, 0.04),
    (PostingStatus.PAUSED, 0.03),
    (PostingStatus.FILLED, 0.02),
    (PostingStatus.CLOSED, 0.02),
)
UNIT_WEIGHTS: tuple[tuple[str, float], ...] = (
    (WageUnit.MONTH, 0.8),
    (WageUnit.DAY, 0.12),
    (WageUnit.HOUR, 0.05),
    (WageUnit.PIECE, 0.03),
)
BOARD_WEIGHTS: tuple[tuple[str, float], ...] = (
    (Board.BOTH, 0.45),
    (Board.LODGING, 0.15),
    (Board.MEALS, 0.2),
    (Board.NONE, 0.2),
)


@dataclass(frozen=True)
class _Place:
    code: str
    name: str
    longitude: float | None
    latitude: float | None


def _pick(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _luoyang_places() -> tuple[list[_Place], dict[str, list[str]]]:
    """Current Luoyang counties (with centroids) and their townships, from the loaded regions."""
    city = str(settings.WENGANG_CITY_CODE)
    counties = [
        _Place(
            r.code,
            r.name,
            float(r.longitude) if r.longitude is not None else None,
            float(r.latitude) if r.latitude is not None else None,
        )
        for r in Region.objects.filter(level="county", parent__code=city, valid_to__isnull=True)
    ]
    if not counties:
        counties = [_Place(code, code, None, None) for code in LUOYANG_COUNTIES]
    townships: dict[str, list[str]] = {}
    for code in Region.objects.filter(
        level="township", code__startswith=city[:4], valid_to__isnull=True
    ).values_list("code", flat=True):
        townships.setdefault(code[:6], []).append(code)
    return counties, townships


def _occupations() -> list[Occupation]:
    occupations = list(Occupation.objects.all())
    if occupations:
        return occupations
    for code, name, major, synonyms, general in FALLBACK_OCCUPATIONS:
        Occupation.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "major_code": code[0],
                "major_name": major,
                "middle_code": code[:4],
                "middle_name": major,
                "general_labour": general,
                "synonyms": synonyms,
            },
        )
    return list(Occupation.objects.all())


def _fictional_uscc(area: str, n: int, taken: set[str]) -> str:
    """A made-up credit code in ``area`` with a valid check character, not already in ``taken``."""
    while True:
        body = f"91{area}MA{n:07d}"[:17]
        code = body + uscc.calc_check_digit(body)
        if code not in taken:
            taken.add(code)
            return code
        n += 7919


def _seed_enterprises(wanted: int, seed: int, counties: list[_Place]) -> None:
    existing = Enterprise.objects.count()
    if existing >= wanted:
        return
    taken = set(Enterprise.objects.values_list("uscc", flat=True))
    names = set(Enterprise.objects.values_list("name", flat=True))
    rows = []
    for j in range(existing, wanted):
        rng = random.Random(f"{seed}:enterprise:{j}")  # noqa: S311  (reproducible fiction)
        if rng.random() < 0.8:
            place = rng.choice(counties)
            area, prefix = place.code, "洛阳"
        else:
            area = rng.choice(sorted(PARTNER_CITIES))
            prefix = PARTNER_CITIES[area][0]
        base, form = f"{prefix}{rng.choice(BRANDS)}{rng.choice(TRADES)}", rng.choice(FORMS)
        name, k = f"{base}{form}", 2
        while name in names:
            name, k = f"{base}{form}第{k}分公司", k + 1
        names.add(name)
        rows.append(
            Enterprise(
                uscc=_fictional_uscc(area, 3_000_000 + seed * 100_000 + j, taken),
                name=name,
                area_code=area,
                address=f"{rng.choice(ROADS)}{rng.randint(1, 399)}号",
                size=rng.choice(Size.values),
                staff_count=rng.randint(10, 3000),
            )
        )
    with transaction.atomic():
        Enterprise.objects.bulk_create(rows, batch_size=2000)


def _pay(rng: random.Random, general: bool) -> tuple[WageUnit, int, int, str]:
    """(unit, low, high in that unit, note); monthly ranges 3,000–12,000 yuan, skilled trades higher."""
    base = rng.randrange(3000, 6500, 100) if general else rng.randrange(4500, 9000, 100)
    spread = rng.choice((0, 500, 1000, 1500, 2000, 3000))
    unit = WageUnit(_pick(rng, UNIT_WEIGHTS))
    if unit == WageUnit.MONTH:
        return unit, base, base + spread, ""
    if unit == WageUnit.PIECE:
        return unit, base, base + spread, f"计件，每件 {rng.choice((0.3, 0.5, 0.8, 1.2))} 元"
    factor = MONTHLY_FACTOR[unit]
    low = int(round(base / factor))
    return unit, low, int(round((base + spread) / factor)), ""


def _posting(
    i: int,
    seed: int,
    *,
    enterprises: list[tuple[int, str]],
    occupations: list[Occupation],
    townships: dict[str, list[str]],
    centroids: dict[str, tuple[float | None, float | None]],
    today: dt.date,
    now: dt.datetime,
) -> Posting:
    rng = random.Random(f"{seed}:posting:{i}")  # noqa: S311  (reproducible fiction)
    enterprise_id, area = rng.choice(enterprises)
    occupation = rng.choice(occupations)
    label = rng.choice([occupation.name, *occupation.synonyms]) if occupation.synonyms else occupation.name
    status = _pick(rng, STATUS_WEIGHTS)
    unit, low, high, note = _pay(rng, occupation.general_labour)
    factor = MONTHLY_FACTOR.get(unit, 1.0)
    partner = PARTNER_CITIES.get(area[:6])
    if partner is None and area[:6] in townships and rng.random() < 0.6:
        area = rng.choice(townships[area[:6]])
    lon, lat = centroids.get(area[:6], (None, None))
    published_at = now - dt.timedelta(minutes=rng.randint(10, 60 * 24 * 60))
    expired = status == PostingStatus.PUBLISHED and rng.random() < 0.01
    start = today + dt.timedelta(days=rng.randint(-20, 30))
    end = (
        today - dt.timedelta(days=rng.randint(1, 5))
        if expired
        else today + dt.timedelta(rng.randint(20, 150))
    )
    headcount = rng.choice((1, 2, 3, 5, 5, 10, 10, 20, 30, 50, 100))
    was_published = status in (PostingStatus.PUBLISHED, PostingStatus.PAUSED, PostingStatus.FILLED) or (
        status == PostingStatus.CLOSED and rng.random() < 0.7
    )
    return Posting(
        enterprise_id=enterprise_id,
        occupation=occupation,
        title=rng.choice(TITLE_PATTERNS).format(name=label)[:100],
        description=f"{label}岗位，{rng.choice(('有经验者优先', '可培训上岗', '适应倒班', '工作稳定'))}。",
        headcount=headcount,
        filled_count=headcount if status == PostingStatus.FILLED else rng.randint(0, headcount // 2),
        wage_unit=unit,
        wage_min=low,
        wage_max=high,
        wage_note=note,
        monthly_min=low if unit == WageUnit.PIECE else int(round(low * factor)),
        monthly_max=high if unit == WageUnit.PIECE else int(round(high * factor)),
        age_min=rng.choice((16, 18, 18, 20)),
        age_max=rng.choice((45, 50, 55, 55, 60)),
        certificates=[rng.choice(CERTIFICATES)] if rng.random() < 0.2 else [],
        education=rng.choice(("", "", "primary", "junior", "senior")),
        area_code=area,
        address=f"{rng.choice(ROADS)}{rng.randint(1, 399)}号",
        latitude=round(lat + rng.uniform(-0.08, 0.08), 5) if lat is not None else None,
        longitude=round(lon + rng.uniform(-0.08, 0.08), 5) if lon is not None else None,
        board=_pick(rng, BOARD_WEIGHTS),
        shift=rng.choice(Shift.values + [""]),
        start_date=start,
        end_date=end,
        is_directed_export=partner is not None,
        partner_region=partner[0] if partner else "",
        is_public_welfare=partner is None and rng.random() < 0.03,
        status=status,
        submitted_at=published_at if status != PostingStatus.DRAFT else None,
        published_at=published_at if was_published else None,
        closed_at=now if status == PostingStatus.CLOSED else None,
    )


def seed_postings(count: int, *, seed: int = 1, batch: int = 5000) -> int:
    """Top the posting table up to ``count`` fictional postings; return how many were created.

    Like ``manage.py seed``: nothing is generated if ``count`` postings exist already. Enterprises are added
    first when fewer than ``count / 20`` exist, so that an enterprise has about 20 postings.
    """
    existing = Posting.objects.count()
    if count <= existing:
        return 0
    counties, townships = _luoyang_places()
    centroids: dict[str, tuple[float | None, float | None]] = {
        p.code: (p.longitude, p.latitude) for p in counties
    }
    centroids.update({code: (lon, lat) for code, (_n, lon, lat) in PARTNER_CITIES.items()})
    _seed_enterprises(max(1, math.ceil(count / 20)), seed, counties)
    occupations = _occupations()
    enterprises = list(Enterprise.objects.order_by("pk").values_list("pk", "area_code"))
    today, now = timezone.localdate(), timezone.now()
    created = 0
    for start in range(existing, count, batch):
        rows = [
            _posting(
                i,
                seed,
                enterprises=enterprises,
                occupations=occupations,
                townships=townships,
                centroids=centroids,
                today=today,
                now=now,
            )
            for i in range(start, min(start + batch, count))
        ]
        with transaction.atomic():
            Posting.objects.bulk_create(rows, batch_size=batch)
        created += len(rows)
    return created
