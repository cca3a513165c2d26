"""Referral pages and the referrals API."""

from __future__ import annotations

from tests.access import ADMINS, Route

REFERRALS = ADMINS | {"specialist", "employer"}  # an employer: referrals to its own postings
CREATE = ADMINS | {"specialist"}


def _referral(ctx, role):
    """The 伊川 person referred to the 伊川 employer's posting: seen by 伊川 staff and that employer."""
    from wengang.jobs.models import Referral
    from wengang.jobs.tests.factories import make_posting

    posting = make_posting(ctx["people"]["employer"].enterprise)
    referral = Referral.objects.create(person=ctx["person"], posting=posting, source="staff")
    return {"pk": referral.pk}


def _api_referral(ctx, role):
    return {"referral_id": _referral(ctx, role)["pk"]}


ROUTES: dict[str, Route] = {
    "jobs:referral_list": Route(allowed=REFERRALS),
    "jobs:referral_export": Route(allowed=REFERRALS),
    "jobs:referral_create": Route(allowed=CREATE),
    "jobs:referral_detail": Route(allowed=REFERRALS, kwargs=_referral),
    # A bare POST names no next state: the page shows the form again with the error.
    "jobs:referral_transition": Route(method="POST", allowed=REFERRALS, kwargs=_referral),
    "api:referrals": Route(allowed=REFERRALS, anonymous=401, worker=401),
    "api:referral": Route(allowed=REFERRALS, anonymous=401, worker=401, kwargs=_api_referral),
    # No target state: the service refuses it (400) once the role and the referral's scope are checked.
    "api:referral_transition": Route(
        method="POST", allowed=REFERRALS, ok=400, anonymous=401, worker=401, kwargs=_api_referral
    ),
}
