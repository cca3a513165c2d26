"""Worker login pages under /m/ (SMS code, linking, self-registration, sessions) and the staff review queue.

Login pages are public; a staff session is refused on them (403, "log out first"); the test matrix's worker
account is not linked to a person, so linked-only pages send it to /m/link/ while these pages let it in.
"""

from __future__ import annotations

from tests.access import REGISTRY, ROLES, Route


def _registration(ctx, role):
    """A self-registration in the specialist's township (410329001)."""
    from conftest import make_id
    from wengang.regions.models import Region
    from wengang.workers import auth_services as svc
    from wengang.workers import registration_services as reg

    village = Region.objects.filter(code__startswith="410329001", level="village").order_by("code").first()
    phone = "13700000077"
    registration = reg.registration_submit(
        user=svc.worker_account_for(phone=phone, p_hash=svc.phone_hash(phone)),
        name="矩阵自登",
        id_number=make_id("410329", "19880202", 77),
        village_code=village.code,
        skills=[],
        intent="",
    )
    return {"pk": registration.pk}


ROUTES: dict[str, Route] = {
    "workers:login": Route(public=True, allowed={"anonymous"}, special={"worker": 302}),
    # Without a code asked for, the code page goes back to the phone page; a logged-in worker goes home.
    "workers:login_code": Route(public=True, allowed={"anonymous", "worker"}, ok=302),
    "workers:login_resend": Route(method="POST", public=True, allowed=set(ROLES), ok=302),
    "workers:logout": Route(method="POST", public=True, allowed=set(ROLES), ok=302),
    "workers:large_mode": Route(public=True, allowed=set(ROLES), ok=302),
    "workers:link": Route(allowed={"worker"}),
    "workers:register": Route(allowed={"worker"}),
    "workers:sessions": Route(allowed={"worker"}),
    "workers:sessions_end_others": Route(method="POST", allowed={"worker"}, ok=302),
    "workers:registration_list": Route(allowed=REGISTRY),
    "workers:registration_detail": Route(allowed=REGISTRY, kwargs=_registration),
    "workers:registration_accept": Route(method="POST", allowed=REGISTRY, ok=302, kwargs=_registration),
    # A bare POST has no note: the page shows again with the error.
    "workers:registration_reject": Route(method="POST", allowed=REGISTRY, kwargs=_registration),
}
