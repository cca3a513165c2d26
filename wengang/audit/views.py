"""The auditor's pages: search the log, export it, verify the chain in the background."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wengang.accounts.permissions import require_perm
from wengang.background.services import background_task_start
from wengang.core.excel import xlsx_response

from . import tasks  # noqa: F401  (registers the audit.verify kind)
from .forms import AuditFilterForm
from .models import Action
from .selectors import audit_event_list
from .services import audit_record

EXPORT_LIMIT = 100_000


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, Any]:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = audit_event_list(user=request.user, **{k: v for k, v in filters.items() if v})
    return form, qs


@require_perm("audit.view")
def audit_list_view(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request, "audit/event_list.html", {"form": form, "page": page, "params": params.urlencode()}
    )


@require_perm("audit.view")
def audit_export_view(request: HttpRequest) -> HttpResponse:
    _form, qs = _filtered(request)
    events = list(qs[:EXPORT_LIMIT])
    audit_record(
        action=Action.EXPORT,
        actor=request.user,
        object_type="audit.event",
        changes={"count": len(events), "format": "xlsx", "filters": request.GET.dict()},
        request=request,
    )
    tz = timezone.get_current_timezone()
    rows = [
        [
            e.pk,
            e.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_username,
            e.get_action_display(),
            e.object_type,
            e.object_id,
            e.get_result_display(),
            e.reason,
            e.ip or "",
            str(e.changes),
            e.hash,
        ]
        for e in events
    ]
    headers = [
        _("No."),
        _("Time"),
        _("Actor"),
        _("Action"),
        _("Object type"),
        _("Object id"),
        _("Result"),
        _("Reason"),
        _("IP address"),
        _("Fields changed"),
        _("Hash"),
    ]
    return xlsx_response(filename="audit-log.xlsx", sheet=_("Audit log"), headers=headers, rows=rows)


@require_perm("audit.verify")
@require_POST
def audit_verify_start_view(request: HttpRequest) -> HttpResponse:
    task = background_task_start(kind="audit.verify", user=request.user)
    return redirect("background:task_detail", pk=task.pk)
