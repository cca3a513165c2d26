"""The demo population: Luoyang reference data, two fictional enterprises, one account per role.

Idempotent: running it again creates nothing twice. Every name, number and code here is made up; the
credit codes carry valid check digits so they pass the same validation as real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from stdnum.cn import uscc

from wengang.accounts.models import User
from wengang.accounts.roles import Role
from wengang.accounts.services import totp_provision, totp_secret, user_create
from wengang.employers.models import Enterprise
from wengang.regions.models import Region
from wengang.regions.services import luoyang_load

DEMO_PASSWORD = "Wengang#2026"  # noqa: S105  (demo accounts only; printed by make demo)


def fictional_uscc(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17)


ENTERPRISES = (
    (fictional_uscc("91410329MA44XQ1A0"), "伊川县示例电子科技有限公司", "410329"),
    (fictional_uscc("91410307MA45DK7B3"), "偃师区示例机械制造有限公司", "410307"),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    scope: str
    full_name: str
    phone: str
    enterprise: int | None = None


def _first_township(county: str) -> str:
    code = (
        Region.objects.filter(code__startswith=county, level="township")
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )
    return code or county


def demo_accounts() -> list[DemoAccount]:
    return [
        DemoAccount("city", Role.CITY_ADMIN, "410300", "市局管理员（演示）", "13800000001"),
        DemoAccount("county410329", Role.COUNTY_ADMIN, "410329", "伊川县局管理员（演示）", "13800000002"),
        DemoAccount("county410307", Role.COUNTY_ADMIN, "410307", "偃师区局管理员（演示）", "13800000003"),
        DemoAccount(
            "specialist410329",
            Role.SPECIALIST,
            _first_township("410329"),
            "伊川县服务专员（演示）",
            "13800000004",
        ),
        DemoAccount("employer1", Role.EMPLOYER, "410329", "企业人事一（演示）", "13800000005", enterprise=0),
        DemoAccount("employer2", Role.EMPLOYER, "410307", "企业人事二（演示）", "13800000006", enterprise=1),
        DemoAccount("health410329", Role.HEALTH_OFFICER, "410329", "伊川县卫健联络员（演示）", "13800000007"),
        DemoAccount("liaison", Role.LIAISON, "410300", "驻外联络员（演示）", "13800000008"),
        DemoAccount("viewer", Role.VIEWER, "410300", "领导（演示）", "13800000009"),
        DemoAccount("auditor", Role.AUDITOR, "410300", "安全审计员（演示）", "13800000010"),
    ]


def demo_load(*, people: int = 20_000, seed: int = 2026) -> dict[str, Any]:
    """Load everything the demo needs; returns what was created, for the command to print.

    The registry is filled with ``people`` fictional people (``manage.py seed``) unless it holds that many.
    """
    from wengang.registry.seed import seed_population

    regions, changes = luoyang_load()
    enterprises = []
    with transaction.atomic():
        for code, name, area in ENTERPRISES:
            area = _first_township(area)  # township level: the township's specialist serves it too
            enterprise, _created = Enterprise.objects.get_or_create(
                uscc=code, defaults={"name": name, "area_code": area}
            )
            enterprises.append(enterprise)
    created = []
    for account in demo_accounts():
        if User.objects.filter(username=account.username).exists():
            continue
        user = user_create(
            actor=None,
            username=account.username,
            password=DEMO_PASSWORD,
            roles=[account.role],
            scope_code=account.scope,
            full_name=account.full_name,
            phone=account.phone,
            enterprise_id=enterprises[account.enterprise].pk if account.enterprise is not None else None,
        )
        if account.role in (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.AUDITOR):
            totp_provision(user=user)
            user.totp_confirmed_at = timezone.now()
            user.save(update_fields=["totp_confirmed_at"])
        created.append(user.username)
    population = seed_population(persons=people, seed=seed)
    from wengang.jobs.demo import demand_demo_load

    profiles = (("39", "C", "medium", 420, "张经理"), ("34", "C", "small", 86, "李经理"))
    for enterprise, (division, section, size, staff, contact) in zip(enterprises, profiles, strict=True):
        Enterprise.objects.filter(pk=enterprise.pk, industry_division="").update(
            industry_division=division,
            industry_section=section,
            size=size,
            staff_count=staff,
            contact_name=contact,
            address="工业园区创业路 8 号",
        )
    # The first demo enterprise is a key enterprise (重点产业链), so the dispatch board has it at the top.
    Enterprise.objects.filter(pk=enterprises[0].pk, key_category="").update(
        key_category="key_industrial_chain", key_designated_at=timezone.now()
    )
    demand = demand_demo_load(seed=seed, showcase=enterprises)
    _demo_services()
    return {
        **demand,
        "regions": regions,
        "changes": changes,
        "accounts_created": created,
        "people_created": population.people,
    }


def _demo_services() -> None:
    """Open the 131 priority cases and run matching once for the city, so every page has something to show."""
    from wengang.assistance.services import cases_open_automatically
    from wengang.matching.models import MatchRun
    from wengang.matching.runs import match_run_create, match_run_execute

    cases_open_automatically()
    _demo_training()
    if not MatchRun.objects.exists():
        city = User.objects.get(username="city")
        match_run_execute(run_id=match_run_create(actor=city, scope_code="410300").pk)


def _demo_training() -> None:
    """A few vocational training programmes in 伊川县 (skills the demo postings ask for)."""
    import datetime as dt
    from decimal import Decimal

    from wengang.jobs.models import Occupation
    from wengang.training.models import Programme
    from wengang.training.services import programme_create

    if Programme.objects.exists():
        return
    county = User.objects.get(username="county410329")
    start = timezone.localdate() + dt.timedelta(days=7)
    for name, provider, occupation, days, places, subsidy in (
        ("电焊工（初级）技能培训班", "伊川县职业技术培训学校", "焊工", 20, 40, 1200),
        ("叉车司机培训班", "伊川县交通技工学校", "叉车司机", 10, 30, 800),
        ("育婴员（母婴护理）培训班", "伊川县妇女儿童服务中心", "育婴员", 15, 25, 1000),
    ):
        programme_create(
            actor=county,
            name=name,
            provider=provider,
            area_code="410329",
            start_date=start,
            end_date=start + dt.timedelta(days=days),
            places=places,
            occupation=Occupation.objects.filter(name=occupation).first(),
            subsidy_per_person=Decimal(subsidy),
        )


def demo_logins() -> list[dict[str, str]]:
    rows = []
    for account in demo_accounts():
        user = User.objects.filter(username=account.username).first()
        if user is None:
            continue
        rows.append(
            {
                "username": user.username,
                "roles": "、".join(user.role_labels),
                "scope": user.scope_code,
                "totp": totp_secret(user) if user.totp_secret_encrypted else "",
            }
        )
    return rows
