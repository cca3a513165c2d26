"""Enterprise pages: the scoped list with filters and export, the profile, edit, designation and import.

An enterprise's own account (role ``employer``) is sent from the list to its enterprise's page; every other
enterprise's id answers 404, exactly like an enterprise outside a staff member's area.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wengang.accounts.permissions import require_perm
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.excel import XLSX, xlsx_response
from wengang.core.forms import add_service_errors, call_service
from wengang.jobs.choices import OPEN_STATUSES
from wengang.regions.selectors import region_names
from wengang.registry.importers.reading import TableError

from . import importers, industries
from .forms import DesignateForm, EnterpriseFilterForm, EnterpriseForm, EnterpriseImportForm, ImportMode
from .models import Enterprise
from .selectors import EnterpriseFilters, enterprise_list, enterprise_queryset, is_employer_only
from .services import STAFF_FIELDS, enterprise_create, enterprise_designate, enterprise_update

OBJECT_TYPE = "employers.enterprise"


def _filtered(request: HttpRequest) -> tuple[EnterpriseFilterForm, QuerySet[Enterprise], dict[str, str]]:
    form = EnterpriseFilterForm(request.GET or None, user=request.user)
    data: dict[str, str] = {}
    if form.is_bound and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v}
    size = data.pop("size", "")
    qs = enterprise_list(user=request.user, filters=EnterpriseFilters(**data))
    if size:
        qs = qs.filter(size=size)
        data["size"] = size
    qs = qs.annotate(
        open_postings=Count("postings", filter=Q(postings__status__in=OPEN_STATUSES), distinct=True)
    )
    return form, qs, data


def _area_names(codes: set[str]) -> dict[str, str]:
    counties = {c[:6] for c in codes}
    return region_names(counties | codes)


def _area_label(names: dict[str, str], code: str) -> str:
    county = names.get(code[:6], code[:6])
    return county if len(code) == 6 else f"{county}{names.get(code, code)}"


@require_perm("enterprises.view")
def enterprise_list_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if is_employer_only(user):
        if not user.enterprise_id:
            raise Http404
        return redirect("employers:enterprise_detail", pk=user.enterprise_id)
    form, qs, filters = _filtered(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type=OBJECT_TYPE,
        request=request,
        changes={"list": True, "page": page.number, "count": page.paginator.count, "filters": filters},
    )
    names = _area_names({e.area_code for e in page})
    rows = [(e, _area_label(names, e.area_code), industries.name_of(e.industry_division)) for e in page]
    return render(
        request,
        "employers/enterprise_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "params": params.urlencode(),
            "can_create": user.can("enterprises.create"),
            "can_import": user.can("enterprises.import"),
        },
    )


@require_perm("enterprises.view")
def enterprise_export_view(request: HttpRequest) -> HttpResponse:
    if is_employer_only(request.user):
        raise PermissionDenied
    _form, qs, filters = _filtered(request)
    enterprises = list(qs.select_related("key_designated_by"))
    names = _area_names({e.area_code for e in enterprises})
    audit_record(
        action=Action.EXPORT,
        actor=request.user,
        object_type=OBJECT_TYPE,
        request=request,
        changes={"count": len(enterprises), "filters": filters},
    )
    headers = [
        "企业名称", "统一社会信用代码", "所在县区", "区划代码", "地址", "行业代码", "行业", "企业规模",
        "联系人", "联系电话", "职工人数", "在招岗位数", "重点企业类别",
    ]  # fmt: skip
    rows = (
        [
            e.name,
            e.uscc,
            _area_label(names, e.area_code),
            e.area_code,
            e.address,
            e.industry_division,
            industries.name_of(e.industry_division) or "",
            e.get_size_display(),
            e.contact_name,
            e.contact_phone,
            e.staff_count,
            getattr(e, "open_postings", 0),
            e.get_key_category_display(),
        ]  # fmt: skip
        for e in enterprises
    )
    return xlsx_response(filename=_("enterprises.xlsx"), sheet="企业名单", headers=headers, rows=rows)


def _enterprise(request: HttpRequest, pk: int) -> Enterprise:
    try:
        return enterprise_queryset(request.user).select_related("key_designated_by").get(pk=pk)
    except Enterprise.DoesNotExist as exc:
        raise Http404 from exc


def _posting_url(pk: int) -> str:
    try:
        return reverse("jobs:posting_detail", kwargs={"pk": pk})
    except NoReverseMatch:
        return f"/jobs/postings/{pk}/"


@require_perm("enterprises.view")
def enterprise_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = _enterprise(request, pk)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type=OBJECT_TYPE,
        object_id=enterprise.pk,
        request=request,
    )
    postings = list(enterprise.postings.order_by("-created_at")[:50])
    names = _area_names({enterprise.area_code})
    context: dict[str, Any] = {
        "enterprise": enterprise,
        "area": _area_label(names, enterprise.area_code),
        "industry": industries.name_of(enterprise.industry_division) if enterprise.industry_division else "",
        "postings": [(p, _posting_url(p.pk)) for p in postings],
        "open_statuses": set(OPEN_STATUSES),
        "is_employer": is_employer_only(request.user),
        "can_designate": getattr(request.user, "can", lambda _p: False)("enterprises.designate"),
    }
    return render(request, "employers/enterprise_detail.html", context)


@require_perm("enterprises.create")
@require_http_methods(["GET", "POST"])
def enterprise_create_view(request: HttpRequest) -> HttpResponse:
    form = EnterpriseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = enterprise_create(actor=request.user, data=form.cleaned_data, request=request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("area_code", str(exc))
        else:
            messages.success(request, _("%(name)s has been registered.") % {"name": enterprise.name})
            return redirect("employers:enterprise_detail", pk=enterprise.pk)
    return render(request, "employers/enterprise_form.html", {"form": form, "enterprise": None})


@require_perm("enterprises.edit")
@require_http_methods(["GET", "POST"])
def enterprise_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = _enterprise(request, pk)
    employer = is_employer_only(request.user)
    initial = {k: getattr(enterprise, k) for k in STAFF_FIELDS}
    form = EnterpriseForm(
        request.POST or None,
        initial=initial,
        user=request.user,
        employer=employer,
        current_area=enterprise.area_code,
    )
    if request.method == "POST" and form.is_valid():
        ok, changed = call_service(
            form,
            enterprise_update,
            actor=request.user,
            enterprise=enterprise,
            data=form.cleaned_data,
            request=request,
        )
        if ok:
            messages.success(request, _("Saved.") if changed else _("Nothing was changed."))
            return redirect("employers:enterprise_detail", pk=enterprise.pk)
    return render(request, "employers/enterprise_form.html", {"form": form, "enterprise": enterprise})


@require_perm("enterprises.designate")
@require_http_methods(["GET", "POST"])
def enterprise_designate_view(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = _enterprise(request, pk)
    form = DesignateForm(request.POST or None, initial={"category": enterprise.key_category})
    if request.method == "POST" and form.is_valid():
        try:
            enterprise_designate(
                actor=request.user,
                enterprise=enterprise,
                category=form.cleaned_data["category"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, fallback="category")
        else:
            messages.success(request, _("The key-enterprise category has been recorded."))
            return redirect("employers:enterprise_detail", pk=enterprise.pk)
    return render(request, "employers/enterprise_designate.html", {"form": form, "enterprise": enterprise})


def _download(data: bytes, filename: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@require_perm("enterprises.import")
@require_http_methods(["GET", "POST"])
def enterprise_import_view(request: HttpRequest) -> HttpResponse:
    form = EnterpriseImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = importers.enterprise_import(
                user=request.user,
                data=upload.read(),
                filename=upload.name,
                all_or_nothing=form.cleaned_data["mode"] == ImportMode.ALL_OR_NOTHING,
                request=request,
            )
        except TableError as exc:
            form.add_error("file", str(exc))
        else:
            token = ""
            if result.errors:
                token = importers.report_save(
                    user=request.user, data=importers.error_report_xlsx_bytes(result)
                )
            return render(
                request,
                "employers/enterprise_import_result.html",
                {"result": result, "token": token, "mode": form.cleaned_data["mode"]},
            )
    return render(
        request, "employers/enterprise_import.html", {"form": form, "max_rows": f"{importers.MAX_ROWS:,}"}
    )


@require_perm("enterprises.import")
def enterprise_import_template_view(request: HttpRequest) -> HttpResponse:
    return _download(importers.template_xlsx_bytes(), _("enterprise-list-template.xlsx"))


@require_perm("enterprises.import")
def enterprise_import_report_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = importers.report_load(user=request.user, token=token)
    except FileNotFoundError as exc:
        raise Http404 from exc
    return _download(data, _("rejected-enterprises.xlsx"))
