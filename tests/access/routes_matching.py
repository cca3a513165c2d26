"""Matching routes: match runs (registry staff in scope), a person's recommendations, a posting's candidates
(staff who see postings, and the posting's own enterprise)."""

from __future__ import annotations

from tests.access import ADMINS, REGISTRY, Route


def _run(ctx, role):
    from wengang.matching.models import MatchRun

    run = MatchRun.objects.create(scope_code="410329001", status="done")
    return {"pk": run.pk}


def _person(ctx, role):
    return {"pk": ctx["person"].pk}


def _own_posting(ctx, role):
    from wengang.jobs.tests.factories import make_posting

    return {"pk": make_posting(ctx["people"]["employer"].enterprise).pk}


ROUTES: dict[str, Route] = {
    "matching:run_list": Route(allowed=REGISTRY),
    # Starting redirects to the task page (or back to the list with the reason it was refused).
    "matching:run_start": Route(method="POST", allowed=REGISTRY, ok=302),
    "matching:run_detail": Route(allowed=REGISTRY, kwargs=_run),
    "matching:person_recommendations": Route(allowed=REGISTRY, kwargs=_person),
    "matching:posting_candidates": Route(allowed=ADMINS | {"specialist", "employer"}, kwargs=_own_posting),
    "api:match_runs": Route(allowed=REGISTRY, anonymous=401, worker=401),
    "api:person_recommendations_api": Route(
        allowed=REGISTRY, anonymous=401, worker=401, kwargs=lambda ctx, r: {"person_id": ctx["person"].pk}
    ),
}
