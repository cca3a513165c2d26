"""Enterprise routes. Staff see enterprises in their area; an enterprise's own token sees only itself."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from wengang.api.perms import require
from wengang.audit.models import Action
from wengang.audit.services import audit_record

from .selectors import EnterpriseFilters, enterprise_list
from .services import enterprise_create, enterprise_update

router = Router(tags=["enterprises"])


class EnterpriseFilterIn(Schema):
    q: str = ""
    area: str = ""
    industry: str = ""
    key: str = ""


class EnterpriseOut(Schema):
    id: int
    uscc: str
    name: str
    area_code: str
    address: str
    industry_section: str
    industry_division: str
    size: str
    contact_name: str
    contact_phone: str
    staff_count: int | None
    key_category: str
    key_designated_by: str | None
    key_designated_at: dt.datetime | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_key_designated_by(obj: Any) -> str | None:
        user = obj.key_designated_by
        return user.get_username() if user is not None else None


class EnterpriseIn(Schema):
    uscc: str
    name: str
    area_code: str
    address: str = ""
    industry_division: str = ""
    size: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    staff_count: int | None = None


class EnterprisePatch(Schema):
    uscc: str | None = None
    name: str | None = None
    area_code: str | None = None
    address: str | None = None
    industry_division: str | None = None
    size: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    staff_count: int | None = None


class ChangedOut(Schema):
    id: int
    changed: list[str]


@router.get("", response=list[EnterpriseOut])
@paginate(PageNumberPagination, page_size=50)
def enterprises(request: HttpRequest, filters: Query[EnterpriseFilterIn]) -> Any:
    user = require(request, "enterprises.view")
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type="employers.enterprise",
        request=request,
        changes={"list": True, "api": True, "filters": {k: v for k, v in filters.dict().items() if v}},
    )
    return enterprise_list(user=user, filters=EnterpriseFilters(**filters.dict())).select_related(
        "key_designated_by"
    )


@router.get("/{enterprise_id}", response=EnterpriseOut)
def enterprise(request: HttpRequest, enterprise_id: int) -> Any:
    user = require(request, "enterprises.view")
    obj = get_object_or_404(enterprise_list(user=user).select_related("key_designated_by"), pk=enterprise_id)
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type="employers.enterprise",
        object_id=obj.pk,
        request=request,
        changes={"api": True},
    )
    return obj


@router.post("", response={201: EnterpriseOut, 400: dict, 403: dict}, url_name="enterprises")
def enterprise_create_api(request: HttpRequest, payload: EnterpriseIn) -> Any:
    user = require(request, "enterprises.create")
    return Status(201, enterprise_create(actor=user, data=payload.dict(), request=request))


@router.patch("/{enterprise_id}", response={200: ChangedOut, 400: dict, 403: dict}, url_name="enterprise")
def enterprise_update_api(request: HttpRequest, enterprise_id: int, payload: EnterprisePatch) -> Any:
    user = require(request, "enterprises.edit")
    obj = get_object_or_404(enterprise_list(user=user), pk=enterprise_id)
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None or k == "staff_count"}
    changed = enterprise_update(actor=user, enterprise=obj, data=data, request=request)
    return Status(200, ChangedOut(id=obj.pk, changed=changed))
