"""Reads on enterprise reports beyond ``selectors.py``: filtered lists, the retention summary, alert counts.

Every read starts from a scoped selector in ``selectors.py`` (``staff_report_list``, ``layoff_list``,
``layoff_alerts``), so filters here can only narrow what the user already sees.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from wengang.accounts.scoping import area_prefixes, code_in_scope
from wengang.regions.models import Region, RegionCodeChange
from wengang.regions.selectors import region_names

from .models import AlertState, LayoffReport, RetentionKind, RetentionMeasure, StaffReport
from .selectors import is_employer_only, layoff_alerts, layoff_list, staff_report_list


@dataclass(frozen=True)
class ReportFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    county: str = ""  # a 6-digit county code; rows under its old codes count too
    q: str = ""  # enterprise name or credit code
    enterprise: int | None = None
    state: str = ""  # alerts only: "open" or "acknowledged"


def county_choices(user: Any) -> list[tuple[str, str]]:
    """Counties the user may filter by: those inside the scope, or the one holding a township scope."""
    if is_employer_only(user) or not getattr(user, "scope_code", ""):
        return []
    scope = user.scope_code
    counties = Region.objects.filter(level="county", valid_to__isnull=True).order_by("code")
    return [(r.code, r.name) for r in counties if code_in_scope(user, r.code) or scope.startswith(r.code)]


def _area_q(field_name: str, county: str) -> Q:
    prefixes = area_prefixes(county)
    return reduce(or_, (Q(**{f"{field_name}__startswith": p}) for p in prefixes), Q(pk__in=[]))


def _filter(qs: QuerySet[Any], f: ReportFilters) -> QuerySet[Any]:
    if f.date_from:
        qs = qs.filter(reported_on__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(reported_on__lte=f.date_to)
    if f.county:
        qs = qs.filter(_area_q("enterprise__area_code", f.county))
    if f.enterprise:
        qs = qs.filter(enterprise_id=f.enterprise)
    if f.q:
        q = f.q.strip()
        qs = qs.filter(Q(enterprise__name__icontains=q) | Q(enterprise__uscc=q.upper()))
    return qs


def staff_reports(*, user: Any, filters: ReportFilters | None = None) -> QuerySet[StaffReport]:
    qs = _filter(staff_report_list(user=user), filters or ReportFilters())
    return (
        qs.select_related("enterprise", "created_by")
        .prefetch_related(Prefetch("measures", queryset=RetentionMeasure.objects.order_by("kind")))
        .order_by("-reported_on", "-id")
    )


def staff_report_get(*, user: Any, pk: Any) -> StaffReport:
    return staff_reports(user=user).get(pk=pk)


def layoffs(*, user: Any, filters: ReportFilters | None = None) -> QuerySet[LayoffReport]:
    qs = _filter(layoff_list(user=user), filters or ReportFilters())
    return qs.select_related("enterprise", "created_by", "acknowledged_by").order_by("-reported_on", "-id")


def alerts(*, user: Any, filters: ReportFilters | None = None) -> QuerySet[LayoffReport]:
    """Mass layoffs in scope, open first, newest first within each state."""
    f = filters or ReportFilters()
    qs = _filter(layoff_alerts(user=user), f)
    if f.state in (AlertState.OPEN, AlertState.ACKNOWLEDGED):
        qs = qs.filter(alert_state=f.state)
    return qs.select_related("enterprise", "acknowledged_by").order_by("-alert_state", "-reported_on", "-id")


def alert_get(*, user: Any, pk: Any) -> LayoffReport:
    return alerts(user=user).get(pk=pk)


def open_alert_count(user: Any) -> int:
    """Open mass-layoff alerts in the user's area, for the home dashboard (0 without ``alerts.view``)."""
    return layoff_alerts(user=user).filter(alert_state=AlertState.OPEN).count()


# Retention summary ---------------------------------------------------------------------------------------


@dataclass
class SummaryRow:
    """Totals for one county over the latest report of each of its enterprises in the period."""

    code: str
    name: str
    enterprises: int = 0
    staff_on_payroll: int = 0
    staying_over: int = 0
    amount: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RetentionKind.values, 0))
    people: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RetentionKind.values, 0))

    @property
    def staying_share(self) -> float | None:
        return self.staying_over / self.staff_on_payroll if self.staff_on_payroll else None

    @property
    def measures(self) -> list[tuple[str, int, int]]:
        return [(kind, self.amount[kind], self.people[kind]) for kind in RetentionKind.values]

    def add(self, other: SummaryRow) -> None:
        self.enterprises += other.enterprises
        self.staff_on_payroll += other.staff_on_payroll
        self.staying_over += other.staying_over
        for kind in RetentionKind.values:
            self.amount[kind] += other.amount[kind]
            self.people[kind] += other.people[kind]


def latest_reports(
    *, user: Any, date_from: dt.date, date_to: dt.date, county: str = ""
) -> QuerySet[StaffReport]:
    """Each enterprise's latest report dated within [date_from, date_to], in the user's scope."""
    latest = (
        StaffReport.objects.filter(
            enterprise=OuterRef("enterprise"), reported_on__gte=date_from, reported_on__lte=date_to
        )
        .order_by("-reported_on", "-id")
        .values("pk")[:1]
    )
    qs = _filter(
        staff_report_list(user=user), ReportFilters(date_from=date_from, date_to=date_to, county=county)
    )
    return qs.filter(pk=Subquery(latest))


def _current_county(code: str, renamed: dict[str, str]) -> str:
    seen: set[str] = set()
    while code in renamed and code not in seen:
        seen.add(code)
        code = renamed[code]
    return code


def retention_summary(
    *, user: Any, date_from: dt.date, date_to: dt.date, county: str = ""
) -> tuple[list[SummaryRow], SummaryRow]:
    """Per-county totals of payroll, staying over and each measure's amount and people; and the grand total.

    Rows under a replaced county code (410381 偃师市) are counted under the current one (410307 偃师区).
    """
    reports = latest_reports(user=user, date_from=date_from, date_to=date_to, county=county)
    renamed = {
        c.old_code: c.new_code
        for c in RegionCodeChange.objects.all()
        if len(c.old_code) == 6 and len(c.new_code) == 6
    }
    by_county: dict[str, SummaryRow] = {}

    def row(raw: str) -> SummaryRow:
        code = _current_county(raw, renamed)
        if code not in by_county:
            by_county[code] = SummaryRow(code=code, name=code)
        return by_county[code]

    staff_rows = (
        reports.annotate(county=Substr("enterprise__area_code", 1, 6))
        .values("county")
        .annotate(n=Count("id"), payroll=Sum("staff_on_payroll"), staying=Sum("staying_over"))
        .order_by("county")
    )
    for item in staff_rows:
        r = row(item["county"])
        r.staff_on_payroll += item["payroll"] or 0
        r.staying_over += item["staying"] or 0
        r.enterprises += item["n"]
    measure_rows = (
        RetentionMeasure.objects.filter(report__in=reports.values("pk"))
        .annotate(county=Substr("report__enterprise__area_code", 1, 6))
        .values("county", "kind")
        .annotate(amount_sum=Sum("amount"), people_sum=Sum("people_covered"))
        .order_by("county", "kind")
    )
    for item in measure_rows:
        r = row(item["county"])
        if item["kind"] in r.amount:
            r.amount[item["kind"]] += item["amount_sum"] or 0
            r.people[item["kind"]] += item["people_sum"] or 0
    names = region_names(list(by_county))
    rows = sorted(by_county.values(), key=lambda r: r.code)
    total = SummaryRow(code="", name="")
    for r in rows:
        r.name = names.get(r.code, r.code)
        total.add(r)
    return rows, total


def retention_workbook(*, user: Any, date_from: dt.date, date_to: dt.date, county: str) -> tuple[bytes, int]:
    """Two sheets: the per-county totals, then each enterprise's latest report in the period."""
    kinds = [(k, str(label)) for k, label in RetentionKind.choices]
    measure_headers = [
        h for _k, label in kinds for h in (f"{label} {_('amount (yuan)')}", f"{label} {_('people covered')}")
    ]
    rows, total = retention_summary(user=user, date_from=date_from, date_to=date_to, county=county)
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = _("By county")
    summary.append(
        [_("County"), _("Enterprises"), _("Staff on payroll"), _("Staying over"), *measure_headers]
    )
    for r in [*rows, total]:
        summary.append(
            [
                r.name or _("Total"),
                r.enterprises,
                r.staff_on_payroll,
                r.staying_over,
                *[v for k, _label in kinds for v in (r.amount[k], r.people[k])],
            ]
        )
    detail = wb.create_sheet(_("By enterprise"))
    detail.append(
        [
            _("County"),
            _("Enterprise"),
            _("Unified social credit code"),
            _("Report date"),
            _("Staff on payroll"),
            _("Staying over"),
            *measure_headers,
            _("Notes"),
        ]
    )
    names = {r.code: r.name for r in rows}
    reports = (
        latest_reports(user=user, date_from=date_from, date_to=date_to, county=county)
        .select_related("enterprise")
        .prefetch_related("measures")
        .order_by("enterprise__area_code", "enterprise__name")
    )
    count = 0
    for report in reports.iterator(chunk_size=500):
        measures = {m.kind: m for m in report.measures.all()}
        values = []
        for k, _label in kinds:
            m = measures.get(k)
            values += [m.amount if m else 0, m.people_covered if m else 0]
        code = report.enterprise.area_code[:6]
        detail.append(
            [
                names.get(code, code),
                report.enterprise.name,
                report.enterprise.uscc,
                report.reported_on,
                report.staff_on_payroll,
                report.staying_over,
                *values,
                report.notes,
            ]
        )
        count += 1
    for ws in (summary, detail):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for column in ws.iter_cols(min_row=1, max_row=1):
            ws.column_dimensions[column[0].column_letter].width = max(10, len(str(column[0].value)) * 2 + 2)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), count
