"""Public-welfare placement pages: bureau and township staff only (the rows carry personal data)."""

from __future__ import annotations

from tests.access import ADMINS, Route

STAFF = ADMINS | {"specialist"}


def _post(ctx):
    from wengang.jobs.models import Posting
    from wengang.jobs.tests.factories import make_posting

    found = Posting.objects.filter(title="公益岗（权限测试）").first()
    return found or make_posting(
        ctx["people"]["employer"].enterprise,
        title="公益岗（权限测试）",
        headcount=3,
        is_public_welfare=True,
        area_code=ctx["person"].village_code[:9],
    )


def _post_kwargs(ctx, role):
    return {"pk": _post(ctx).pk}


def _placement(ctx, role):
    """An active placement of the specialist's township person, so every 伊川 staff role sees it."""
    import datetime as dt

    from wengang.jobs.models import WelfarePlacement

    placement, _ = WelfarePlacement.objects.get_or_create(
        person=ctx["person"],
        status="active",
        defaults={
            "posting": _post(ctx),
            "start_date": dt.date(2026, 3, 1),
            "end_date": dt.date(2026, 12, 31),
            "monthly_allowance": 1200,
        },
    )
    return {"pk": placement.pk}


ROUTES: dict[str, Route] = {
    "jobs:welfare_list": Route(allowed=STAFF),
    "jobs:welfare_export": Route(allowed=STAFF),
    "jobs:welfare_detail": Route(allowed=STAFF, kwargs=_placement),
    # An empty form is refused with 400 (the form is shown again with its errors).
    "jobs:welfare_month": Route(method="POST", allowed=STAFF, ok=400, kwargs=_placement),
    "jobs:welfare_renew": Route(method="POST", allowed=STAFF, ok=400, kwargs=_placement),
    "jobs:welfare_exit": Route(method="POST", allowed=STAFF, ok=400, kwargs=_placement),
    "jobs:welfare_place": Route(allowed=STAFF, kwargs=_post_kwargs),
}
