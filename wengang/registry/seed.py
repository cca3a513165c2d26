"""A fictional, deterministic working-age rural population for demos and benchmarks (``manage.py seed``).

Everything is derived from the seed: household ``h`` draws from ``random.Random(f"{seed}:{h}")``, so the same
seed and size give the same people with the same ID numbers on any machine. ID numbers are valid GB 11643
numbers (check digit, gender digit, birth date) that are made up; names come from embedded lists of common
surnames and given-name characters; phones are valid-format mobile numbers with random digits.

Rows are written with ``bulk_create`` in batches, one transaction per batch; ID numbers and phones are stored
only hashed, encrypted and masked, exactly as the services store them.

Region codes inside ID numbers: ``python-stdnum`` (and so :func:`parse_resident_id`) warns when a code did not
exist in the person's birth year, and every Luoyang county code dates from 1983 or later (偃师区 and 孟津区
from 2021). An ID number therefore carries the village's county code when that code existed in the birth
year, and otherwise the code the same county had then (偃师市 410381, 偃师县 410321, 洛阳地区's 4125xx …),
as real residents' numbers do; see :data:`ID_REGION_LINEAGE`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import DateTimeField, Model
from django.utils import timezone
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumValidationError

from wengang.core import crypto
from wengang.core.masking import mask_id_number, mask_phone
from wengang.regions.models import Region

from .choices import Education, EmploymentStatus, Gender, Health, Intent, PovertyCategory, Relation, Source
from .models import EmploymentEvent, Household, IntentRecord, Person

T = TypeVar("T")

# The day the population is "as of": ages are 16–64 on this day and every date lies on or before it.
# Fixed, so that the same seed gives the same birth dates whatever day the command runs.
AS_OF = dt.date(2026, 10, 31)
MIN_AGE, MAX_AGE = 16, 64
EVENTS_FROM = dt.date(2025, 1, 1)
BATCH_SIZE = 5000

# For each county code, the codes its residents' ID numbers carry, newest first: the first one that existed
# in a person's birth year (per stdnum's GB/T 2260 history) is used. 洛阳市 410300 is valid in every year
# and is the last resort for the urban districts, whose codes date from 1983. 高新区 410371 is a statistical
# unit with no GB/T 2260 code: its villages came from 涧西区.
ID_REGION_LINEAGE: dict[str, tuple[str, ...]] = {
    "410302": ("410302", "410300"),
    "410303": ("410303", "410300"),
    "410304": ("410304", "410300"),
    "410305": ("410305", "410300"),
    "410307": ("410307", "410381", "410321", "412521"),
    "410308": ("410308", "410322", "412522"),
    "410311": ("410311", "410300"),
    "410323": ("410323", "412523"),
    "410324": ("410324", "412532"),
    "410325": ("410325", "412529"),
    "410326": ("410326", "412528"),
    "410327": ("410327", "412534"),
    "410328": ("410328", "412530"),
    "410329": ("410329", "412527"),
    "410371": ("410305", "410300"),
}


class SeedError(Exception):
    """The population cannot be generated (no villages in scope); the message is for the operator."""


class Weighted(Generic[T]):
    """A weighted choice drawn with one ``random()`` call."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.values = [value for value, _weight in pairs]
        self.cum: list[float] = []
        total = 0.0
        for _value, weight in pairs:
            total += weight
            self.cum.append(total)
        self.total = total

    def pick(self, rng: random.Random) -> T:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _w(text: str, weight: float = 1.0) -> list[tuple[str, float]]:
    return [(char, weight) for char in text]


# ~100 common surnames with approximate census weights (per mille).
SURNAMES: Weighted[str] = Weighted(
    [
        ("王", 75),
        ("李", 72),
        ("张", 70),
        ("刘", 56),
        ("陈", 45),
        ("杨", 31),
        ("赵", 23),
        ("黄", 22),
        ("周", 21),
        ("吴", 20),
        ("徐", 17),
        ("孙", 15),
        ("胡", 13),
        ("朱", 12),
        ("高", 12),
        ("林", 12),
        ("何", 12),
        ("郭", 11),
        ("马", 11),
        ("罗", 9),
        ("梁", 9),
        ("宋", 8),
        ("郑", 8),
        ("谢", 7),
        ("韩", 7),
        ("唐", 7),
        ("冯", 6),
        ("于", 6),
        ("董", 6),
        ("肖", 6),
        ("程", 6),
        ("曹", 6),
        ("袁", 5),
        ("邓", 5),
        ("许", 5),
        ("傅", 5),
        ("沈", 5),
        ("曾", 5),
        ("彭", 5),
        ("吕", 5),
        ("苏", 5),
        ("卢", 5),
        ("蒋", 5),
        ("蔡", 5),
        ("贾", 4),
        ("丁", 4),
        ("魏", 4),
        ("薛", 4),
        ("叶", 4),
        ("阎", 4),
        ("余", 4),
        ("潘", 4),
        ("杜", 4),
        ("戴", 3),
        ("夏", 3),
        ("钟", 3),
        ("汪", 3),
        ("田", 3),
        ("任", 3),
        ("姜", 3),
        ("范", 3),
        ("方", 3),
        ("石", 3),
        ("姚", 3),
        ("谭", 3),
        ("廖", 3),
        ("邹", 3),
        ("熊", 3),
        ("金", 3),
        ("陆", 3),
        ("郝", 3),
        ("孔", 2),
        ("白", 2),
        ("崔", 2),
        ("康", 2),
        ("毛", 2),
        ("邱", 2),
        ("秦", 2),
        ("江", 2),
        ("史", 2),
        ("顾", 2),
        ("侯", 2),
        ("邵", 2),
        ("孟", 2),
        ("龙", 2),
        ("万", 2),
        ("段", 2),
        ("雷", 2),
        ("钱", 2),
        ("汤", 2),
        ("尹", 2),
        ("黎", 2),
        ("易", 2),
        ("常", 2),
        ("武", 2),
        ("乔", 2),
        ("贺", 2),
        ("赖", 2),
        ("龚", 2),
        ("文", 2),
        ("牛", 2),
        ("申", 1),
        ("岳", 1),
        ("翟", 1),
    ]
)
# ~200 given-name characters: by gender, plus characters used for either.
_NEUTRAL = _w("文明华平建国庆春晓东海玉永新长林红云立成振宏书家天金志光德子佳思一嘉", 0.8)
MALE_CHARS: Weighted[str] = Weighted(
    _w("伟强磊军勇杰涛斌超刚辉鹏飞鑫波宁浩凯健俊帆帅旭宇龙阳亮峰军冬锋彬博晨辰豪坤亚伦磊", 1.2)
    + _w("军民兵松柏涛振朝瑞祥福贵喜旺发财保全胜利斌森杰鹏程超群伟业兴旺星宾武忠义", 1.0)
    + _NEUTRAL
)
FEMALE_CHARS: Weighted[str] = Weighted(
    _w("芳娜敏静丽艳娟霞秀英桂兰梅琳燕萍玲婷雪慧颖倩洁琴莉丹妍蕾璐瑶琳欣悦怡婉", 1.2)
    + _w("凤翠花香菊荣爱珍淑贞彩霞红娥月巧莹蓉薇晶丽娇萌雯璇颖雅婧茹菲露", 1.0)
    + _NEUTRAL
)

HOUSEHOLD_SIZE: Weighted[int] = Weighted([(1, 18), (2, 30), (3, 25), (4, 16), (5, 8), (6, 3)])
POVERTY: Weighted[str] = Weighted(
    [
        (PovertyCategory.OUT_OF_POVERTY, 8),
        (PovertyCategory.UNSTABLE, 1.5),
        (PovertyCategory.MARGINAL, 1.5),
        (PovertyCategory.SUDDEN_DIFFICULTY, 0.5),
        (PovertyCategory.LOW_INCOME, 3),
        (PovertyCategory.GENERAL, 85.5),
    ]
)
HEAD_AGE: Weighted[tuple[int, int]] = Weighted(
    [((22, 29), 12), ((30, 39), 25), ((40, 49), 30), ((50, 59), 25), ((60, 64), 8)]
)
ANY_AGE: Weighted[tuple[int, int]] = Weighted(
    [((16, 19), 4), ((20, 24), 8), ((25, 34), 22), ((35, 44), 25), ((45, 54), 26), ((55, 64), 15)]
)

EDUCATION_YOUNG = Weighted(
    [
        (Education.PRIMARY, 3),
        (Education.JUNIOR, 42),
        (Education.SENIOR, 32),
        (Education.COLLEGE, 16),
        (Education.BACHELOR, 7),
    ]
)
EDUCATION_MIDDLE = Weighted(
    [
        (Education.PRIMARY, 10),
        (Education.JUNIOR, 62),
        (Education.SENIOR, 20),
        (Education.COLLEGE, 6),
        (Education.BACHELOR, 2),
    ]
)
EDUCATION_OLD = Weighted(
    [(Education.PRIMARY, 32), (Education.JUNIOR, 54), (Education.SENIOR, 12), (Education.COLLEGE, 2)]
)
HEALTH = Weighted([(Health.HEALTHY, 90), (Health.CHRONIC, 6), (Health.DISABLED, 2.5), (Health.UNABLE, 1.5)])
HEALTH_OLD = Weighted(
    [(Health.HEALTHY, 80), (Health.CHRONIC, 14), (Health.DISABLED, 3.5), (Health.UNABLE, 2.5)]
)

# Skill, the certificate that goes with it, and weights for men and women.
SKILLS: tuple[tuple[str, str, float, float], ...] = (
    ("电工", "低压电工作业证", 8, 1),
    ("焊工", "焊接与热切割作业证", 7, 0.5),
    ("叉车", "叉车司机证", 5, 1),
    ("厨师", "中式烹调师职业技能等级证书", 5, 3),
    ("中式面点师", "中式面点师职业技能等级证书", 2, 3),
    ("育婴员", "育婴员职业技能等级证书", 0.2, 7),
    ("家政服务", "家政服务员职业技能等级证书", 0.5, 8),
    ("养老护理员", "养老护理员职业技能等级证书", 0.5, 5),
    ("砌筑工", "砌筑工职业技能等级证书", 6, 0.5),
    ("钢筋工", "钢筋工职业技能等级证书", 5, 0.3),
    ("木工", "木工职业技能等级证书", 5, 0.3),
    ("驾驶 B2", "B2 驾驶证", 5, 0.3),
    ("驾驶 C1", "C1 驾驶证", 6, 4),
    ("挖掘机", "挖掘机司机职业技能等级证书", 4, 0.2),
    ("美容美发", "美发师职业技能等级证书", 1, 4),
    ("缝纫", "缝纫工职业技能等级证书", 0.5, 4),
    ("电子装配", "", 2, 4),
    ("保安", "保安员证", 3, 0.5),
    ("快递分拣", "", 2, 1.5),
    ("农机驾驶", "拖拉机驾驶证", 2, 0.2),
)
SKILL_MALE = Weighted([(i, s[2]) for i, s in enumerate(SKILLS)])
SKILL_FEMALE = Weighted([(i, s[3]) for i, s in enumerate(SKILLS)])

STATUS = Weighted(
    [
        (EmploymentStatus.EMPLOYED_OUT_OF_PROVINCE, 39),
        (EmploymentStatus.EMPLOYED_IN_PROVINCE, 16),
        (EmploymentStatus.EMPLOYED_IN_COUNTY, 16),
        (EmploymentStatus.EMPLOYED_LOCAL, 8.5),
        (EmploymentStatus.SELF_EMPLOYED, 6.5),
        (EmploymentStatus.STARTING_BUSINESS, 2.2),
        (EmploymentStatus.UNEMPLOYED_SEEKING, 6.5),
        (EmploymentStatus.NOT_SEEKING, 4.5),
        (EmploymentStatus.IN_TRAINING, 1.8),
    ]
)
# Out of the province: mostly the Yangtze and Pearl River deltas and Beijing–Tianjin.
OUT_PROVINCE = Weighted(
    [
        (("浙江省", ("杭州市", "宁波市", "温州市", "嘉兴市", "绍兴市", "金华市", "台州市", "湖州市")), 21),
        (("江苏省", ("苏州市", "南京市", "无锡市", "常州市", "南通市", "昆山市")), 18),
        (("广东省", ("深圳市", "广州市", "东莞市", "佛山市", "惠州市", "中山市")), 17),
        (("上海市", ("松江区", "嘉定区", "闵行区", "浦东新区", "青浦区", "宝山区")), 12),
        (("北京市", ("朝阳区", "大兴区", "海淀区", "丰台区", "通州区", "顺义区")), 10),
        (("天津市", ("滨海新区", "西青区", "武清区", "北辰区")), 5),
        (("福建省", ("厦门市", "泉州市", "福州市")), 4),
        (("山东省", ("青岛市", "济南市", "烟台市")), 3),
        (("陕西省", ("西安市",)), 3),
        (("湖北省", ("武汉市",)), 2),
        (("新疆维吾尔自治区", ("乌鲁木齐市", "昌吉回族自治州")), 2),
        (("山西省", ("太原市", "晋城市")), 2),
        (("内蒙古自治区", ("鄂尔多斯市",)), 1),
    ]
)
IN_PROVINCE = Weighted(
    [
        ("郑州市", 45),
        ("洛阳市", 18),
        ("许昌市", 6),
        ("平顶山市", 6),
        ("三门峡市", 6),
        ("新乡市", 5),
        ("南阳市", 5),
        ("开封市", 4),
        ("焦作市", 3),
        ("济源市", 2),
    ]
)
INDUSTRY = Weighted(
    [
        ("电子厂", 18),
        ("建筑工地", 22),
        ("机械加工厂", 10),
        ("物流园", 9),
        ("餐饮", 10),
        ("快递站", 6),
        ("服装厂", 6),
        ("家政公司", 5),
        ("商超", 5),
        ("酒店", 4),
        ("汽车配件厂", 5),
    ]
)
LOCAL_WORK = Weighted(
    [
        ("种植合作社", 20),
        ("养殖场", 12),
        ("公益性岗位", 18),
        ("乡镇企业", 20),
        ("帮扶车间", 20),
        ("农家乐", 10),
    ]
)
INCOME: dict[str, tuple[int, int, int]] = {  # low, high, mode (yuan a month)
    EmploymentStatus.EMPLOYED_OUT_OF_PROVINCE: (3000, 8000, 5200),
    EmploymentStatus.EMPLOYED_IN_PROVINCE: (2800, 6500, 4200),
    EmploymentStatus.EMPLOYED_IN_COUNTY: (2200, 5000, 3200),
    EmploymentStatus.EMPLOYED_LOCAL: (1600, 4000, 2400),
    EmploymentStatus.SELF_EMPLOYED: (1500, 6000, 3000),
    EmploymentStatus.STARTING_BUSINESS: (2000, 10000, 4000),
}
INTENT_MIGRANT = Weighted(
    [
        (Intent.STAY_OVER, 44),
        (Intent.RETURN_HOME, 46),
        (Intent.GO_OUT, 4),
        (Intent.START_BUSINESS, 3),
        (Intent.TRAINING, 3),
    ]
)
INTENT_SEEKING = Weighted(
    [(Intent.LOCAL_JOB, 40), (Intent.GO_OUT, 33), (Intent.TRAINING, 20), (Intent.START_BUSINESS, 7)]
)
INTENT_LOCAL = Weighted(
    [(Intent.LOCAL_JOB, 55), (Intent.GO_OUT, 25), (Intent.TRAINING, 12), (Intent.START_BUSINESS, 8)]
)
INTENT_OTHER = Weighted(
    [(Intent.LOCAL_JOB, 35), (Intent.TRAINING, 35), (Intent.GO_OUT, 25), (Intent.START_BUSINESS, 5)]
)
MOBILE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 173 175 176 177 178 "
    "180 181 182 183 184 185 186 187 188 189 191 198 199"
).split()


def _day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def _triangular_income(rng: random.Random, low: int, high: int, mode: int) -> int:
    return int(round(rng.triangular(low, high, mode), -2))


@cache
def _code_valid_in(code: str, year: int) -> bool:
    """Whether stdnum accepts ``code`` as the region of a person born in ``year``."""
    body = f"{code}{year:04d}0101001"
    try:
        ric.validate(body + ric.calc_check_digit(body + "0"))
    except (StdnumValidationError, KeyError):
        return False
    return True


@cache
def id_region_code(county: str, year: int) -> str:
    """The region code an ID number of someone born in ``year`` and living in ``county`` carries."""
    for code in (*ID_REGION_LINEAGE.get(county, (county,)), county[:4] + "00"):
        if _code_valid_in(code, year):
            return code
    return county  # Outside the known lineage: the current code, which parse_resident_id may warn about.


def _id_number_for(region: str, birth: dt.date, order: int) -> str:
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


def _acceptable(region: str, birth: dt.date, order: int) -> bool:
    """Numbers ending in 00 are refused by the importer as Excel-mangled (``looks_mangled_by_excel``)."""
    return not _id_number_for(region, birth, order).endswith("00")


def _birth_date(rng: random.Random, age: int) -> dt.date:
    """A birth date on which someone is exactly ``age`` on :data:`AS_OF`."""
    latest = AS_OF.replace(year=AS_OF.year - age)
    earliest = AS_OF.replace(year=AS_OF.year - age - 1) + dt.timedelta(days=1)
    return _day_between(rng, earliest, latest)


@dataclass
class _Member:
    id_number: str
    name: str
    gender: str
    birth_date: dt.date
    relation: str
    phone: str
    education: str
    health: str
    skills: list[str]
    certificates: list[str]
    is_three_without: bool
    status: str
    occurred_on: dt.date
    work_province: str = ""
    work_city: str = ""
    work_place: str = ""
    monthly_income: int | None = None
    intent: str = ""
    intent_destination: str = ""
    intent_on: dt.date | None = None
    id_hash: str = ""


@dataclass
class _Household:
    village_code: str
    poverty_category: str
    poverty_set_on: dt.date
    members: list[_Member] = field(default_factory=list)


@dataclass(frozen=True)
class _Village:
    code: str
    county: str
    county_name: str


class PopulationGenerator:
    """The deterministic stream of fictional households for one seed and one list of villages."""

    def __init__(self, seed: int, villages: Sequence[_Village], weights: Sequence[float]) -> None:
        self.seed = seed
        self.villages: Weighted[_Village] = Weighted(list(zip(villages, weights, strict=True)))
        # Region code + birth date (14 digits) → bit set of the order codes (0–999) already used.
        self._used: dict[int, int] = {}

    def households(self) -> Iterator[_Household]:
        h = 0
        while True:
            yield self.household(h)
            h += 1

    def household(self, h: int) -> _Household:
        rng = random.Random(f"{self.seed}:{h}")  # noqa: S311  (reproducible fiction, not secrets)
        village = self.villages.pick(rng)
        poverty = POVERTY.pick(rng)
        household = _Household(
            village.code, poverty, _day_between(rng, dt.date(2020, 1, 1), dt.date(2021, 12, 31))
        )
        size = HOUSEHOLD_SIZE.pick(rng)
        head_gender = Gender.MALE if rng.random() < 0.82 else Gender.FEMALE
        low, high = HEAD_AGE.pick(rng)
        head_age = rng.randint(low, high)
        surname = SURNAMES.pick(rng)
        spouse_surname = ""
        poor = poverty != PovertyCategory.GENERAL
        household.members.append(
            self._member(rng, village, Relation.HEAD, head_gender, head_age, surname, poor)
        )
        for _ in range(size - 1):
            options: list[tuple[str, float]] = [(Relation.SIBLING, 6), (Relation.OTHER, 2)]
            if not spouse_surname and head_age >= 20:
                options.append((Relation.SPOUSE, 70))
            if head_age - 20 >= MIN_AGE:
                options.append((Relation.CHILD, 40))
            if head_age + 20 <= MAX_AGE:
                options.append((Relation.PARENT, 15))
            if head_age - 40 >= MIN_AGE:
                options.append((Relation.GRANDCHILD, 8))
            relation = Weighted(options).pick(rng)
            other = Gender.FEMALE if head_gender == Gender.MALE else Gender.MALE
            gender = Gender.MALE if rng.random() < 0.52 else Gender.FEMALE
            name_surname = surname
            if relation == Relation.SPOUSE:
                gender = other
                shift = rng.randint(-2, 6)
                age = head_age + (shift if head_gender == Gender.FEMALE else -shift)
                spouse_surname = name_surname = SURNAMES.pick(rng)
            elif relation == Relation.CHILD:
                age = head_age - rng.randint(20, min(34, head_age - MIN_AGE))
                if head_gender == Gender.FEMALE and spouse_surname:
                    name_surname = spouse_surname
            elif relation == Relation.PARENT:
                age = head_age + rng.randint(20, min(32, MAX_AGE - head_age))
                if not (gender == Gender.MALE and head_gender == Gender.MALE):
                    name_surname = SURNAMES.pick(rng)
            elif relation == Relation.GRANDCHILD:
                age = head_age - rng.randint(40, min(50, head_age - MIN_AGE))
            elif relation == Relation.SIBLING:
                age = head_age + rng.choice((-1, 1)) * rng.randint(1, 8)
            else:
                low, high = ANY_AGE.pick(rng)
                age = rng.randint(low, high)
                name_surname = SURNAMES.pick(rng)
            age = min(MAX_AGE, max(MIN_AGE, age))
            household.members.append(self._member(rng, village, relation, gender, age, name_surname, poor))
        return household

    def _id_number(self, rng: random.Random, county: str, birth: dt.date, gender: str) -> str:
        region = id_region_code(county, birth.year)
        key = int(region + birth.strftime("%Y%m%d"))
        used = self._used.get(key, 0)
        parity = 1 if gender == Gender.MALE else 0
        order = -1
        for _attempt in range(20):
            candidate = rng.randrange(500) * 2 + parity
            if candidate and not used >> candidate & 1 and _acceptable(region, birth, candidate):
                order = candidate
                break
        else:  # A crowded day: the first free order code of the right parity.
            free = (
                c for c in range(2 - parity, 1000, 2) if not used >> c & 1 and _acceptable(region, birth, c)
            )
            order = next(free, -1)
            if order < 0:  # 500 people of one gender born on one day in one county: try the next day.
                return self._id_number(rng, county, birth + dt.timedelta(days=1), gender)
        self._used[key] = used | (1 << order)
        return _id_number_for(region, birth, order)

    def _member(
        self,
        rng: random.Random,
        village: _Village,
        relation: str,
        gender: str,
        age: int,
        surname: str,
        poor: bool,
    ) -> _Member:
        birth = _birth_date(rng, age)
        chars = MALE_CHARS if gender == Gender.MALE else FEMALE_CHARS
        given = chars.pick(rng) + (chars.pick(rng) if rng.random() < 0.7 else "")
        phone = ""
        if rng.random() < 0.85:
            phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
        if age < 30:
            education = EDUCATION_YOUNG.pick(rng)
        elif age < 50:
            education = EDUCATION_MIDDLE.pick(rng)
        else:
            education = EDUCATION_OLD.pick(rng)
        health = (HEALTH_OLD if age >= 50 else HEALTH).pick(rng)
        skills: list[str] = []
        certificates: list[str] = []
        if rng.random() < 0.30:
            table = SKILL_MALE if gender == Gender.MALE else SKILL_FEMALE
            for index in sorted({table.pick(rng) for _ in range(1 if rng.random() < 0.75 else 2)}):
                skill, certificate, _m, _f = SKILLS[index]
                skills.append(skill)
                if certificate and rng.random() < 0.55:
                    certificates.append(certificate)
        member = _Member(
            id_number=self._id_number(rng, village.county, birth, gender),
            name=surname + given,
            gender=gender,
            birth_date=birth,
            relation=relation,
            phone=phone,
            education=education,
            health=health,
            skills=skills,
            certificates=certificates,
            is_three_without=poor and rng.random() < 0.01,
            status="",
            occurred_on=_day_between(rng, EVENTS_FROM, AS_OF),
        )
        self._employment(rng, member, age, village)
        return member

    def _employment(self, rng: random.Random, m: _Member, age: int, village: _Village) -> None:
        if m.health == Health.UNABLE:
            status: str = EmploymentStatus.UNABLE
        elif age <= 18 and rng.random() < 0.6 or 19 <= age <= 22 and rng.random() < 0.15:
            status = EmploymentStatus.STUDENT
        elif m.health == Health.DISABLED and rng.random() < 0.3:
            status = EmploymentStatus.UNABLE
        else:
            status = STATUS.pick(rng)
            if age >= 58 and status == EmploymentStatus.EMPLOYED_OUT_OF_PROVINCE and rng.random() < 0.5:
                status = EmploymentStatus.NOT_SEEKING
        m.status = status
        if status == EmploymentStatus.EMPLOYED_OUT_OF_PROVINCE:
            province, cities = OUT_PROVINCE.pick(rng)
            m.work_province, m.work_city, m.work_place = province, rng.choice(cities), INDUSTRY.pick(rng)
        elif status == EmploymentStatus.EMPLOYED_IN_PROVINCE:
            m.work_province, m.work_city, m.work_place = "河南省", IN_PROVINCE.pick(rng), INDUSTRY.pick(rng)
        elif status == EmploymentStatus.EMPLOYED_IN_COUNTY:
            m.work_province, m.work_city = "河南省", "洛阳市" if village.county.startswith("4103") else ""
            m.work_place = village.county_name + INDUSTRY.pick(rng)
        elif status in (
            EmploymentStatus.EMPLOYED_LOCAL,
            EmploymentStatus.SELF_EMPLOYED,
            EmploymentStatus.STARTING_BUSINESS,
        ):
            m.work_province, m.work_city = "河南省", "洛阳市" if village.county.startswith("4103") else ""
            m.work_place = village.county_name + (
                LOCAL_WORK.pick(rng) if status == EmploymentStatus.EMPLOYED_LOCAL else ""
            )
        if status in INCOME:
            m.monthly_income = _triangular_income(rng, *INCOME[status])
        if rng.random() >= 0.70:
            return
        if status in (EmploymentStatus.EMPLOYED_OUT_OF_PROVINCE, EmploymentStatus.EMPLOYED_IN_PROVINCE):
            m.intent = INTENT_MIGRANT.pick(rng)
        elif status == EmploymentStatus.UNEMPLOYED_SEEKING:
            m.intent = INTENT_SEEKING.pick(rng)
        elif status in INCOME:
            m.intent = INTENT_LOCAL.pick(rng)
        elif status == EmploymentStatus.IN_TRAINING:
            m.intent = Intent.LOCAL_JOB if rng.random() < 0.5 else Intent.GO_OUT
        else:
            m.intent = INTENT_OTHER.pick(rng)
        if m.intent == Intent.STAY_OVER:
            m.intent_destination = m.work_province + m.work_city
        elif m.intent == Intent.GO_OUT:
            province, cities = OUT_PROVINCE.pick(rng)
            m.intent_destination = province + rng.choice(cities)
        m.intent_on = _day_between(rng, m.occurred_on, AS_OF)


@dataclass(frozen=True)
class SeedResult:
    people: int
    households: int
    seconds: float
    existing: int  # people registered in scope before the run


def _villages(scope: str) -> tuple[list[_Village], list[float]]:
    counties = dict(Region.objects.filter(level="county").values_list("code", "name"))
    rows = (
        Region.objects.filter(level="village", valid_to__isnull=True, code__startswith=scope)
        .order_by("code")
        .values_list("code", "name")
    )
    villages, weights = [], []
    for code, name in rows:
        villages.append(_Village(code, code[:6], counties.get(code[:6], "")))
        # Village committees hold most of the rural workforce; urban residents' committees fewer.
        weights.append(3.0 if name.endswith("村民委员会") else 1.0)
    return villages, weights


def _protect(value: str, masked: str) -> tuple[str, str, str]:
    if not value:
        return "", "", ""
    return crypto.blind_index(value), crypto.encrypt(value), masked


def seed_population(
    *,
    persons: int,
    seed: int,
    scope: str = "",
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> SeedResult:
    """Make sure at least ``persons`` people are registered in the villages under ``scope`` (all by default).

    The people added are the seed's stream in order, minus anyone already registered (same ID number), so a
    run that was interrupted, or a run for a larger number after a smaller one, adds what a single run would
    have. ``progress(done, wanted)`` is called after every batch.
    """
    started = time.perf_counter()
    villages, weights = _villages(scope)
    if not villages:
        raise SeedError(scope)
    existing = Person.objects.filter(village_code__startswith=scope).count()
    wanted = persons - existing
    if wanted <= 0:
        return SeedResult(0, 0, time.perf_counter() - started, existing)
    check_existing = Person.objects.exists()
    stream = PopulationGenerator(seed, villages, weights).households()
    done = households_created = 0
    while done < wanted:
        plans: list[_Household] = []
        count = 0
        while count < min(batch_size, wanted - done):
            plan = next(stream)
            for member in plan.members:
                member.id_hash = crypto.blind_index(member.id_number)
            plans.append(plan)
            count += len(plan.members)
        known: dict[str, int | None] = {}
        if check_existing:
            hashes = [m.id_hash for plan in plans for m in plan.members]
            for start in range(0, len(hashes), 900):
                known.update(
                    Person.objects.filter(id_hash__in=hashes[start : start + 900]).values_list(
                        "id_hash", "household_id"
                    )
                )
        created, new_households = _write_batch(plans, known, wanted - done)
        done += created
        households_created += new_households
        if progress is not None:
            progress(done, wanted)
    return SeedResult(done, households_created, time.perf_counter() - started, existing)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _execute_many(sql: str, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def _insert(model: type[Model], objects: Sequence[Model]) -> None:
    """INSERT the objects with one prepared statement run for every row (no keys come back).

    Values go through each field's ``pre_save`` and ``get_db_prep_save``, as in ``bulk_create``, which spends
    several times longer per row compiling multi-row statements. Timestamps are taken once per call.
    """
    conn = connections[
        DEFAULT_DB_ALIAS
    ]  # The wrapper itself; the ``connection`` proxy looks it up each time.
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    stamps = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    live = [f for f in fields if f not in stamps]
    now = timezone.now()
    tail = (DateTimeField().get_db_prep_save(now, conn),) * len(stamps)
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608  (names from the model, values as parameters)
        conn.ops.quote_name(model._meta.db_table),
        ", ".join(conn.ops.quote_name(f.column) for f in live + stamps),
        ", ".join("%s" for _f in fields),
    )
    for obj in objects:
        for field_ in stamps:
            setattr(obj, field_.attname, now)
    _execute_many(
        sql, [tuple(f.get_db_prep_save(f.pre_save(obj, True), conn) for f in live) + tail for obj in objects]
    )


def _write_batch(plans: list[_Household], known: dict[str, int | None], limit: int) -> tuple[int, int]:
    """Write up to ``limit`` people of ``plans``, skipping ``known`` ID hashes; return people, households."""
    households: list[Household] = []
    heads: list[tuple[Household, Person]] = []
    people: list[Person] = []
    members: list[_Member] = []
    owners: list[Household | int | None] = []
    for plan in plans:
        head_hash = plan.members[0].id_hash
        # A registered head (an earlier, interrupted run) keeps the household; new members join it.
        owner: Household | int | None = known[head_hash] if head_hash in known else None
        for member in plan.members:
            if len(people) >= limit:
                break
            if member.id_hash in known:
                continue
            if owner is None and head_hash not in known:
                owner = Household(
                    village_code=plan.village_code,
                    poverty_category=plan.poverty_category,
                    poverty_set_on=plan.poverty_set_on,
                )
                households.append(owner)
            phone_hash, phone_encrypted, phone_masked = _protect(member.phone, mask_phone(member.phone))
            person = Person(
                id_hash=member.id_hash,
                id_encrypted=crypto.encrypt(member.id_number),
                id_masked=mask_id_number(member.id_number),
                name=member.name,
                gender=member.gender,
                birth_date=member.birth_date,
                phone_hash=phone_hash,
                phone_encrypted=phone_encrypted,
                phone_masked=phone_masked,
                relation=member.relation,
                village_code=plan.village_code,
                education=member.education,
                health=member.health,
                skills=member.skills,
                certificates=member.certificates,
                is_three_without=member.is_three_without,
                status=member.status,
                status_since=member.occurred_on,
                intent=member.intent,
            )
            people.append(person)
            members.append(member)
            owners.append(owner)
            if member.relation == Relation.HEAD and isinstance(owner, Household):
                heads.append((owner, person))
        if len(people) >= limit:
            break
    with transaction.atomic():
        Household.objects.bulk_create(households)
        for person, owner in zip(people, owners, strict=True):
            person.household_id = owner.pk if isinstance(owner, Household) else owner
        _insert(Person, people)
        # The rows' keys, found by their unique ID hash: plain inserts do not return them everywhere.
        hashes = [p.id_hash for p in people]
        keys: dict[str, int] = {}
        for start in range(0, len(hashes), 900):
            keys.update(
                Person.objects.filter(id_hash__in=hashes[start : start + 900]).values_list("id_hash", "pk")
            )
        for person in people:
            person.pk = keys[person.id_hash]
            person._state.adding = False
        table, column = _quote(Household._meta.db_table), _quote(Household._meta.get_field("head").column)
        _execute_many(
            f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608  (names from the model)
            [(head.pk, household.pk) for household, head in heads],
        )
        for household, head in heads:
            household.head = head
        _insert(
            EmploymentEvent,
            [
                EmploymentEvent(
                    person=person,
                    status=m.status,
                    occurred_on=m.occurred_on,
                    source=Source.IMPORT,
                    work_province=m.work_province,
                    work_city=m.work_city,
                    work_place=m.work_place,
                    monthly_income=m.monthly_income,
                )
                for person, m in zip(people, members, strict=True)
            ],
        )
        _insert(
            IntentRecord,
            [
                IntentRecord(
                    person=person,
                    intent=m.intent,
                    destination=m.intent_destination,
                    recorded_on=m.intent_on or AS_OF,
                    source=Source.IMPORT,
                )
                for person, m in zip(people, members, strict=True)
                if m.intent
            ],
        )
    return len(people), len(households)
