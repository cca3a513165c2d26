"""Fixtures shared by every app's tests: Luoyang regions loaded once, and one account per role."""

from __future__ import annotations

import pyotp
import pytest

from wengang.accounts.tests.factories import make_user
from wengang.regions.services import luoyang_load


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        luoyang_load()
        from wengang.jobs.occupations import occupations_sync

        occupations_sync()


@pytest.fixture
def regions_loaded(django_db_setup):
    """For transactional tests, whose flush empties the tables the session loaded."""
    from wengang.regions.models import Region

    if not Region.objects.exists():
        luoyang_load()
        from wengang.jobs.occupations import occupations_sync

        occupations_sync()


@pytest.fixture
def people(db):
    """One account per role in 伊川县 (410329), plus look-alikes in 偃师区 (410307) to prove nothing leaks."""
    from wengang.employers.models import Enterprise
    from wengang.employers.tests.factories import make_enterprise

    e1 = make_enterprise(name="伊川测试企业", area_code="410329")
    e2 = make_enterprise(name="偃师测试企业", area_code="410307")
    assert Enterprise.objects.count() >= 2
    return {
        "city_admin": make_user("t_city", "city_admin", "410300"),
        "county_admin": make_user("t_county", "county_admin", "410329"),
        "specialist": make_user("t_spec", "specialist", "410329001"),
        "employer": make_user("t_emp", "employer", "410329", enterprise=e1),
        "health_officer": make_user("t_health", "health_officer", "410329"),
        "liaison": make_user("t_liaison", "liaison", "410300"),
        "viewer": make_user("t_viewer", "viewer", "410300"),
        "auditor": make_user("t_auditor", "auditor", "410300"),
        "worker": make_user("t_worker", "worker", "410329001001"),
        # Out of the 伊川 scope:
        "other_county_admin": make_user("t_county2", "county_admin", "410307"),
        "other_specialist": make_user("t_spec2", "specialist", "410307001"),
        "other_employer": make_user("t_emp2", "employer", "410307", enterprise=e2),
        "old_code_user": make_user("t_oldcode", "specialist", "410381001"),
    }


def totp_now(user) -> str:
    from wengang.accounts.services import totp_secret

    return pyotp.TOTP(totp_secret(user)).now()


def make_id(county: str, birth: str, seq: int) -> str:
    """A fictional, checksum-valid resident ID number."""
    from stdnum.cn import ric

    first17 = f"{county}{birth}{seq:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")


@pytest.fixture
def person_in_township(people):
    """A registered person in the specialist's township (410329001)."""
    from wengang.regions.models import Region
    from wengang.registry.services import EmploymentChange, person_create

    village = Region.objects.filter(code__startswith="410329001", level="village").order_by("code").first()
    return person_create(
        actor=people["county_admin"],
        id_number=make_id("410329", "19900101", 11),
        name="张测试",
        village_code=village.code,
        phone="13912340001",
        employment=EmploymentChange(
            status="employed_out_of_province",
            occurred_on=__import__("datetime").date(2026, 3, 1),
            work_province="浙江省",
            work_city="宁波市",
            monthly_income=6500,
        ),
    )
