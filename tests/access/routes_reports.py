"""Enterprise reports: staff reports and retention measures, layoffs, alerts, retention summary."""

from __future__ import annotations

import datetime as dt

from tests.access import ADMINS, Route

REPORTERS = ADMINS | {"specialist", "employer"}
ALERT_VIEWERS = ADMINS | {"viewer"}
SUMMARY = ADMINS | {"specialist", "viewer"}


def _enterprise_for(ctx, role):
    """An enterprise the role can see: the specialist's township has its own, others use the employer's."""
    from wengang.employers.tests.factories import make_enterprise

    if role == "specialist":
        return make_enterprise(name="乡镇测试企业", area_code="410329001")
    return ctx["people"]["employer"].enterprise


def _report(ctx, role):
    from wengang.employers.models import StaffReport

    report = StaffReport.objects.create(
        enterprise=_enterprise_for(ctx, role), reported_on=dt.date(2026, 1, 20), staff_on_payroll=100
    )
    return {"pk": report.pk}


def _open_alert(ctx, role):
    from wengang.employers.models import LayoffReport

    layoff = LayoffReport.objects.create(
        enterprise=ctx["people"]["employer"].enterprise,
        reported_on=dt.date(2026, 1, 20),
        people=25,
        staff_before=200,
        reason="订单减少",
        is_mass=True,
        alert_state="open",
    )
    return {"pk": layoff.pk}


ROUTES: dict[str, Route] = {
    "employers:staff_report_list": Route(allowed=REPORTERS),
    "employers:staff_report_create": Route(allowed=REPORTERS),
    "employers:staff_report_detail": Route(allowed=REPORTERS, kwargs=_report),
    "employers:layoff_list": Route(allowed=REPORTERS),
    "employers:layoff_create": Route(allowed=REPORTERS),
    "employers:layoff_export": Route(allowed=REPORTERS),
    "employers:alert_list": Route(allowed=ALERT_VIEWERS),
    "employers:alert_acknowledge": Route(allowed=ADMINS, kwargs=_open_alert),
    "employers:retention_summary": Route(allowed=SUMMARY),
    "employers:retention_export": Route(allowed=SUMMARY),
}
