"""The demo's labour demand: ~500 fictional enterprises (a realistic share of them key enterprises), their
reports, ~3,000 postings in Luoyang and in partner cities, and a few referrals through the pipeline.

Deterministic (one ``random.Random(seed)``) and idempotent: it tops up to the target counts and never creates
twice. Names are composed from word lists; credit codes are made up with valid check digits.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from stdnum.cn import uscc

from wengang.employers.models import Enterprise, KeyCategory, LayoffReport, Size, StaffReport, is_mass_layoff
from wengang.regions.models import Region

from .choices import Board, PostingStatus, Shift, WageUnit
from .models import Occupation, Posting

PARTNER_CITIES = {"320200": "无锡市", "370900": "泰安市", "330600": "绍兴市", "341100": "滁州市"}
PLACE_WORDS = "洛伊嵩宜栾汝新孟偃涧瀍龙门牡丹河洛伊水中原豫西".replace(" ", "")
TRADE_WORDS = (
    ("电子科技", "39"),
    ("机械制造", "34"),
    ("食品", "14"),
    ("农副产品加工", "13"),
    ("纺织服装", "18"),
    ("医疗器械", "35"),
    ("医药", "27"),
    ("建筑工程", "47"),
    ("新材料", "30"),
    ("物流", "54"),
    ("仓储", "59"),
    ("餐饮管理", "62"),
    ("家政服务", "80"),
    ("物业服务", "70"),
    ("养老服务", "84"),
    ("汽车零部件", "36"),
    ("钢结构", "33"),
    ("矿山机械", "35"),
    ("包装材料", "22"),
    ("现代农业", "01"),
)
SUFFIXES = ("有限公司", "股份有限公司", "有限责任公司")
NEEDS = ("长期稳定", "节后急需", "旺季用工")
TITLES = ("招聘{occ}", "急招{occ}", "{occ}（长期）", "诚聘{occ}", "{occ}·包吃住")


def _uscc(rng: random.Random, area: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + area[:6] + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def _section(division: str) -> str:
    try:
        from wengang.employers.industries import section_of
    except ImportError:
        return ""
    return section_of(division)


def _enterprises(rng: random.Random, target: int) -> int:
    have = Enterprise.objects.count()
    if have >= target:
        return 0
    townships = list(
        Region.objects.filter(level="township", code__startswith="4103").values_list("code", flat=True)
    )
    if not townships:
        return 0
    now = timezone.now()
    rows = []
    used = set(Enterprise.objects.values_list("uscc", flat=True))
    names = set(Enterprise.objects.values_list("name", flat=True))
    for _ in range(target - have):
        partner = rng.random() < 0.12
        area = rng.choice(list(PARTNER_CITIES)) if partner else rng.choice(townships)
        trade, division = rng.choice(TRADE_WORDS)
        city = PARTNER_CITIES[area][:2] if partner else "洛阳"
        name = f"{city}{rng.choice(PLACE_WORDS)}{rng.choice(PLACE_WORDS)}{trade}{rng.choice(SUFFIXES)}"
        while name in names:
            name = f"{city}{rng.choice(PLACE_WORDS)}{rng.choice(PLACE_WORDS)}{trade}{rng.choice(SUFFIXES)}"
        names.add(name)
        code = _uscc(rng, area)
        while code in used:
            code = _uscc(rng, area)
        used.add(code)
        size = rng.choices(Size.values, weights=[30, 40, 20, 10])[0]
        staff = {"micro": (3, 10), "small": (10, 100), "medium": (100, 1000), "large": (1000, 5000)}[size]
        key = ""
        if rng.random() < (0.35 if size in ("medium", "large") else 0.06):
            key = rng.choice(KeyCategory.values)
        rows.append(
            Enterprise(
                uscc=code,
                name=name,
                area_code=area,
                address=f"{rng.choice(PLACE_WORDS)}{rng.choice(PLACE_WORDS)}路{rng.randint(1, 300)}号",
                industry_division=division,
                industry_section=_section(division),
                size=size,
                contact_name=f"{rng.choice('王李张刘陈杨赵黄周吴')}经理",
                contact_phone=f"0379-6{rng.randint(1000000, 9999999)}",
                staff_count=rng.randint(*staff),
                key_category=key,
                key_designated_at=now if key else None,
            )
        )
    Enterprise.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _reports(rng: random.Random) -> None:
    if StaffReport.objects.exists():
        return
    today = timezone.localdate()
    reports, layoffs = [], []
    for e in Enterprise.objects.exclude(staff_count=None).order_by("id"):
        staff = e.staff_count or 0
        if rng.random() < 0.4:
            staying = int(staff * rng.uniform(0.1, 0.6))
            reports.append(
                StaffReport(
                    enterprise=e,
                    reported_on=today - dt.timedelta(days=rng.randint(0, 20)),
                    staff_on_payroll=staff,
                    staying_over=staying,
                )
            )
        if rng.random() < 0.02:
            people = max(1, int(staff * rng.uniform(0.02, 0.2)))
            mass = is_mass_layoff(people, staff)
            layoffs.append(
                LayoffReport(
                    enterprise=e,
                    reported_on=today - dt.timedelta(days=rng.randint(0, 30)),
                    people=people,
                    staff_before=staff,
                    reason="订单减少",
                    is_mass=mass,
                    alert_state="open" if mass else "",
                )
            )
    StaffReport.objects.bulk_create(reports, batch_size=1000)
    LayoffReport.objects.bulk_create(layoffs, batch_size=1000)


def _postings(rng: random.Random, target: int, *, enterprises: list[Enterprise] | None = None) -> int:
    """Top postings up to ``target`` (of ``enterprises`` when given, else of all enterprises)."""
    if enterprises is None:
        have = Posting.objects.count()
        enterprises = list(Enterprise.objects.order_by("id"))
    else:
        have = Posting.objects.filter(enterprise__in=enterprises).count()
    occupations = list(Occupation.objects.all())
    if have >= target or not occupations or not enterprises:
        return 0
    today = timezone.localdate()
    now = timezone.now()
    statuses = [
        (PostingStatus.PUBLISHED, 70),
        (PostingStatus.SUBMITTED, 8),
        (PostingStatus.DRAFT, 5),
        (PostingStatus.PAUSED, 4),
        (PostingStatus.FILLED, 5),
        (PostingStatus.CLOSED, 8),
    ]
    rows = []
    for _i in range(target - have):
        e = rng.choice(enterprises)
        occ = rng.choice(occupations)
        status = rng.choices([s for s, _w in statuses], weights=[w for _s, w in statuses])[0]
        headcount = rng.choice([1, 2, 3, 5, 5, 8, 10, 10, 20, 30, 50])
        filled = headcount if status == PostingStatus.FILLED else rng.randint(0, headcount // 2)
        unit = rng.choices(WageUnit.values, weights=[80, 10, 5, 5])[0]
        base = rng.randrange(3000, 8000, 100)
        if unit == WageUnit.MONTH:
            low, high, mlow, mhigh = base, base + rng.randrange(0, 2500, 100), None, None
        elif unit == WageUnit.DAY:
            low = rng.randrange(120, 300, 10)
            high, mlow, mhigh = low + 30, None, None
        elif unit == WageUnit.HOUR:
            low = rng.randrange(18, 35)
            high, mlow, mhigh = low + 5, None, None
        else:
            low, high, mlow, mhigh = 1, 3, base, base + 1500
        factor = {"month": 1, "day": 21.75, "hour": 174}.get(unit)
        if factor:
            mlow, mhigh = round(low * factor), round(high * factor)
        start = today + dt.timedelta(days=rng.randint(-20, 45))
        published = status in (PostingStatus.PUBLISHED, PostingStatus.PAUSED, PostingStatus.FILLED)
        rows.append(
            Posting(
                enterprise=e,
                occupation=occ,
                title=rng.choice(TITLES).format(occ=occ.name),
                description=f"工作地点：{e.address}。{rng.choice(NEEDS)}，男女不限。",
                headcount=headcount,
                filled_count=min(filled, headcount),
                wage_unit=unit,
                wage_min=Decimal(low),
                wage_max=Decimal(high),
                wage_note="计件，多劳多得" if unit == WageUnit.PIECE else "",
                monthly_min=mlow,
                monthly_max=mhigh,
                age_min=rng.choice([None, 18, 18, 20]),
                age_max=rng.choice([None, 45, 50, 55, 60]),
                certificates=[f"{occ.name}证"] if not occ.general_labour and rng.random() < 0.3 else [],
                area_code=e.area_code,
                address=e.address,
                board=rng.choice(Board.values),
                shift=rng.choice(Shift.values),
                start_date=start,
                end_date=start + dt.timedelta(days=rng.randint(30, 120)),
                is_directed_export=e.area_code in PARTNER_CITIES,
                partner_region=PARTNER_CITIES.get(e.area_code, ""),
                is_public_welfare=occ.general_labour
                and e.area_code not in PARTNER_CITIES
                and rng.random() < 0.05,
                status=status,
                submitted_at=now if status != PostingStatus.DRAFT else None,
                published_at=now - dt.timedelta(days=rng.randint(0, 20)) if published else None,
                closed_at=now if status == PostingStatus.CLOSED else None,
            )
        )
    Posting.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _referrals(rng: random.Random, target: int = 300) -> None:
    """Open referrals of registry people to published Luoyang postings, so pipelines are not empty."""
    from wengang.registry.models import Person

    from .models import Referral

    if Referral.objects.exists():
        return
    postings = list(
        Posting.objects.filter(status=PostingStatus.PUBLISHED, area_code__startswith="4103").values_list(
            "pk", flat=True
        )
    )
    people = list(Person.objects.order_by("id").values_list("pk", flat=True)[:5000])
    if not postings or not people:
        return
    pairs = {(rng.choice(people), rng.choice(postings)) for _ in range(target)}
    states = ["recommended", "contacted", "interviewing"]
    Referral.objects.bulk_create(
        [
            Referral(
                person_id=person,
                posting_id=posting,
                source=rng.choice(["staff", "recommendation"]),
                state=rng.choice(states),
            )
            for person, posting in sorted(pairs)
        ],
        batch_size=1000,
    )


@transaction.atomic
def demand_demo_load(
    *,
    enterprises: int = 500,
    postings: int = 3000,
    seed: int = 2026,
    showcase: list[Enterprise] | None = None,
) -> dict[str, Any]:
    """Top the demo up to ``enterprises`` enterprises and ``postings`` postings (occupations synced first).

    ``showcase`` enterprises (those the demo employer logins belong to) get a handful of postings each, so
    every role sees the whole workflow on its first login.
    """
    from .occupations import occupations_sync

    occupations_sync()
    rng = random.Random(seed)  # noqa: S311  (fictional demo data, not secrets)
    made = _enterprises(rng, enterprises)
    _reports(rng)
    created = 0
    for enterprise in showcase or []:
        created += _postings(rng, 6, enterprises=[enterprise])
    created += _postings(rng, postings)
    _referrals(rng)
    return {"enterprises_created": made, "postings_created": created}
