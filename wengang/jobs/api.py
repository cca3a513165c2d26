"""Postings API: scoped like the pages (an employer's token sees only its enterprise's postings)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from wengang.api.perms import require
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.employers.selectors import enterprise_queryset, is_employer_only

from .dispatch import DispatchFilters, dispatch_board
from .selectors import PostingFilters, posting_list, posting_queryset
from .services import posting_create, posting_transition, posting_update

router = Router(tags=["postings"])


class PostingFilterIn(Schema):
    status: str = ""
    area: str = ""
    occupation: str = ""
    enterprise: int | None = None
    key: str = ""
    public_welfare: str = ""
    q: str = ""


class PostingOut(Schema):
    id: int
    enterprise_id: int
    enterprise_name: str
    occupation_code: str | None
    occupation_name: str | None
    title: str
    description: str
    status: str
    headcount: int
    filled_count: int
    open_places: int
    wage_unit: str
    wage_min: Decimal | None
    wage_max: Decimal | None
    wage_note: str
    monthly_min: int | None
    monthly_max: int | None
    age_min: int | None
    age_max: int | None
    certificates: list[str]
    education: str
    area_code: str
    address: str
    latitude: float | None
    longitude: float | None
    board: str
    shift: str
    start_date: dt.date | None
    end_date: dt.date | None
    is_directed_export: bool
    partner_region: str
    is_public_welfare: bool
    review_note: str
    published_at: dt.datetime | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_enterprise_name(obj: Any) -> str:
        return str(obj.enterprise.name)

    @staticmethod
    def resolve_occupation_code(obj: Any) -> str | None:
        return obj.occupation_id

    @staticmethod
    def resolve_occupation_name(obj: Any) -> str | None:
        return obj.occupation.name if obj.occupation_id else None


class PostingIn(Schema):
    enterprise_id: int | None = None
    occupation: str = ""
    title: str
    description: str = ""
    headcount: int
    wage_unit: str = "month"
    wage_min: Decimal | None = None
    wage_max: Decimal | None = None
    wage_note: str = ""
    monthly_min: int | None = None
    monthly_max: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    certificates: list[str] = []
    education: str = ""
    area_code: str | None = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    board: str = "none"
    shift: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    is_directed_export: bool = False
    partner_region: str = ""
    is_public_welfare: bool = False


class PostingPatch(Schema):
    occupation: str | None = None
    title: str | None = None
    description: str | None = None
    headcount: int | None = None
    wage_unit: str | None = None
    wage_min: Decimal | None = None
    wage_max: Decimal | None = None
    wage_note: str | None = None
    monthly_min: int | None = None
    monthly_max: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    certificates: list[str] | None = None
    education: str | None = None
    area_code: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    board: str | None = None
    shift: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    is_directed_export: bool | None = None
    partner_region: str | None = None
    is_public_welfare: bool | None = None


class TransitionIn(Schema):
    to: str = ""
    note: str = ""


class ChangedOut(Schema):
    id: int
    changed: list[str]


class OccupationMatchOut(Schema):
    code: str
    name: str
    score: int
    matched: str
    via: str


class DispatchOut(Schema):
    enterprise_id: int
    enterprise_name: str
    key_category: str
    area_code: str
    postings: int
    headcount: int
    filled: int
    pipeline: int
    shortfall: int
    earliest_start: dt.date | None
    days_to_start: int | None


@router.get("", response=list[PostingOut])
@paginate(PageNumberPagination, page_size=100)
def postings(request: HttpRequest, filters: Query[PostingFilterIn]) -> Any:
    user = require(request, "postings.view")
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type="jobs.posting",
        request=request,
        changes={"list": True, "api": True, "filters": {k: str(v) for k, v in filters.dict().items() if v}},
    )
    return posting_list(user=user, filters=PostingFilters(**filters.dict()))


@router.post("", response={201: PostingOut}, url_name="postings")
def posting_new(request: HttpRequest, payload: PostingIn) -> Any:
    user = require(request, "postings.edit")
    data = payload.dict()
    enterprise_id = data.pop("enterprise_id")
    if is_employer_only(user):
        if enterprise_id not in (None, user.enterprise_id):
            raise HttpError(400, _("You can post only for your own enterprise."))
        enterprise = user.enterprise
    else:
        enterprise = enterprise_queryset(user).filter(pk=enterprise_id).first() if enterprise_id else None
        if enterprise is None:
            raise HttpError(400, _("Choose an enterprise in your area (enterprise_id)."))
    if data.get("area_code") is None:
        data.pop("area_code")
    posting = posting_create(actor=user, enterprise=enterprise, data=data, request=request)
    return 201, posting


@router.get("/dispatch", response=list[DispatchOut])
def dispatch(request: HttpRequest, area: str = "", industry: str = "", category: str = "") -> Any:
    user = require(request, "dispatch.view")
    rows = dispatch_board(
        user=user, filters=DispatchFilters(area=area, industry=industry, category=category), with_detail=False
    )
    audit_record(
        action=Action.VIEW, actor=user, object_type="jobs.dispatch", request=request, changes={"api": True}
    )
    return [
        {
            "enterprise_id": r.enterprise.pk,
            "enterprise_name": r.enterprise.name,
            "key_category": r.enterprise.key_category,
            "area_code": r.enterprise.area_code,
            "postings": r.postings,
            "headcount": r.headcount,
            "filled": r.filled,
            "pipeline": r.pipeline,
            "shortfall": r.shortfall,
            "earliest_start": r.earliest_start,
            "days_to_start": r.days_to_start,
        }
        for r in rows
    ]


@router.get("/occupations/match", response=list[OccupationMatchOut])
def occupation_match(request: HttpRequest, text: str = "") -> Any:
    """Occupations that free text names (e.g. “招聘电焊工两名，要求持证”), best first, for confirmation."""
    require(request, "postings.edit")
    from .occupations import occupation_suggest

    return occupation_suggest(text[:200])


@router.get("/{posting_id}", response=PostingOut)
def posting(request: HttpRequest, posting_id: int) -> Any:
    user = require(request, "postings.view")
    obj = get_object_or_404(posting_queryset(user).select_related("enterprise", "occupation"), pk=posting_id)
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type="jobs.posting",
        object_id=obj.pk,
        request=request,
        changes={"api": True},
    )
    return obj


@router.patch("/{posting_id}", response=ChangedOut, url_name="posting")
def posting_patch(request: HttpRequest, posting_id: int, payload: PostingPatch) -> Any:
    user = require(request, "postings.edit")
    obj = get_object_or_404(posting_queryset(user), pk=posting_id)
    data = payload.dict(exclude_unset=True)
    changed = posting_update(actor=user, posting=obj, data=data, request=request)
    return {"id": obj.pk, "changed": changed}


@router.post("/{posting_id}/transition", response=PostingOut)
def posting_status(request: HttpRequest, posting_id: int) -> Any:
    """Body: ``{"to": "submitted|published|draft|paused|filled|closed", "note": "..."}``.

    The body is read after the role check, so a caller without the right sees 403 whatever it sent.
    """
    user = require(request, "postings.edit")
    obj = get_object_or_404(posting_queryset(user), pk=posting_id)
    try:
        payload = TransitionIn.model_validate_json(request.body or b"{}")
    except ValueError as exc:
        raise HttpError(400, _("The body must be JSON with “to” and an optional “note”.")) from exc
    return posting_transition(actor=user, posting=obj, to=payload.to, note=payload.note, request=request)
