"""Enterprise report pages: staff reports and retention measures, layoffs, alerts, the summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wengang.accounts.permissions import require_perm
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.forms import call_service

from .models import Enterprise, LayoffReport, RetentionKind, StaffReport
from .report_forms import (
    AcknowledgeForm,
    AlertFilterForm,
    LayoffForm,
    ReportFilterForm,
    StaffReportForm,
    SummaryForm,
)
from .report_selectors import (
    ReportFilters,
    alert_get,
    alerts,
    county_choices,
    layoffs,
    retention_summary,
    retention_workbook,
    staff_report_get,
    staff_reports,
)
from .reports import amount_field, layoff_acknowledge, layoff_report, people_field, staff_report_submit
from .selectors import enterprise_queryset, is_employer_only

PAGE_SIZE = 50


def _page(request: HttpRequest, qs: Any) -> tuple[Page, str]:
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params: QueryDict = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


def _audit_list(request: HttpRequest, object_type: str, page: Page, filters: ReportFilters) -> None:
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type=object_type,
        request=request,
        changes={
            "list": True,
            "page": page.number,
            "count": page.paginator.count,
            "filters": {k: str(v) for k, v in filters.__dict__.items() if v not in (None, "")},
        },
    )


def _enterprise_choices(user: Any) -> Any:
    """Enterprises staff may pick; ``None`` for an employer, whose own enterprise is fixed."""
    if is_employer_only(user):
        return None
    return enterprise_queryset(user).order_by("name", "id")


def _fixed_enterprise(request: HttpRequest) -> Enterprise | None:
    """The enterprise named by ``?enterprise=`` (404 when out of scope), or an employer's own."""
    qs = enterprise_queryset(request.user)
    pk = request.GET.get("enterprise", "")
    if pk:
        if not pk.isdigit():
            raise Http404
        return get_object_or_404(qs, pk=pk)
    if is_employer_only(request.user):
        own = qs.first()
        if own is None:
            raise Http404
        return own
    return None


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


# Staff reports ---------------------------------------------------------------------------------------------


def _report_initial(enterprise: Enterprise | None, on: dt.date) -> tuple[dict[str, Any], StaffReport | None]:
    initial: dict[str, Any] = {"reported_on": on}
    if enterprise is None:
        return initial, None
    initial["enterprise"] = enterprise.pk
    existing = enterprise.staff_reports.filter(reported_on=on).first()
    source = existing or enterprise.staff_reports.order_by("-reported_on", "-id").first()
    if source is None:
        initial["staff_on_payroll"] = enterprise.staff_count
        return initial, None
    initial.update(staff_on_payroll=source.staff_on_payroll, staying_over=source.staying_over)
    if existing is not None:
        initial["notes"] = existing.notes
    for m in source.measures.all():
        initial[amount_field(m.kind)] = m.amount
        initial[people_field(m.kind)] = m.people_covered
    return initial, existing


@require_perm("enterprises.report")
@require_http_methods(["GET", "POST"])
def staff_report_create_view(request: HttpRequest) -> HttpResponse:
    fixed = _fixed_enterprise(request)
    enterprises = _enterprise_choices(request.user)
    on = _parse_date(request.GET.get("reported_on", "")) or timezone.localdate()
    initial, existing = _report_initial(fixed, on)
    if existing is not None and request.method == "GET":
        audit_record(
            action=Action.VIEW,
            actor=request.user,
            object_type="employers.staff_report",
            object_id=existing.pk,
            request=request,
        )
    form = StaffReportForm(request.POST or None, initial=initial, enterprises=enterprises)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        enterprise = data.get("enterprise") or fixed
        if enterprise is None:
            raise Http404
        ok, report = call_service(
            form,
            staff_report_submit,
            actor=request.user,
            enterprise=enterprise,
            reported_on=data["reported_on"],
            staff_on_payroll=data["staff_on_payroll"],
            staying_over=data["staying_over"],
            measures=form.measures(),
            notes=data["notes"],
            request=request,
        )
        if ok and report is not None:
            messages.success(
                request,
                _("The report of %(name)s for %(date)s has been saved.")
                % {"name": enterprise.name, "date": report.reported_on.isoformat()},
            )
            return redirect("employers:staff_report_detail", pk=report.pk)
    return render(
        request,
        "employers/report_form.html",
        {"form": form, "enterprise": fixed, "existing": existing},
    )


@require_perm("enterprises.report")
def staff_report_list_view(request: HttpRequest) -> HttpResponse:
    form = ReportFilterForm(request.GET or None, counties=county_choices(request.user))
    filters = form.filters()
    page, params = _page(request, staff_reports(user=request.user, filters=filters))
    _audit_list(request, "employers.staff_report", page, filters)
    return render(
        request,
        "employers/report_list.html",
        {"form": form, "page": page, "params": params, "kinds": RetentionKind.choices},
    )


@require_perm("enterprises.report")
def staff_report_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        report = staff_report_get(user=request.user, pk=pk)
    except StaffReport.DoesNotExist as exc:
        raise Http404 from exc
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="employers.staff_report",
        object_id=report.pk,
        request=request,
    )
    measures = {m.kind: m for m in report.measures.all()}
    rows = [(label, measures.get(kind)) for kind, label in RetentionKind.choices]
    others = staff_reports(user=request.user, filters=ReportFilters(enterprise=report.enterprise_id))[:12]
    return render(request, "employers/report_detail.html", {"report": report, "rows": rows, "others": others})


# Layoffs ---------------------------------------------------------------------------------------------------


@require_perm("enterprises.report")
@require_http_methods(["GET", "POST"])
def layoff_create_view(request: HttpRequest) -> HttpResponse:
    fixed = _fixed_enterprise(request)
    initial: dict[str, Any] = {"reported_on": timezone.localdate()}
    if fixed is not None:
        initial["enterprise"] = fixed.pk
    form = LayoffForm(request.POST or None, initial=initial, enterprises=_enterprise_choices(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        enterprise = data.get("enterprise") or fixed
        if enterprise is None:
            raise Http404
        ok, layoff = call_service(
            form,
            layoff_report,
            actor=request.user,
            enterprise=enterprise,
            reported_on=data["reported_on"],
            people=data["people"],
            staff_before=data["staff_before"],
            reason=data["reason"],
            request=request,
        )
        if ok and layoff is not None:
            if layoff.is_mass:
                messages.warning(
                    request,
                    _(
                        "The layoff at %(name)s has been recorded. It is a mass layoff (20 people or 10%% "
                        "of the staff or more), so the county has been alerted."
                    )
                    % {"name": enterprise.name},
                )
            else:
                messages.success(
                    request, _("The layoff at %(name)s has been recorded.") % {"name": enterprise.name}
                )
            return redirect(f"{reverse('employers:layoff_list')}?enterprise={enterprise.pk}")
    return render(request, "employers/layoff_form.html", {"form": form, "enterprise": fixed})


def _can(user: Any, perm: str) -> bool:
    return bool(user.can(perm))


def _with_share(items: Any) -> list[Any]:
    out = list(items)
    for layoff in out:
        layoff.share_pct = (
            round(100 * layoff.people / layoff.staff_before, 1) if layoff.staff_before else None
        )
    return out


@require_perm("enterprises.report")
def layoff_list_view(request: HttpRequest) -> HttpResponse:
    form = ReportFilterForm(request.GET or None, counties=county_choices(request.user))
    filters = form.filters()
    page, params = _page(request, layoffs(user=request.user, filters=filters))
    _audit_list(request, "employers.layoff", page, filters)
    return render(
        request,
        "employers/layoff_list.html",
        {"form": form, "page": page, "params": params, "rows": _with_share(page)},
    )


@require_perm("enterprises.report")
def layoff_export_view(request: HttpRequest) -> HttpResponse:
    """The filtered layoff list as Excel, scoped like the page."""
    from wengang.core.excel import xlsx_response

    form = ReportFilterForm(request.GET or None, counties=county_choices(request.user))
    filters = form.filters()
    items = _with_share(layoffs(user=request.user, filters=filters)[:50_000])
    audit_record(
        action=Action.EXPORT,
        actor=request.user,
        object_type="employers.layoff",
        request=request,
        changes={
            "rows": len(items),
            "filters": {k: str(v) for k, v in filters.__dict__.items() if v not in (None, "")},
        },
    )
    return xlsx_response(
        filename=_("layoffs.xlsx"),
        sheet=_("Layoffs"),
        headers=[
            _("Enterprise"),
            _("Unified social credit code"),
            _("Area code"),
            _("Layoff date"),
            _("People laid off"),
            _("Staff before the layoff"),
            _("Share of staff (%)"),
            _("Reason"),
            _("Mass layoff"),
            _("Alert"),
        ],
        rows=(
            [
                item.enterprise.name,
                item.enterprise.uscc,
                item.enterprise.area_code,
                item.reported_on,
                item.people,
                item.staff_before,
                item.share_pct,
                item.reason,
                _("Yes") if item.is_mass else _("No"),
                item.get_alert_state_display(),
            ]
            for item in items
        ),
    )


# Alerts ----------------------------------------------------------------------------------------------------


@require_perm("alerts.view")
def alert_list_view(request: HttpRequest) -> HttpResponse:
    form = AlertFilterForm(request.GET or None, counties=county_choices(request.user))
    base = form.filters()
    state = form.cleaned_data.get("state", "") if form.is_bound and form.is_valid() else ""
    filters = ReportFilters(**{**base.__dict__, "state": state})
    page, params = _page(request, alerts(user=request.user, filters=filters))
    _audit_list(request, "employers.layoff_alert", page, filters)
    return render(
        request,
        "employers/alert_list.html",
        {
            "form": form,
            "page": page,
            "params": params,
            "rows": _with_share(page),
            "can_acknowledge": _can(request.user, "alerts.acknowledge"),
        },
    )


@require_perm("alerts.acknowledge")
@require_http_methods(["GET", "POST"])
def alert_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        layoff = alert_get(user=request.user, pk=pk)
    except LayoffReport.DoesNotExist as exc:
        raise Http404 from exc
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, _result = call_service(
            form,
            layoff_acknowledge,
            fallback="note",
            actor=request.user,
            layoff=layoff,
            note=form.cleaned_data["note"],
            request=request,
        )
        if ok:
            messages.success(
                request,
                _("The alert on %(name)s has been acknowledged.") % {"name": layoff.enterprise.name},
            )
            return redirect("employers:alert_list")
    else:
        audit_record(
            action=Action.VIEW,
            actor=request.user,
            object_type="employers.layoff_alert",
            object_id=layoff.pk,
            request=request,
        )
    return render(
        request, "employers/alert_acknowledge.html", {"form": form, "layoff": _with_share([layoff])[0]}
    )


# Retention summary -----------------------------------------------------------------------------------------


def _check_summary(user: Any) -> None:
    """Staff in an area and leadership see the summary; an employer has only its own report pages."""
    allowed = (user.can("enterprises.report") and not is_employer_only(user)) or user.can("alerts.view")
    if not allowed:
        raise PermissionDenied


def _summary_params(request: HttpRequest) -> tuple[SummaryForm, dt.date, dt.date, str]:
    start, end = SummaryForm.default_period()
    counties = county_choices(request.user)
    data = request.GET if "date_from" in request.GET else None
    form = SummaryForm(data, initial={"date_from": start, "date_to": end}, counties=counties)
    county = ""
    if data is not None and form.is_valid():
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        county = form.cleaned_data.get("county", "") or ""
    return form, start, end, county


@require_perm("dashboard.view")
def retention_summary_view(request: HttpRequest) -> HttpResponse:
    _check_summary(request.user)
    form, start, end, county = _summary_params(request)
    rows, total = retention_summary(user=request.user, date_from=start, date_to=end, county=county)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="employers.retention_summary",
        request=request,
        changes={"date_from": start.isoformat(), "date_to": end.isoformat(), "county": county},
    )
    kinds = [(k, str(label)) for k, label in RetentionKind.choices]
    chart = {
        "counties": [r.name for r in rows],
        "payroll": [r.staff_on_payroll for r in rows],
        "staying": [r.staying_over for r in rows],
        "kinds": [label for _k, label in kinds],
        "amount": {label: [r.amount[k] for r in rows] for k, label in kinds},
        "people": {label: [r.people[k] for r in rows] for k, label in kinds},
        "labels": {
            "payroll": _("Staff on payroll"),
            "staying": _("Workers staying over the festival"),
            "amount": _("Amount (yuan)"),
            "people": _("People covered"),
        },
    }
    params = QueryDict(mutable=True)
    params.update({"date_from": start.isoformat(), "date_to": end.isoformat(), "county": county})
    return render(
        request,
        "employers/retention_summary.html",
        {
            "form": form,
            "rows": rows,
            "total": total,
            "kinds": kinds,
            "chart": chart,
            "start": start,
            "end": end,
            "params": params.urlencode(),
        },
    )


@require_perm("dashboard.view")
def retention_export_view(request: HttpRequest) -> HttpResponse:
    from urllib.parse import quote

    from wengang.core.excel import XLSX

    _check_summary(request.user)
    _form, start, end, county = _summary_params(request)
    data, enterprise_rows = retention_workbook(user=request.user, date_from=start, date_to=end, county=county)
    audit_record(
        action=Action.EXPORT,
        actor=request.user,
        object_type="employers.retention_summary",
        request=request,
        changes={
            "date_from": start.isoformat(),
            "date_to": end.isoformat(),
            "county": county,
            "rows": enterprise_rows,
        },
    )
    response = HttpResponse(data, content_type=XLSX)
    filename = _("retention-%(start)s-%(end)s.xlsx") % {"start": start.isoformat(), "end": end.isoformat()}
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
