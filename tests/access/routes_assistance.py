"""The 131 service: priority-case pages, the dashboard, and the assistance API."""

from __future__ import annotations

from tests.access import ADMINS, Route

CASES = ADMINS | {"specialist"}
DASHBOARD = CASES | {"viewer"}


def _case(ctx, role):
    """A case of the 伊川 person in the specialist's township: seen by 伊川 staff and the city."""
    from wengang.assistance.models import PriorityCase

    case, _ = PriorityCase.objects.get_or_create(
        person=ctx["person"],
        status="open",
        defaults={"reason": "staff_added", "due_date": "2099-01-01", "area_code": ctx["person"].village_code},
    )
    return {"pk": case.pk}


def _api_case(ctx, role):
    return {"case_id": _case(ctx, role)["pk"]}


ROUTES: dict[str, Route] = {
    "assistance:case_list": Route(allowed=CASES),
    "assistance:case_export": Route(allowed=CASES),
    "assistance:dashboard": Route(allowed=DASHBOARD),
    "assistance:case_open": Route(allowed=CASES, kwargs=lambda ctx, r: {"person_id": ctx["person"].pk}),
    "assistance:case_detail": Route(allowed=CASES, kwargs=_case),
    # Bare POSTs: the page shows its form again with the errors (200), after role and scope checks.
    "assistance:record_add": Route(method="POST", allowed=CASES, kwargs=_case),
    "assistance:case_assign": Route(method="POST", allowed=ADMINS, kwargs=_case),
    "assistance:case_close": Route(method="POST", allowed=CASES, kwargs=_case),
    "api:assistance_cases": Route(allowed=CASES, anonymous=401, worker=401),
    "api:assistance_case": Route(allowed=CASES, anonymous=401, worker=401, kwargs=_api_case),
    # No body: the service names the missing kind and date (400) once the role and scope are checked.
    "api:assistance_records": Route(
        method="POST", allowed=CASES, ok=400, anonymous=401, worker=401, kwargs=_api_case
    ),
}
