"""The worker's own API under /api/v1/me: a worker session linked to its person only (the matrix links its
worker to the test person). Staff sessions are 403; no session is 401."""

from __future__ import annotations

from tests.access import ROLES, Route
from tests.access.routes_workers_pages import _application, _linked, _message, _posting

WORKER = {"worker"}
API = {"anonymous": 401}


def _api_posting(ctx, role):
    return {"posting_id": _posting(ctx, role)["pk"]}


def _api_application(ctx, role):
    return {"application_id": _application(ctx, role)["pk"]}


def _api_message(ctx, role):
    return {"message_id": _message(ctx, role)["pk"]}


def _channel(ctx, role):
    _linked(ctx, role)
    return {"channel": "sms"}


ROUTES: dict[str, Route] = {
    "api:worker_me": Route(allowed=WORKER, kwargs=_linked, **API),
    "api:worker_recommendations": Route(allowed=WORKER, kwargs=_linked, **API),
    "api:worker_applications": Route(allowed=WORKER, kwargs=_linked, **API),
    # Bare POSTs: dismissing and marking read act (200); applying, withdrawing and asking for a
    # correction read a JSON body, which an empty form post is not (400), after the ownership check.
    "api:worker_apply": Route(method="POST", allowed=WORKER, ok=400, kwargs=_linked, **API),
    "api:worker_application_withdraw": Route(
        method="POST", allowed=WORKER, ok=400, kwargs=_api_application, **API
    ),
    "api:worker_posting_dismiss": Route(method="POST", allowed=WORKER, kwargs=_api_posting, **API),
    "api:worker_messages": Route(allowed=WORKER, kwargs=_linked, **API),
    "api:worker_message_read": Route(method="POST", allowed=WORKER, kwargs=_api_message, **API),
    # PUT only, which the matrix cannot send: its GET is 405 for everyone, before authentication.
    # wengang/workers/tests/test_api.py proves the PUT per role (worker 200, staff 403, anonymous 401).
    "api:worker_consent": Route(public=True, allowed=set(ROLES), ok=405, kwargs=_channel),
    "api:worker_correction": Route(method="POST", allowed=WORKER, ok=400, kwargs=_linked, **API),
}
