"""Enterprise pages (list, profile, edit, designation, import) and the enterprise API."""

from __future__ import annotations

from typing import Any

from tests.access import ADMINS, Route

STAFF_VIEW = ADMINS | {"specialist"}
VIEW = STAFF_VIEW | {"employer"}


def _visible(ctx: Any, role: str) -> dict[str, int]:
    """The employer's own enterprise for the employer; one in the specialist's township for everyone else."""
    from wengang.employers.models import Enterprise
    from wengang.employers.tests.factories import make_enterprise

    if role == "employer":
        return {"pk": ctx["people"]["employer"].enterprise.pk}
    township = Enterprise.objects.filter(name="城关示例企业").first()
    return {"pk": (township or make_enterprise(name="城关示例企业", area_code="410329001")).pk}


def _api_visible(ctx: Any, role: str) -> dict[str, int]:
    return {"enterprise_id": _visible(ctx, role)["pk"]}


def _own_report(ctx: Any, role: str) -> dict[str, str]:
    from wengang.employers.importers import report_save

    user = ctx["people"].get(role)
    return {"token": report_save(user=user, data=b"PK") if user is not None else "0" * 32}


ROUTES: dict[str, Route] = {
    "employers:enterprise_list": Route(allowed=STAFF_VIEW, special={"employer": 302}),
    "employers:enterprise_export": Route(allowed=STAFF_VIEW),
    "employers:enterprise_create": Route(allowed=STAFF_VIEW),
    "employers:enterprise_import": Route(allowed=STAFF_VIEW),
    "employers:enterprise_import_template": Route(allowed=STAFF_VIEW),
    "employers:enterprise_import_report": Route(allowed=STAFF_VIEW, kwargs=_own_report),
    "employers:enterprise_detail": Route(allowed=VIEW, kwargs=_visible),
    "employers:enterprise_edit": Route(allowed=VIEW, kwargs=_visible),
    "employers:enterprise_designate": Route(allowed=ADMINS, kwargs=_visible),
    "api:enterprises": Route(allowed=VIEW, anonymous=401, worker=401),
    "api:enterprise": Route(allowed=VIEW, anonymous=401, worker=401, kwargs=_api_visible),
}
