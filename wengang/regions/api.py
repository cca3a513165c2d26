from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from wengang.api.perms import require

from .selectors import region_list

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None
    longitude: Decimal | None
    latitude: Decimal | None
    data_version: str
    valid_to: str | None
    is_statistical: bool

    @staticmethod
    def resolve_parent_code(obj: Any) -> str | None:
        return obj.parent.code if obj.parent_id else None

    @staticmethod
    def resolve_valid_to(obj: Any) -> str | None:
        return obj.valid_to.isoformat() if obj.valid_to else None


@router.get("/", response=list[RegionOut])
@paginate(PageNumberPagination, page_size=100)
def regions(request: HttpRequest, level: str = "", parent: str = "", q: str = "") -> Any:
    user = require(request, "regions.view")
    return region_list(user=user, level=level, parent=parent, q=q)


@router.get("/{code}", response=RegionOut)
def region(request: HttpRequest, code: str) -> Any:
    user = require(request, "regions.view")
    return get_object_or_404(region_list(user=user, include_old=True), code=code)
