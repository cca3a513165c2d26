"""The demo worker: a registry person in the demo specialist's township with a linked worker account.

``make demo`` prints the phone; in demo mode the login code appears on the console running the site. A
second phone has a self-registration waiting in the specialist's review queue.
"""

from __future__ import annotations

from stdnum.cn import ric

from wengang.accounts.models import User
from wengang.regions.models import Region
from wengang.registry.models import Person
from wengang.registry.services import person_create, person_update

from . import auth_services as svc
from . import registration_services as reg

DEMO_WORKER_PHONE = "13800000020"
DEMO_APPLICANT_PHONE = "13800000021"


def _fictional_id(county: str, birth: str, seq: int) -> str:
    first17 = f"{county}{birth}{seq:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")


def demo_worker_load() -> str:
    """Create (once) the demo worker and a pending self-registration; returns the demo worker's phone."""
    specialist = User.objects.get(username="specialist410329")
    village = (
        Region.objects.filter(code__startswith=specialist.scope_code, level="village", valid_to__isnull=True)
        .order_by("code")
        .first()
    )
    if village is None:
        return ""
    p_hash = svc.phone_hash(DEMO_WORKER_PHONE)
    person = Person.objects.filter(phone_hash=p_hash).first()
    if person is None:
        # One of the generated people gets the known phone number: in the specialist's township if any
        # lives there (a small demo population may have none), else in the county.
        free = Person.objects.filter(worker_account__isnull=True).order_by("pk")
        # Someone the demo's match run recommended jobs to, so the worker's home page has something to show.
        recommended = free.filter(recommendations__is_current=True).distinct()
        free = (
            recommended
            if recommended.filter(village_code__startswith=specialist.scope_code[:6]).exists()
            else free
        )
        person = (
            free.filter(village_code__startswith=specialist.scope_code).first()
            or free.filter(village_code__startswith=specialist.scope_code[:6]).first()
        )
        if person is None:
            person = person_create(
                actor=specialist,
                id_number=_fictional_id("410329", "19860315", 901),
                name="王小工",
                village_code=village.code,
                phone=DEMO_WORKER_PHONE,
                skills=["电焊", "叉车"],
                intent="local_job",
            )
        else:
            county_admin = User.objects.filter(username="county410329").first() or specialist
            person_update(actor=county_admin, person=person, phone=DEMO_WORKER_PHONE)
    worker = svc.worker_account_for(phone=DEMO_WORKER_PHONE, p_hash=p_hash)
    if worker.person_id is None and not User.objects.filter(person=person).exists():
        svc.link_account(user=worker, person=person, actor=specialist, request=None, how="demo")
    applicant = svc.worker_account_for(
        phone=DEMO_APPLICANT_PHONE, p_hash=svc.phone_hash(DEMO_APPLICANT_PHONE)
    )
    if not applicant.registrations.exists():
        reg.registration_submit(
            user=applicant,
            name="赵自登（演示）",
            id_number=_fictional_id("410329", "19920708", 902),
            village_code=village.code,
            skills=["砌筑"],
            intent="go_out",
        )
    return DEMO_WORKER_PHONE
