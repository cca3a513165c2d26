"""The specialist's queue of workers' correction requests (PIPL Art. 46): list, read, answer.

Staff with ``registry.edit`` see the requests of villages in their scope; a request outside it answers 404.
The answer (accepted or rejected, with a reply) shows on the worker's “我的” page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wengang.accounts.permissions import require_perm
from wengang.accounts.scoping import scope_queryset
from wengang.audit.models import Action
from wengang.audit.services import audit_record

from . import worker_services
from .models import CorrectionRequest, RequestStatus
from .pages_forms import CORRECTION_FIELDS, CorrectionHandleForm

PAGE_SIZE = 50


def correction_queryset(user: object) -> QuerySet[CorrectionRequest]:
    """Requests of villages in the user's scope (nothing without ``registry.edit``)."""
    if not getattr(user, "can", lambda _p: False)("registry.edit"):
        return CorrectionRequest.objects.none()
    return scope_queryset(CorrectionRequest.objects.select_related("person", "handled_by"), user)


def _get(request: HttpRequest, pk: int) -> CorrectionRequest:
    try:
        return correction_queryset(request.user).get(pk=pk)
    except CorrectionRequest.DoesNotExist as exc:
        raise Http404 from exc


@require_GET
@require_perm("registry.edit")
def correction_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", RequestStatus.PENDING)
    qs = correction_queryset(request.user)
    if status in RequestStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("created_at", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(CORRECTION_FIELDS)
    rows = [{"row": c, "field": labels.get(c.field, c.field)} for c in page.object_list]
    return render(
        request,
        "workers/correction_list.html",
        {"page": page, "rows": rows, "status": status, "statuses": RequestStatus.choices},
    )


@require_GET
@require_perm("registry.edit")
def correction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    correction = _get(request, pk)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="workers.correction",
        object_id=correction.pk,
        request=request,
    )
    return render(
        request,
        "workers/correction_detail.html",
        {
            "c": correction,
            "field": dict(CORRECTION_FIELDS).get(correction.field, correction.field),
            "form": CorrectionHandleForm(),
        },
    )


@require_POST
@require_perm("registry.edit")
def correction_handle(request: HttpRequest, pk: int) -> HttpResponse:
    correction = _get(request, pk)
    form = CorrectionHandleForm(request.POST)
    if form.is_valid():
        try:
            worker_services.correction_handle(
                actor=request.user,
                correction=correction,
                status=form.cleaned_data["status"],
                reply=form.cleaned_data["reply"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, _("The reply was recorded; the worker sees it on their page."))
            return redirect("workers:correction_list")
    return render(
        request,
        "workers/correction_detail.html",
        {
            "c": correction,
            "field": dict(CORRECTION_FIELDS).get(correction.field, correction.field),
            "form": form,
        },
    )


urlpatterns: list[URLPattern] = [
    path("review/corrections/", correction_list, name="correction_list"),
    path("review/corrections/<int:pk>/", correction_detail, name="correction_detail"),
    path("review/corrections/<int:pk>/handle/", correction_handle, name="correction_handle"),
]
