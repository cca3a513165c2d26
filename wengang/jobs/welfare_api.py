"""Public-welfare placement routes (公益性岗位安置): the scoped list, one placement with its months, placing a
person, and recording a month, a renewal or an exit. Staff only, as on the pages; another area's placement
is 404; every call writes an audit event (the services audit the writes)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from wengang.accounts.scoping import area_q
from wengang.api.perms import body_schema, read_body, require
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.registry.selectors import person_list

from .models import Posting, WelfarePlacement
from .selectors import posting_queryset
from .welfare import (
    PERM,
    PlacementFilters,
    placement_create,
    placement_exit,
    placement_list,
    placement_queryset,
    placement_renew,
    work_month_record,
)

router = Router(tags=["welfare"])
OBJECT_TYPE = "jobs.welfareplacement"


class PlacementFilterIn(Schema):
    posting_id: int | None = None
    status: str = ""
    area: str = ""
    q: str = ""


class PlacementOut(Schema):
    id: int
    posting_id: int
    posting_title: str
    person_id: int
    person_name: str
    id_number: str
    village_code: str
    is_three_without: bool
    start_date: dt.date
    end_date: dt.date
    monthly_allowance: Decimal
    status: str
    exit_date: dt.date | None
    exit_reason: str
    exit_note: str
    renewed_from_id: int | None

    @staticmethod
    def resolve_posting_title(obj: Any) -> str:
        return str(obj.posting.title)

    @staticmethod
    def resolve_person_name(obj: Any) -> str:
        return str(obj.person.name)

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return str(obj.person.id_masked)

    @staticmethod
    def resolve_village_code(obj: Any) -> str:
        return str(obj.person.village_code)

    @staticmethod
    def resolve_is_three_without(obj: Any) -> bool:
        return bool(obj.person.is_three_without)


class MonthOut(Schema):
    month: dt.date
    days_worked: int
    allowance_paid: Decimal
    note: str


class PlacementDetailOut(PlacementOut):
    months: list[MonthOut]

    @staticmethod
    def resolve_months(obj: Any) -> list[Any]:
        return list(obj.work_months.all())


class PlacementCreatedOut(Schema):
    placement: PlacementOut
    warnings: list[str]


class PlacementIn(Schema):
    posting_id: int
    person_id: int
    start_date: dt.date
    end_date: dt.date
    monthly_allowance: Decimal


class MonthIn(Schema):
    month: dt.date
    days_worked: int
    allowance_paid: Decimal
    note: str = ""


class RenewIn(Schema):
    new_end_date: dt.date
    monthly_allowance: Decimal


class ExitIn(Schema):
    exit_date: dt.date
    reason: str
    note: str = ""


def _placement(user: Any, placement_id: int) -> WelfarePlacement:
    return get_object_or_404(placement_queryset(user), pk=placement_id)


@router.get("/placements", response=list[PlacementOut], url_name="welfare_placements")
@paginate(PageNumberPagination, page_size=50)
def placements(request: HttpRequest, filters: Query[PlacementFilterIn]) -> Any:
    user = require(request, PERM)
    f = PlacementFilters(
        posting=filters.posting_id, status=filters.status, area=filters.area.strip(), q=filters.q.strip()
    )
    described = {k: str(v) for k, v in filters.dict().items() if v not in (None, "")}
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type=OBJECT_TYPE,
        request=request,
        changes={"list": True, "api": True, "filters": described},
    )
    return placement_list(user=user, filters=f)


@router.post(
    "/placements",
    response={201: PlacementCreatedOut, 400: dict, 403: dict, 404: dict},
    url_name="welfare_placements",
    openapi_extra=body_schema(PlacementIn),
)
def place(request: HttpRequest) -> Any:
    """Place a person of the user's area on a published public-welfare post of their township."""
    user = require(request, PERM)
    payload = read_body(request, PlacementIn)
    visible = Q(pk__in=posting_queryset(user).values("pk")) | area_q(user, "area_code")
    posting = get_object_or_404(
        Posting.objects.filter(visible, is_public_welfare=True), pk=payload.posting_id
    )
    person = get_object_or_404(person_list(user=user), pk=payload.person_id)
    placement, warnings = placement_create(
        actor=user,
        posting=posting,
        person=person,
        start_date=payload.start_date,
        end_date=payload.end_date,
        monthly_allowance=payload.monthly_allowance,
        request=request,
    )
    return Status(201, {"placement": placement, "warnings": warnings})


@router.get("/placements/{placement_id}", response=PlacementDetailOut, url_name="welfare_placement")
def placement(request: HttpRequest, placement_id: int) -> Any:
    user = require(request, PERM)
    found = _placement(user, placement_id)
    audit_record(action=Action.VIEW, actor=user, object_type=OBJECT_TYPE, object_id=found.pk, request=request)
    return found


@router.post(
    "/placements/{placement_id}/months",
    response={201: MonthOut, 400: dict, 403: dict, 404: dict},
    url_name="welfare_month",
    openapi_extra=body_schema(MonthIn),
)
def month(request: HttpRequest, placement_id: int) -> Any:
    """Record (or correct) the days worked and the allowance paid in one month of the term."""
    user = require(request, PERM)
    found = _placement(user, placement_id)
    payload = read_body(request, MonthIn)
    row = work_month_record(
        actor=user,
        placement=found,
        month=payload.month,
        days_worked=payload.days_worked,
        allowance_paid=payload.allowance_paid,
        note=payload.note,
        request=request,
    )
    return Status(201, row)


@router.post(
    "/placements/{placement_id}/renew",
    response={201: PlacementOut, 400: dict, 403: dict, 404: dict},
    url_name="welfare_renew",
    openapi_extra=body_schema(RenewIn),
)
def renew(request: HttpRequest, placement_id: int) -> Any:
    """Continue the placement for a new term (a new placement from the day after the old term)."""
    user = require(request, PERM)
    found = _placement(user, placement_id)
    payload = read_body(request, RenewIn)
    new = placement_renew(
        actor=user,
        placement=found,
        new_end_date=payload.new_end_date,
        monthly_allowance=payload.monthly_allowance,
        request=request,
    )
    return Status(201, _placement(user, new.pk))


@router.post(
    "/placements/{placement_id}/exit",
    response={200: PlacementOut, 400: dict, 403: dict, 404: dict},
    url_name="welfare_exit",
    openapi_extra=body_schema(ExitIn),
)
def leave(request: HttpRequest, placement_id: int) -> Any:
    """End the placement and free its place."""
    user = require(request, PERM)
    found = _placement(user, placement_id)
    payload = read_body(request, ExitIn)
    placement_exit(
        actor=user,
        placement=found,
        exit_date=payload.exit_date,
        reason=payload.reason,
        note=payload.note,
        request=request,
    )
    return _placement(user, placement_id)
