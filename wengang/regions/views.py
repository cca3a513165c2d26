from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from wengang.accounts.permissions import require_perm
from wengang.core.excel import xlsx_response

from .choices import Level
from .models import Region, RegionCodeChange
from .selectors import region_get, region_list


def _filters(request: HttpRequest) -> dict[str, str]:
    return {k: request.GET.get(k, "").strip() for k in ("level", "parent", "q")}


def _filtered(request: HttpRequest) -> QuerySet[Region]:
    f = _filters(request)
    return region_list(user=request.user, level=f["level"], parent=f["parent"], q=f["q"])


@require_perm("regions.view")
def region_list_view(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    qs = region_list(user=request.user, level=filters["level"], parent=filters["parent"], q=filters["q"])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "regions/region_list.html",
        {
            "page": page,
            "filters": filters,
            "levels": Level.choices,
            "params": params.urlencode(),
            "changes": RegionCodeChange.objects.all(),
        },
    )


@require_perm("regions.view")
def region_detail_view(request: HttpRequest, code: str) -> HttpResponse:
    try:
        region = region_get(user=request.user, code=code)
    except Region.DoesNotExist as exc:
        raise Http404 from exc
    children = region_list(user=request.user, parent=region.code)
    page = Paginator(children, 100).get_page(request.GET.get("page"))
    return render(request, "regions/region_detail.html", {"region": region, "page": page, "params": ""})


@require_perm("regions.view")
def region_export_view(request: HttpRequest) -> HttpResponse:
    qs = _filtered(request)
    rows = (
        [
            r.code,
            r.name,
            r.get_level_display(),
            r.parent.code if r.parent else "",
            r.longitude if r.longitude is not None else "",
            r.latitude if r.latitude is not None else "",
            r.data_version,
        ]
        for r in qs.iterator(chunk_size=2000)
    )
    headers = [
        _("Area code"),
        _("Name"),
        _("Level"),
        _("Parent code"),
        _("Longitude"),
        _("Latitude"),
        _("Data version"),
    ]
    return xlsx_response(filename="regions.xlsx", sheet=_("Regions"), headers=headers, rows=rows)
