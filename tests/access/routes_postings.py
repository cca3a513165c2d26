"""Postings pages, the dispatch board and the postings API."""

from __future__ import annotations

from tests.access import ADMINS, Route

POSTINGS = ADMINS | {"specialist", "employer"}
DISPATCH = ADMINS | {"specialist", "viewer"}


def _own_posting(ctx, role):
    """A posting of the 伊川 employer's enterprise: in scope for 伊川 staff and that employer."""
    from wengang.jobs.tests.factories import make_posting

    enterprise = ctx["people"]["employer"].enterprise
    if enterprise.area_code == "410329":  # into the specialist's township, so every 伊川 role sees it
        enterprise.area_code = "410329001"
        enterprise.save(update_fields=["area_code"])
    return {"pk": make_posting(enterprise).pk}


def _api_posting(ctx, role):
    return {"posting_id": _own_posting(ctx, role)["pk"]}


ROUTES: dict[str, Route] = {
    "jobs:posting_list": Route(allowed=POSTINGS),
    "jobs:posting_create": Route(allowed=POSTINGS),
    "jobs:posting_export": Route(allowed=POSTINGS),
    "jobs:occupation_suggest": Route(allowed=POSTINGS),
    "jobs:posting_detail": Route(allowed=POSTINGS, kwargs=_own_posting),
    "jobs:posting_edit": Route(allowed=POSTINGS, kwargs=_own_posting),
    # A bare POST carries no target status: the page redirects back with a message.
    "jobs:posting_transition": Route(method="POST", allowed=POSTINGS, ok=302, kwargs=_own_posting),
    "jobs:dispatch_board": Route(allowed=DISPATCH),
    "jobs:dispatch_export": Route(allowed=DISPATCH),
    "api:postings": Route(allowed=POSTINGS, anonymous=401, worker=401),
    "api:dispatch": Route(allowed=DISPATCH, anonymous=401, worker=401),
    "api:occupation_match": Route(allowed=POSTINGS, anonymous=401, worker=401),
    "api:posting": Route(allowed=POSTINGS, anonymous=401, worker=401, kwargs=_api_posting),
    "api:posting_status": Route(
        method="POST", allowed=POSTINGS, ok=400, anonymous=401, worker=401, kwargs=_api_posting
    ),
}
