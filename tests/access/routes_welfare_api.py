"""The public-welfare placement API: bureau and township staff only (the rows carry personal data)."""

from __future__ import annotations

from tests.access import ADMINS, Route
from tests.access.routes_welfare import _placement

STAFF = ADMINS | {"specialist"}


def _api_placement(ctx, role):
    return {"placement_id": _placement(ctx, role)["pk"]}


ROUTES: dict[str, Route] = {
    "api:welfare_placements": Route(allowed=STAFF, anonymous=401, worker=401),
    "api:welfare_placement": Route(allowed=STAFF, anonymous=401, worker=401, kwargs=_api_placement),
    # No body: the route names the fields it needs (400) once the role and scope are checked.
    "api:welfare_month": Route(
        method="POST", allowed=STAFF, ok=400, anonymous=401, worker=401, kwargs=_api_placement
    ),
    "api:welfare_renew": Route(
        method="POST", allowed=STAFF, ok=400, anonymous=401, worker=401, kwargs=_api_placement
    ),
    "api:welfare_exit": Route(
        method="POST", allowed=STAFF, ok=400, anonymous=401, worker=401, kwargs=_api_placement
    ),
}
