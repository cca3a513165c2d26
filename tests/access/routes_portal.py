"""The public job board and the public feed: open to everyone, logged in or not."""

from __future__ import annotations

from typing import Any

from tests.access import ROLES, Route


def _published(ctx: Any, role: str) -> dict[str, int]:
    from wengang.jobs.tests.factories import make_posting

    posting = make_posting(ctx["people"]["employer"].enterprise, title="公开岗位")
    return {"pk": posting.pk}


def _api_published(ctx: Any, role: str) -> dict[str, int]:
    return {"posting_id": _published(ctx, role)["pk"]}


ROUTES: dict[str, Route] = {
    "portal:board": Route(public=True, allowed=set(ROLES)),
    "portal:board_posting": Route(public=True, allowed=set(ROLES), kwargs=_published),
    "api:public_postings_feed": Route(public=True, allowed=set(ROLES)),
    "api:public_posting": Route(public=True, allowed=set(ROLES), kwargs=_api_published),
}
