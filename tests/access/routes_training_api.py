"""The training API: programmes, enrolments, subsidy totals and skill-gap suggestions (training staff)."""

from __future__ import annotations

from tests.access import ADMINS, Route
from tests.access.routes_training import _enrolment, _programme

TRAINING = ADMINS | {"specialist"}


def _api_programme(ctx, role):
    return {"programme_id": _programme(ctx, role)["pk"]}


def _api_enrolment(ctx, role):
    return {"enrolment_id": _enrolment(ctx, role)["pk"]}


ROUTES: dict[str, Route] = {
    "api:training_programmes": Route(allowed=TRAINING, anonymous=401, worker=401),
    "api:training_programme": Route(allowed=TRAINING, anonymous=401, worker=401, kwargs=_api_programme),
    "api:training_enrolments": Route(allowed=TRAINING, anonymous=401, worker=401),
    "api:training_enrolment": Route(allowed=TRAINING, anonymous=401, worker=401, kwargs=_api_enrolment),
    # No body: the route names the fields it needs (400) once the role and scope are checked.
    "api:training_enrolment_record": Route(
        method="POST", allowed=TRAINING, ok=400, anonymous=401, worker=401, kwargs=_api_enrolment
    ),
    "api:training_enrolment_subsidy": Route(
        method="POST", allowed=TRAINING, ok=400, anonymous=401, worker=401, kwargs=_api_enrolment
    ),
    "api:training_subsidies": Route(allowed=TRAINING, anonymous=401, worker=401),
    "api:training_suggestions": Route(
        allowed=TRAINING, anonymous=401, worker=401, kwargs=lambda ctx, r: {"person_id": ctx["person"].pk}
    ),
}
