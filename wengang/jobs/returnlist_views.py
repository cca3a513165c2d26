"""Returning-worker list pages: an enterprise uploads its list and follows the bureau's contact status;
staff see the rows of their area, record contact, link unmatched rows to registry people, and export."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_http_methods

from wengang.accounts.permissions import require_perm
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.excel import XLSX, xlsx_response
from wengang.core.forms import add_service_errors
from wengang.employers.selectors import is_employer_only
from wengang.regions.selectors import region_names
from wengang.registry.selectors import PersonFilters, person_list

from .choices import ContactStatus, MatchMethod
from .models import ReturnWorker, ReturnWorkerList
from .returnlist_forms import (
    ContactForm,
    MatchForm,
    PersonSearchForm,
    ReturnListUploadForm,
    ReturnWorkerFilterForm,
)
from .returnlists import (
    MANUAL_MATCH,
    TEMPLATE_HEADERS,
    return_list_upload,
    return_worker_contact,
    return_worker_match,
    status_counts,
)
from .selectors import return_list_queryset, return_worker_queryset

METHOD_LABELS: dict[str, Any] = {**dict(MatchMethod.choices), MANUAL_MATCH: gettext_lazy("Linked by staff")}


def _visible_lists(user: Any) -> QuerySet[ReturnWorkerList]:
    """Employers: their own lists. Staff: lists of enterprises in their area, and any list with a row
    matched to a person of their area (the worker's home staff make the call, wherever the enterprise is)."""
    own = return_list_queryset(user)
    if is_employer_only(user):
        return own.select_related("enterprise")
    rows = return_worker_queryset(user).values("worker_list_id")
    return ReturnWorkerList.objects.filter(Q(pk__in=own.values("pk")) | Q(pk__in=rows)).select_related(
        "enterprise"
    )


def _worker_filters(request: HttpRequest, qs: QuerySet[ReturnWorker]) -> tuple[Any, QuerySet[ReturnWorker]]:
    form = ReturnWorkerFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data.get("q"):
            qs = qs.filter(name__icontains=data["q"].strip())
        if data.get("status"):
            qs = qs.filter(contact_status=data["status"])
        if data.get("matched") == "1":
            qs = qs.filter(person__isnull=False)
        elif data.get("matched") == "0":
            qs = qs.filter(person__isnull=True)
    return form, qs


def _params(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _filter_summary(form: Any) -> dict[str, str]:
    if not form.is_bound or not form.is_valid():
        return {}
    return {k: str(v) for k, v in form.cleaned_data.items() if v not in (None, "")}


@require_perm("returnlists.view")
def returnlist_list_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    qs = _visible_lists(user)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(enterprise__name__icontains=q) | Q(filename__icontains=q))
    page = Paginator(qs.order_by("-created_at", "-pk"), 50).get_page(request.GET.get("page"))
    ids = [lst.pk for lst in page]
    counts = {
        row["worker_list_id"]: row
        for row in return_worker_queryset(user)
        .filter(worker_list_id__in=ids)
        .order_by()
        .values("worker_list_id")
        .annotate(
            visible=Count("pk"),
            contacted=Count("pk", filter=~Q(contact_status=ContactStatus.NOT_CONTACTED)),
            returning=Count(
                "pk", filter=Q(contact_status__in=[ContactStatus.RETURNING, ContactStatus.RETURNED])
            ),
        )
    }
    rows = [(lst, counts.get(lst.pk, {"visible": 0, "contacted": 0, "returning": 0})) for lst in page]
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type="jobs.returnworkerlist",
        request=request,
        changes={"list": True, "page": page.number, "count": page.paginator.count},
    )
    return render(
        request,
        "jobs/returnlist_list.html",
        {
            "page": page,
            "rows": rows,
            "q": q,
            "params": _params(request),
            "is_employer": is_employer_only(user),
            "can_upload": user.can("returnlists.upload"),
        },
    )


@require_perm("returnlists.upload")
@require_http_methods(["GET", "POST"])
def returnlist_upload_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    initial = {"enterprise": request.GET.get("enterprise")} if request.GET.get("enterprise") else None
    form = ReturnListUploadForm(request.POST or None, request.FILES or None, user=user, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                worker_list = return_list_upload(
                    actor=user,
                    enterprise=form.cleaned_data["enterprise"],
                    uploaded_file=form.cleaned_data["file"],
                    request=request,
                )
            except ValidationError as exc:
                add_service_errors(form, exc, fallback="file")
            except PermissionDenied as exc:
                form.add_error("enterprise" if not form.employer_only else None, str(exc))
                status = 400
            else:
                rejected = len({e["row"] for e in worker_list.errors if e.get("level") == "error"})
                messages.success(
                    request,
                    _("%(rows)d workers saved; %(rejected)d rows rejected (see below).")
                    % {"rows": worker_list.rows, "rejected": rejected}
                    if rejected
                    else _("%(rows)d workers saved.") % {"rows": worker_list.rows},
                )
                return redirect("jobs:returnlist_detail", pk=worker_list.pk)
        if "enterprise" in form.errors:
            # A reference to an enterprise the user may not act for: a bad request, not a typing slip.
            status = 400
    return render(request, "jobs/returnlist_upload.html", {"form": form}, status=status)


def _list_or_404(request: HttpRequest, pk: int) -> ReturnWorkerList:
    return get_object_or_404(_visible_lists(request.user), pk=pk)


@require_perm("returnlists.view")
def returnlist_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    worker_list = _list_or_404(request, pk)
    employer = is_employer_only(user)
    in_list = return_worker_queryset(user).filter(worker_list=worker_list)
    form, qs = _worker_filters(request, in_list)
    page = Paginator(qs.select_related("contacted_by").order_by("row_number", "pk"), 50).get_page(
        request.GET.get("page")
    )
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type="jobs.returnworkerlist",
        object_id=worker_list.pk,
        request=request,
        changes={"page": page.number, "count": page.paginator.count, "filters": _filter_summary(form)},
    )
    context: dict[str, Any] = {
        "worker_list": worker_list,
        "form": form,
        "page": page,
        "params": _params(request),
        "counts": status_counts(in_list),
        "is_employer": employer,
        "errors": [e for e in worker_list.errors if e.get("level") == "error"],
        "warnings": [e for e in worker_list.errors if e.get("level") == "warning"],
        "statuses": ContactStatus.choices,
    }
    if not employer:
        visible_total = in_list.count()
        person_ids = [w.person_id for w in page if w.person_id]
        codes = {w.area_code for w in page if w.area_code}
        context.update(
            {
                "hidden_rows": max(worker_list.rows - visible_total, 0),
                "visible_persons": set(
                    person_list(user=user).filter(pk__in=person_ids).values_list("pk", flat=True)
                ),
                "villages": region_names(codes),
                "method_labels": METHOD_LABELS,
                "can_contact": user.can("returnlists.contact"),
                "next": request.get_full_path(),
            }
        )
    return render(request, "jobs/returnlist_detail.html", context)


def _worker_or_404(request: HttpRequest, pk: int) -> ReturnWorker:
    return get_object_or_404(return_worker_queryset(request.user), pk=pk)


def _next_url(request: HttpRequest, worker: ReturnWorker) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("jobs:returnlist_detail", kwargs={"pk": worker.worker_list_id})


@require_perm("returnlists.contact")
@require_http_methods(["GET", "POST"])
def returnworker_contact_view(request: HttpRequest, pk: int) -> HttpResponse:
    worker = _worker_or_404(request, pk)
    form = ContactForm(
        request.POST or None, initial={"status": worker.contact_status, "note": worker.contact_note}
    )
    if request.method == "POST" and form.is_valid():
        try:
            return_worker_contact(
                actor=request.user,
                worker=worker,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, fallback="status")
        else:
            messages.success(
                request,
                _("Contact with %(name)s recorded: %(status)s.")
                % {"name": worker.name, "status": worker.get_contact_status_display()},
            )
            return redirect(_next_url(request, worker))
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="jobs.returnworker",
        object_id=worker.pk,
        request=request,
    )
    return render(
        request,
        "jobs/returnlist_worker.html",
        {"worker": worker, "form": form, "next": _next_url(request, worker), "mode": "contact"},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_perm("returnlists.contact")
@require_http_methods(["GET", "POST"])
def returnworker_match_view(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    worker = _worker_or_404(request, pk)
    back = reverse("jobs:returnlist_detail", kwargs={"pk": worker.worker_list_id})
    if worker.person_id is not None:
        messages.info(request, _("This row is already matched to a registered person."))
        return redirect(back)
    status = 200
    match_error = ""
    if request.method == "POST":
        match_form = MatchForm(request.POST)
        person = None
        if match_form.is_valid():
            person = person_list(user=user).filter(pk=match_form.cleaned_data["person"]).first()
        if person is None:
            match_error = _("That person is not in the registry of your area.")
            status = 400
        else:
            try:
                return_worker_match(actor=user, worker=worker, person=person, request=request)
            except ValidationError as exc:
                match_error = " ".join(exc.messages)
                status = 400
            else:
                messages.success(
                    request,
                    _("Row %(row)d is now linked to %(name)s.")
                    % {"row": worker.row_number, "name": person.name},
                )
                return redirect(back)
    search = PersonSearchForm(request.GET or {"q": worker.name})
    q = search.cleaned_data["q"].strip() if search.is_valid() else ""
    candidates = list(person_list(user=user, filters=PersonFilters(q=q))[:20]) if q else []
    if q:
        audit_record(
            action=Action.VIEW,
            actor=user,
            object_type="registry.person",
            request=request,
            changes={
                "list": True,
                "count": len(candidates),
                "purpose": "returnworker_match",
                "row": worker.pk,
            },
        )
    villages = region_names({p.village_code for p in candidates})
    return render(
        request,
        "jobs/returnlist_worker.html",
        {
            "worker": worker,
            "search": search,
            "candidates": candidates,
            "villages": villages,
            "match_error": match_error,
            "mode": "match",
            "back": back,
        },
        status=status,
    )


@require_perm("returnlists.upload")
def returnlist_template_view(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "返乡员工名单"
    ws.append(list(TEMPLATE_HEADERS))
    for i, cell in enumerate(ws[1]):
        cell.font = Font(bold=True)
        ws.column_dimensions[cell.column_letter].width = (12, 24, 16, 40)[i]
    for column in ("B", "C"):  # text, so Excel keeps every digit of ID numbers and phones
        for row in range(2, 2002):
            ws[f"{column}{row}"].number_format = "@"
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    for line in (
        _("One worker per row. 姓名 is required; give 联系电话 or 身份证号 (or both)."),
        _("身份证号 is optional; with it the bureau finds the worker exactly."),
        _("居住地址 is where the worker lives now, so the village staff can reach them."),
        _("A title row above the headers and blank rows are fine."),
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 90
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(buf.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(_('returning-workers-template.xlsx'))}"
    )
    return response


@require_perm("returnlists.view")
def returnlist_export_view(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    worker_list = _list_or_404(request, pk)
    employer = is_employer_only(user)
    form, qs = _worker_filters(request, return_worker_queryset(user).filter(worker_list=worker_list))
    workers = list(qs.select_related("contacted_by").order_by("row_number", "pk"))
    audit_record(
        action=Action.EXPORT,
        actor=user,
        object_type="jobs.returnworkerlist",
        object_id=worker_list.pk,
        request=request,
        changes={"rows": len(workers), "filters": _filter_summary(form), "masked": True},
    )
    contacted = [w.contacted_at.strftime("%Y-%m-%d") if w.contacted_at else "" for w in workers]
    if employer:
        headers = [
            _("Row"),
            pgettext("person", "Name"),
            _("Mobile phone"),
            _("Home address"),
            _("Contact status"),
            _("Date"),
        ]
        rows: list[list[Any]] = [
            [w.row_number, w.name, w.phone_masked, w.address, w.get_contact_status_display(), day]
            for w, day in zip(workers, contacted, strict=True)
        ]
    else:
        villages = region_names({w.area_code for w in workers if w.area_code})
        headers = [
            _("Row"),
            pgettext("person", "Name"),
            _("ID number"),
            _("Mobile phone"),
            _("Home address"),
            _("Matched by"),
            _("Village"),
            _("Contact status"),
            _("Contact note"),
            _("Date"),
        ]
        rows = [
            [
                w.row_number,
                w.name,
                w.id_masked,
                w.phone_masked,
                w.address,
                str(METHOD_LABELS.get(w.match_method, w.match_method)),
                villages.get(w.area_code, w.area_code),
                w.get_contact_status_display(),
                w.contact_note,
                day,
            ]
            for w, day in zip(workers, contacted, strict=True)
        ]
    return xlsx_response(
        filename=_("returning-workers-%(n)s.xlsx") % {"n": worker_list.pk},
        sheet=_("Returning workers"),
        headers=headers,
        rows=rows,
    )
