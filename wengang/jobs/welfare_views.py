"""Public-welfare placement pages: the list with filters and export, a placement's page with its monthly
work records (record a month, renew, exit), and placing a person from a public-welfare post's page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wengang.accounts.permissions import require_perm
from wengang.accounts.scoping import area_q
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.excel import xlsx_response
from wengang.core.forms import add_service_errors
from wengang.regions.models import Region
from wengang.regions.selectors import region_names

from .choices import PostingStatus
from .models import Posting, WelfarePlacement, WelfarePlacementStatus
from .selectors import posting_queryset
from .welfare import (
    PERM,
    PlacementFilters,
    placement_create,
    placement_exit,
    placement_history,
    placement_list,
    placement_queryset,
    placement_renew,
    welfare_candidates,
    work_month_record,
)
from .welfare_forms import ExitForm, PlacementFilterForm, PlacementForm, RenewForm, WorkMonthForm

CANDIDATES_SHOWN = 50


def _user(request: HttpRequest) -> Any:
    return request.user


def _townships(user: Any) -> list[tuple[str, str]]:
    qs = Region.objects.filter(area_q(user, "code"), level="township").order_by("code")
    return list(qs.values_list("code", "name")[:500])


def _filters(request: HttpRequest) -> tuple[PlacementFilterForm, PlacementFilters]:
    form = PlacementFilterForm(request.GET or None, townships=_townships(_user(request)))
    if not form.is_valid():
        return form, PlacementFilters()
    d = form.cleaned_data
    return form, PlacementFilters(
        posting=d.get("posting"),
        status=d.get("status") or "",
        area=d.get("township") or "",
        q=d.get("q") or "",
    )


def _params(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_perm(PERM)
def welfare_list_view(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    page = Paginator(placement_list(user=_user(request), filters=filters), 50).get_page(
        request.GET.get("page")
    )
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="jobs.welfareplacement",
        request=request,
        changes={"list": True, "page": page.number, "count": page.paginator.count},
    )
    return render(
        request,
        "jobs/welfare_list.html",
        {
            "form": form,
            "page": page,
            "params": _params(request),
            "villages": region_names({p.person.village_code for p in page}),
        },
    )


@require_perm(PERM)
def welfare_export_view(request: HttpRequest) -> HttpResponse:
    _form, filters = _filters(request)
    qs = placement_list(user=_user(request), filters=filters)[:50000]
    audit_record(
        action=Action.EXPORT,
        actor=request.user,
        object_type="jobs.welfareplacement",
        request=request,
        changes={"filters": {k: str(v) for k, v in filters.__dict__.items() if v}},
    )
    rows = list(qs)
    villages = region_names({p.person.village_code for p in rows})
    headers = [
        _("Name"),
        _("ID number"),
        _("Village"),
        _("Three-without person"),
        _("Public-welfare post"),
        _("Enterprise"),
        _("Term starts"),
        _("Term ends"),
        _("Monthly allowance (yuan)"),
        _("Status"),
        _("Exit date"),
        _("Exit reason"),
    ]
    data = (
        [
            p.person.name,
            p.person.id_masked,
            villages.get(p.person.village_code, p.person.village_code),
            _("Yes") if p.person.is_three_without else "",
            p.posting.title,
            p.posting.enterprise.name,
            p.start_date,
            p.end_date,
            float(p.monthly_allowance),
            p.get_status_display(),
            p.exit_date,
            p.get_exit_reason_display(),
        ]
        for p in rows
    )
    return xlsx_response(
        filename=_("public-welfare placements.xlsx"), sheet=_("Placements"), headers=headers, rows=data
    )


def _placement(request: HttpRequest, pk: int) -> WelfarePlacement:
    found = placement_queryset(_user(request)).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _detail(
    request: HttpRequest, placement: WelfarePlacement, status: int = 200, **forms: Any
) -> HttpResponse:
    active = placement.status == WelfarePlacementStatus.ACTIVE
    next_month = None
    months = list(placement.work_months.select_related("recorded_by"))
    if months:
        last = months[-1].month
        next_month = (
            last.replace(year=last.year + 1, month=1)
            if last.month == 12
            else last.replace(month=last.month + 1)
        )
    month_initial = {
        "month": (next_month or placement.start_date).strftime("%Y-%m"),
        "allowance_paid": placement.monthly_allowance,
    }
    return render(
        request,
        "jobs/welfare_detail.html",
        {
            "placement": placement,
            "person": placement.person,
            "village": region_names({placement.person.village_code}).get(placement.person.village_code, ""),
            "months": months,
            "total_days": sum(m.days_worked for m in months),
            "total_paid": sum(m.allowance_paid for m in months),
            "history": placement_history(placement),
            "active": active,
            "month_form": forms.get("month_form") or WorkMonthForm(initial=month_initial),
            "renew_form": forms.get("renew_form")
            or RenewForm(initial={"monthly_allowance": placement.monthly_allowance}),
            "exit_form": forms.get("exit_form") or ExitForm(),
        },
        status=status,
    )


@require_perm(PERM)
def welfare_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    placement = _placement(request, pk)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="jobs.welfareplacement",
        object_id=placement.pk,
        request=request,
    )
    return _detail(request, placement)


@require_perm(PERM)
@require_POST
def welfare_month_view(request: HttpRequest, pk: int) -> HttpResponse:
    placement = _placement(request, pk)
    form = WorkMonthForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            work_month_record(
                actor=request.user,
                placement=placement,
                month=d["month"],
                days_worked=d["days_worked"],
                allowance_paid=d["allowance_paid"],
                note=d.get("note") or "",
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Recorded %(month)s.") % {"month": d["month"].strftime("%Y-%m")})
            return redirect("jobs:welfare_detail", pk=placement.pk)
    return _detail(request, placement, status=400, month_form=form)


@require_perm(PERM)
@require_POST
def welfare_renew_view(request: HttpRequest, pk: int) -> HttpResponse:
    placement = _placement(request, pk)
    form = RenewForm(request.POST)
    if form.is_valid():
        try:
            new = placement_renew(
                actor=request.user,
                placement=placement,
                new_end_date=form.cleaned_data["new_end_date"],
                monthly_allowance=form.cleaned_data["monthly_allowance"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Renewed until %(end)s.") % {"end": new.end_date})
            return redirect("jobs:welfare_detail", pk=new.pk)
    return _detail(request, placement, status=400, renew_form=form)


@require_perm(PERM)
@require_POST
def welfare_exit_view(request: HttpRequest, pk: int) -> HttpResponse:
    placement = _placement(request, pk)
    form = ExitForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            placement_exit(
                actor=request.user,
                placement=placement,
                exit_date=d["exit_date"],
                reason=d["reason"],
                note=d.get("note") or "",
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The exit is recorded and the place is free again."))
            return redirect("jobs:welfare_detail", pk=placement.pk)
    return _detail(request, placement, status=400, exit_form=form)


def _welfare_posting(request: HttpRequest, pk: int) -> Posting:
    """A public-welfare post the user manages or that lies in the user's area; anything else is 404."""
    user = _user(request)
    visible = Q(pk__in=posting_queryset(user).values("pk")) | area_q(user, "area_code")
    found = (
        Posting.objects.filter(visible, is_public_welfare=True, pk=pk).select_related("enterprise").first()
    )
    if found is None:
        raise Http404
    return found


@require_perm(PERM)
@require_http_methods(["GET", "POST"])
def welfare_place_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    posting = _welfare_posting(request, pk)
    form = PlacementForm(
        request.POST or None,
        initial={
            "start_date": posting.start_date,
            "end_date": posting.end_date,
            "monthly_allowance": posting.monthly_min,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            person = welfare_candidates(user=user, posting=posting).filter(pk=d["person"]).first()
            if person is None:
                form.add_error(
                    None, _("Choose a person of the post's township from your area who is not on a post.")
                )
            else:
                try:
                    placement, warnings = placement_create(
                        actor=user,
                        posting=posting,
                        person=person,
                        start_date=d["start_date"],
                        end_date=d["end_date"],
                        monthly_allowance=d["monthly_allowance"],
                        request=request,
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    for warning in warnings:
                        messages.warning(request, warning)
                    messages.success(
                        request,
                        _("%(name)s is placed on “%(title)s”.")
                        % {"name": person.name, "title": posting.title},
                    )
                    return redirect("jobs:welfare_detail", pk=placement.pk)
    q = request.GET.get("q", "").strip()
    candidates_qs = welfare_candidates(user=user, posting=posting)
    if q:
        candidates_qs = candidates_qs.filter(name__icontains=q)
    candidates = list(candidates_qs.select_related("household")[:CANDIDATES_SHOWN])
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type="registry.person",
        request=request,
        changes={"list": True, "count": len(candidates), "purpose": "welfare_place", "posting": posting.pk},
    )
    taken = posting.welfare_placements.filter(status=WelfarePlacementStatus.ACTIVE).count()
    return render(
        request,
        "jobs/welfare_place.html",
        {
            "posting": posting,
            "form": form,
            "candidates": candidates,
            "q": q,
            "villages": region_names({p.village_code for p in candidates}),
            "places_left": max(posting.headcount - max(taken, posting.filled_count), 0),
            "published": posting.status == PostingStatus.PUBLISHED,
            "selected": str(form["person"].value() or ""),
        },
        status=status,
    )


def welfare_posting_context(*, user: Any, posting: Posting) -> dict[str, Any]:
    """What ``jobs/_welfare_placements.html`` needs on a posting's page (empty for other postings)."""
    if not posting.is_public_welfare or not user.can(PERM):
        return {}
    current = list(
        placement_queryset(user)
        .filter(posting=posting, status=WelfarePlacementStatus.ACTIVE)
        .order_by("start_date")
    )
    return {"welfare_placements": current, "welfare_can_place": posting.status == PostingStatus.PUBLISHED}
