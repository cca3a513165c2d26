"""Pages of the 131 service: the case list (with its Excel export), a case with its records timeline and
the forms to add guidance, job information and training, opening a case from a person, and the county and
city dashboard. Every page writes an audit event; the dashboard shows counts only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wengang.accounts.models import User
from wengang.accounts.permissions import require_perm
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.excel import xlsx_response
from wengang.jobs.models import Posting
from wengang.jobs.selectors import published_postings
from wengang.regions.models import Region
from wengang.registry.selectors import person_list

from . import services
from .choices import TRAINING_KINDS, CaseStatus, RecordKind
from .forms import AssignForm, CaseFilterForm, CaseOpenForm, CloseForm, PostingSearchForm, RecordForm
from .models import PriorityCase
from .selectors import (
    CaseFilters,
    Progress,
    case_get,
    case_list,
    case_queryset,
    dashboard_data,
    recommended_postings,
    specialists_for,
)

PAGE_SIZE = 50
OBJECT_TYPE = services.OBJECT_TYPE


def _user_choices(users: Any) -> list[tuple[int, str]]:
    return [(u.pk, str(u)) for u in users]


def _visible_specialists(user: Any) -> list[tuple[int, str]]:
    ids = case_queryset(user).exclude(specialist=None).values("specialist_id").distinct()
    return _user_choices(User.objects.filter(pk__in=ids).order_by("username"))


def _filters(form: CaseFilterForm) -> CaseFilters:
    if not form.is_bound or not form.is_valid():
        return CaseFilters(status=CaseStatus.OPEN)
    d = form.cleaned_data
    return CaseFilters(
        status=d["status"],
        reason=d["reason"],
        specialist=d["specialist"],
        overdue=d["overdue"] == "1",
        incomplete=d["incomplete"] == "1",
        area=d["area"],
        q=d["q"].strip(),
    )


def _described(f: CaseFilters) -> dict[str, str]:
    return {k: str(v) for k, v in f.__dict__.items() if v not in (None, "", False)}


def _villages(codes: set[str]) -> dict[str, str]:
    rows = Region.objects.filter(code__in=codes).select_related("parent")
    return {r.code: f"{r.parent.name if r.parent else ''} {r.name}".strip() for r in rows}


def _form_and_filters(request: HttpRequest) -> tuple[CaseFilterForm, CaseFilters]:
    form = CaseFilterForm(request.GET or None, specialists=_visible_specialists(request.user))
    return form, _filters(form)


@require_perm("assistance.view")
def case_list_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form, filters = _form_and_filters(request)
    page = Paginator(case_list(user=user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type=OBJECT_TYPE,
        request=request,
        changes={
            "list": True,
            "page": page.number,
            "count": page.paginator.count,
            "filters": _described(filters),
        },
    )
    context = {
        "form": form,
        "page": page,
        "params": params.urlencode(),
        "villages": _villages({c.area_code for c in page}),
        "today": timezone.localdate(),
    }
    return render(request, "assistance/case_list.html", context)


@require_perm("assistance.view")
def case_export_view(request: HttpRequest) -> HttpResponse:
    """The filtered list as Excel, masked IDs and phones, with each case's 1 / 3 / 1 counts."""
    user: Any = request.user
    _form, filters = _form_and_filters(request)
    headers = [_("Name"), _("ID number"), _("Mobile phone"), _("Village code"), _("Reason"), _("Status")]
    headers += [_("Specialist"), _("Opened on"), _("Due date"), _("Career guidance"), _("Job offers")]
    headers += [_("Training"), _("131 complete"), _("Closed on"), _("Close reason")]
    rows: list[list[Any]] = []
    yes, no = _("Yes"), _("No")
    c: Any
    for c in case_list(user=user, filters=filters).iterator(chunk_size=2000):
        complete = Progress(c.n_guidance, c.n_offers, c.n_training).complete
        rows.append(
            [
                c.person.name,
                c.person.id_masked,
                c.person.phone_masked,
                c.area_code,
                c.get_reason_display(),
                c.get_status_display(),
                str(c.specialist) if c.specialist_id else "",
                timezone.localtime(c.opened_at).date(),
                c.due_date,
                c.n_guidance,
                c.n_offers,
                c.n_training,
                yes if complete else no,
                timezone.localtime(c.closed_at).date() if c.closed_at else None,
                c.get_close_reason_display() if c.close_reason else "",
            ]
        )
    audit_record(
        action=Action.EXPORT,
        actor=user,
        object_type=OBJECT_TYPE,
        request=request,
        changes={"rows": len(rows), "filters": _described(filters), "masked": True},
    )
    return xlsx_response(
        filename=_("priority-cases.xlsx"), sheet=_("Priority cases"), headers=headers, rows=rows
    )


def _case(request: HttpRequest, pk: int) -> PriorityCase:
    try:
        return case_get(user=request.user, pk=pk)
    except PriorityCase.DoesNotExist as exc:
        raise Http404 from exc


def _posting_choices(request: HttpRequest, case: PriorityCase) -> dict[str, Any]:
    """Postings to offer: the engine's current recommendations first, else a search of published ones."""
    offered = set(case.records.filter(kind=RecordKind.JOB_OFFER).values_list("posting_id", flat=True))
    recommended = list(recommended_postings(case.person).filter(filled_count__lt=F("headcount")))
    search = PostingSearchForm(request.GET)
    q = search.cleaned_data["pq"].strip() if search.is_valid() else ""
    found: QuerySet[Posting] = published_postings().filter(filled_count__lt=F("headcount"))
    if q:
        found = found.filter(
            Q(title__icontains=q) | Q(occupation__name__icontains=q) | Q(enterprise__name__icontains=q)
        )
    elif recommended:
        found = found.none()
    else:  # nearest first: the person's county, then the rest
        found = found.filter(area_code__startswith=case.area_code[:6])
    return {
        "recommended": recommended,
        "found": list(found.order_by("-published_at", "-id")[:20]),
        "search": search,
        "offered": offered,
    }


def _detail(
    request: HttpRequest, case: PriorityCase, *, failed: dict[str, Any] | None = None
) -> HttpResponse:
    user: Any = request.user
    failed = failed or {}
    specialists = _user_choices(specialists_for(case.area_code))
    context: dict[str, Any] = {
        "case": case,
        "records": case.records.select_related("by", "posting", "posting__enterprise"),
        "village": _villages({case.area_code}).get(case.area_code, case.area_code),
        "can_edit": user.can("assistance.edit") and case.status == CaseStatus.OPEN,
        "can_assign": user.can("assistance.assign") and case.status == CaseStatus.OPEN,
        "guidance_form": failed.get(RecordKind.GUIDANCE) or RecordForm(initial={"kind": RecordKind.GUIDANCE}),
        "offer_form": failed.get(RecordKind.JOB_OFFER) or RecordForm(initial={"kind": RecordKind.JOB_OFFER}),
        "training_form": failed.get("training") or RecordForm(initial={"kind": RecordKind.TRAINING_OFFER}),
        "assign_form": failed.get("assign")
        or AssignForm(
            specialists=specialists, initial={"specialist": case.specialist_id, "due_date": case.due_date}
        ),
        "close_form": failed.get("close") or CloseForm(),
        "open_form": next(iter(failed)) if failed else "",
        "training_kinds": [(k, RecordKind(k).label) for k in sorted(TRAINING_KINDS)],
        "today": timezone.localdate(),
    }
    context.update(_posting_choices(request, case))
    return render(request, "assistance/case_detail.html", context)


@require_perm("assistance.view")
def case_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    audit_record(
        action=Action.VIEW, actor=request.user, object_type=OBJECT_TYPE, object_id=case.pk, request=request
    )
    return _detail(request, case)


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@require_perm("assistance.edit")
@require_POST
def record_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = RecordForm(request.POST)
    kind = request.POST.get("kind", "")
    slot = "training" if kind in TRAINING_KINDS else kind
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.record_add(
                actor=request.user,
                case=case,
                kind=d["kind"],
                date=d["date"],
                content=d["content"],
                outcome=d["outcome"],
                posting=d["posting"],
                channel=d["channel"],
                programme=d["programme"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            _apply_errors(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        else:
            messages.success(request, _("Saved: %(kind)s.") % {"kind": RecordKind(d["kind"]).label})
            return redirect("assistance:case_detail", pk=case.pk)
    return _detail(request, _case(request, pk), failed={slot or RecordKind.GUIDANCE: form})


@require_perm("assistance.assign")
@require_POST
def case_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = AssignForm(request.POST, specialists=_user_choices(specialists_for(case.area_code)))
    if form.is_valid():
        specialist = User.objects.filter(pk=form.cleaned_data["specialist"]).first()
        try:
            services.case_assign(
                actor=request.user,
                case=case,
                specialist=specialist,
                due_date=form.cleaned_data["due_date"],
                request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The case is assigned to %(name)s.") % {"name": specialist})
            return redirect("assistance:case_detail", pk=case.pk)
    return _detail(request, _case(request, pk), failed={"assign": form})


@require_perm("assistance.edit")
@require_POST
def case_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.case_close(
                actor=request.user,
                case=case,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The case is closed."))
            return redirect("assistance:case_detail", pk=case.pk)
    return _detail(request, _case(request, pk), failed={"close": form})


@require_perm("assistance.edit")
@require_http_methods(["GET", "POST"])
def case_open_view(request: HttpRequest, person_id: int) -> HttpResponse:
    """Add a person of the registry as a priority case, with the reason."""
    user: Any = request.user
    person = person_list(user=user).filter(pk=person_id).first()
    if person is None:
        raise Http404
    existing = case_queryset(user).filter(person=person, status=CaseStatus.OPEN).first()
    specialists = _user_choices(specialists_for(person.village_code))
    form = CaseOpenForm(request.POST if request.method == "POST" else None, specialists=specialists)
    if request.method == "POST" and existing is None and form.is_valid():
        d = form.cleaned_data
        try:
            case = services.case_open(
                actor=user,
                person=person,
                reason_note=d["reason_note"],
                due_date=d["due_date"],
                specialist=User.objects.filter(pk=d["specialist"]).first() if d["specialist"] else None,
                request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is now a priority case.") % {"name": person.name})
            return redirect("assistance:case_detail", pk=case.pk)
    return render(
        request, "assistance/case_open.html", {"person": person, "form": form, "existing": existing}
    )


@require_perm("assistance.dashboard")
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Completion rates per area and caseloads; names of people never appear, so leadership may see it."""
    user: Any = request.user
    data = dashboard_data(user=user)
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type=OBJECT_TYPE,
        request=request,
        changes={"dashboard": True, "cases": data["totals"]["cases"]},
    )
    chart = [
        {"name": a["name"], "rate": a["rate"], "complete": a["complete"], "cases": a["cases"]}
        for a in data["areas"]
    ]
    context = {
        **data,
        "chart": chart,
        "can_list": user.can("assistance.view"),
        "show_staff": user.can("assistance.view"),
    }
    return render(request, "assistance/dashboard.html", context)
