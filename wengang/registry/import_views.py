"""Ledger import pages: upload and check, see every rejected row, load in the background, download reports."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wengang.accounts.permissions import require_perm
from wengang.core.excel import XLSX

from .forms import LedgerUploadForm
from .importers import template_xlsx_bytes
from .imports import ledger_import_start, ledger_import_validate
from .models import LedgerImport


def _mine(request: HttpRequest, pk: int) -> LedgerImport:
    """Imports are seen by the account that uploaded them (the rows they hold are in its scope)."""
    try:
        return LedgerImport.objects.select_related("task").get(pk=pk, created_by_id=request.user.pk)
    except LedgerImport.DoesNotExist as exc:
        raise Http404 from exc


def _download(data: bytes, filename: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@require_perm("registry.import")
@require_http_methods(["GET", "POST"])
def import_list_view(request: HttpRequest) -> HttpResponse:
    form = LedgerUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record = ledger_import_validate(
                user=request.user, data=upload.read(), filename=upload.name, request=request
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        except PermissionDenied as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("registry:import_detail", pk=record.pk)
    imports = LedgerImport.objects.filter(created_by_id=request.user.pk).select_related("task")[:30]
    return render(request, "registry/import_list.html", {"form": form, "imports": imports})


@require_perm("registry.import")
def import_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "registry/import_detail.html", {"record": _mine(request, pk)})


@require_perm("registry.import")
@require_POST
def import_start_view(request: HttpRequest, pk: int) -> HttpResponse:
    record = ledger_import_start(user=request.user, record=_mine(request, pk), request=request)
    return redirect("registry:import_detail", pk=record.pk)


@require_perm("registry.import")
def import_report_view(request: HttpRequest, pk: int) -> HttpResponse:
    record = _mine(request, pk)
    if not record.error_report:
        raise Http404
    return _download(bytes(record.error_report), _("rejected-rows-%(n)s.xlsx") % {"n": record.pk})


@require_perm("registry.import")
def import_template_view(request: HttpRequest) -> HttpResponse:
    return _download(template_xlsx_bytes(), _("labour-ledger-template.xlsx"))
