"""Outreach routes: segments (list, create, preview), templates (list, create), campaigns (list, create,
detail with counts, submit, approve, cancel) and a campaign's messages (masked, keyset pages). Everything
is read through the scoped selectors: another area's campaign is 404, exactly as on the pages."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from wengang.api.perms import read_body, require
from wengang.audit.models import Action
from wengang.audit.services import audit_record

from .campaigns import (
    campaign_approve,
    campaign_cancel,
    campaign_counts,
    campaign_create,
    campaign_list,
    campaign_refresh,
    campaign_submit,
    template_list,
    template_save,
)
from .models import Campaign, Message
from .rendering import mask_name
from .segments import filters_clean, segment_list, segment_preview, segment_save

router = Router(tags=["outreach"])

MESSAGE_PAGE = 100


def _view(user: Any, request: HttpRequest, object_type: str, object_id: Any = "", **changes: Any) -> None:
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type=object_type,
        object_id=object_id,
        request=request,
        changes={"api": True, **changes},
    )


# --- Segments


class SegmentOut(Schema):
    id: int
    name: str
    filters: dict[str, Any]
    area_code: str
    updated_at: dt.datetime


class SegmentIn(Schema):
    name: str = ""
    filters: dict[str, Any] = Field(default_factory=dict)


class PreviewIn(Schema):
    filters: dict[str, Any] = Field(default_factory=dict)
    template_id: int | None = None


class PreviewOut(Schema):
    total: int
    reachable: dict[str, int]
    samples: list[str]


@router.get("/segments", response=list[SegmentOut], url_name="outreach_segments")
@paginate(PageNumberPagination, page_size=50)
def segments(request: HttpRequest) -> Any:
    user = require(request, "outreach.view")
    _view(user, request, "outreach.segment", list=True)
    return segment_list(user=user)


@router.post(
    "/segments",
    response={201: SegmentOut, 400: dict, 403: dict},
    url_name="outreach_segment_create",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": SegmentIn.model_json_schema()}}}
    },
)
def segment_create(request: HttpRequest) -> Any:
    """Body: ``{"name": "…", "filters": {"area": "410329001", "status": "…", "priority": "1", …}}``."""
    user = require(request, "outreach.send")
    payload = read_body(request, SegmentIn, _("The body must be JSON with “name” and “filters”."))
    return Status(201, segment_save(actor=user, name=payload.name, filters=payload.filters, request=request))


@router.post(
    "/segments/preview",
    response={200: PreviewOut, 400: dict, 403: dict},
    url_name="outreach_segment_preview",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": PreviewIn.model_json_schema()}}}
    },
)
def segment_preview_route(request: HttpRequest) -> Any:
    """How many people the filters select in your area, how many each channel reaches, masked samples."""
    user = require(request, "outreach.view")
    payload = read_body(
        request, PreviewIn, _("The body must be JSON with “filters” and, optionally, “template_id”.")
    )
    template = None
    if payload.template_id:
        template = template_list(user=user).filter(pk=payload.template_id).first()
        if template is None:
            raise HttpError(404, _("No such template in your area."))
    preview = segment_preview(
        user=user,
        filters=filters_clean(payload.filters),
        template_body=template.body if template else "",
        essential=template.essential if template else False,
    )
    return {"total": preview.total, "reachable": preview.reachable, "samples": preview.samples}


# --- Templates


class TemplateOut(Schema):
    id: int
    name: str
    body: str
    essential: bool
    wechat_template_id: str
    area_code: str
    updated_at: dt.datetime


class TemplateIn(Schema):
    name: str = ""
    body: str = ""
    essential: bool = False
    wechat_template_id: str = ""


@router.get("/templates", response=list[TemplateOut], url_name="outreach_templates")
@paginate(PageNumberPagination, page_size=50)
def templates(request: HttpRequest) -> Any:
    user = require(request, "outreach.view")
    _view(user, request, "outreach.template", list=True)
    return template_list(user=user)


@router.post(
    "/templates",
    response={201: TemplateOut, 400: dict, 403: dict},
    url_name="outreach_template_create",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": TemplateIn.model_json_schema()}}}
    },
)
def template_create(request: HttpRequest) -> Any:
    """Body: ``{"name": "…", "body": "{姓名}您好…", "essential": false}``; refused (400) with the SMS count
    when the longest plausible text runs over 3 SMS, or naming an unknown variable."""
    user = require(request, "outreach.send")
    payload = read_body(request, TemplateIn, _("The body must be JSON with “name” and “body”."))
    template = template_save(
        actor=user,
        name=payload.name,
        body=payload.body,
        essential=payload.essential,
        wechat_template_id=payload.wechat_template_id,
        request=request,
    )
    return Status(201, template)


# --- Campaigns


class CampaignOut(Schema):
    id: int
    name: str
    segment_id: int
    template_id: int
    channels: list[str]
    status: str
    urgent: bool
    scheduled_at: dt.datetime | None
    area_code: str
    audience_size: int
    created_by: str
    approved_by: str
    approved_at: dt.datetime | None
    queued_at: dt.datetime | None
    finished_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_created_by(obj: Any) -> str:
        return obj.created_by.username if obj.created_by_id else ""

    @staticmethod
    def resolve_approved_by(obj: Any) -> str:
        return obj.approved_by.username if obj.approved_by_id else ""


class TaskOut(Schema):
    id: str
    status: str
    progress: int
    rows_done: int
    rows_total: int
    message: str


class CampaignDetailOut(CampaignOut):
    counts: dict[str, dict[str, int]]
    task: TaskOut | None

    @staticmethod
    def resolve_counts(obj: Any) -> dict[str, dict[str, int]]:
        return campaign_counts(obj)

    @staticmethod
    def resolve_task(obj: Any) -> dict[str, Any] | None:
        t = obj.task
        if t is None:
            return None
        return {
            "id": str(t.pk),
            "status": t.status,
            "progress": t.progress,
            "rows_done": t.rows_done,
            "rows_total": t.rows_total,
            "message": t.message,
        }


class CampaignIn(Schema):
    name: str = ""
    segment_id: int | None = None
    template_id: int | None = None
    channels: list[str] = Field(default_factory=lambda: ["sms"])
    urgent: bool = False
    scheduled_at: dt.datetime | None = None


class CampaignFilterIn(Schema):
    status: str = ""
    q: str = ""


def _campaign(user: Any, campaign_id: int) -> Campaign:
    return get_object_or_404(campaign_list(user=user), pk=campaign_id)


@router.get("/campaigns", response=list[CampaignOut], url_name="outreach_campaigns")
@paginate(PageNumberPagination, page_size=50)
def campaigns(request: HttpRequest, filters: Query[CampaignFilterIn]) -> Any:
    user = require(request, "outreach.view")
    qs = campaign_list(user=user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q.strip():
        qs = qs.filter(name__icontains=filters.q.strip())
    _view(user, request, "outreach.campaign", list=True)
    return qs


@router.post(
    "/campaigns",
    response={201: CampaignDetailOut, 400: dict, 403: dict},
    url_name="outreach_campaign_create",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": CampaignIn.model_json_schema()}}}
    },
)
def campaign_create_route(request: HttpRequest) -> Any:
    """Body: ``{"name": "…", "segment_id": 1, "template_id": 2, "channels": ["wechat", "sms"],
    "scheduled_at": null}``; the campaign is a draft until submitted."""
    user = require(request, "outreach.send")
    payload = read_body(
        request,
        CampaignIn,
        _("The body must be JSON with “name”, “segment_id”, “template_id” and “channels”."),
    )
    segment = segment_list(user=user).filter(pk=payload.segment_id or 0).first()
    if segment is None:
        raise ValidationError({"segment_id": _("No such segment in your area.")})
    template = template_list(user=user).filter(pk=payload.template_id or 0).first()
    if template is None:
        raise ValidationError({"template_id": _("No such template in your area.")})
    campaign = campaign_create(
        actor=user,
        name=payload.name,
        segment=segment,
        template=template,
        channels=payload.channels,
        urgent=payload.urgent,
        scheduled_at=payload.scheduled_at,
        request=request,
    )
    return Status(201, campaign)


@router.get("/campaigns/{campaign_id}", response=CampaignDetailOut, url_name="outreach_campaign")
def campaign(request: HttpRequest, campaign_id: int) -> Any:
    user = require(request, "outreach.view")
    found = campaign_refresh(_campaign(user, campaign_id))
    _view(user, request, "outreach.campaign", found.pk)
    return found


def _transition(request: HttpRequest, campaign_id: int, perm: str, action: Any) -> Any:
    user = require(request, perm)
    found = _campaign(user, campaign_id)
    action(actor=user, campaign=found, request=request)
    return _campaign(user, campaign_id)


@router.post(
    "/campaigns/{campaign_id}/submit",
    response={200: CampaignDetailOut, 400: dict, 403: dict, 404: dict},
    url_name="outreach_campaign_submit",
)
def submit(request: HttpRequest, campaign_id: int) -> Any:
    """Count the audience; above the city's size it awaits approval, else it is scheduled or queued."""
    return _transition(request, campaign_id, "outreach.send", campaign_submit)


@router.post(
    "/campaigns/{campaign_id}/approve",
    response={200: CampaignDetailOut, 400: dict, 403: dict, 404: dict},
    url_name="outreach_campaign_approve",
)
def approve(request: HttpRequest, campaign_id: int) -> Any:
    """A second administrator (not the creator, the campaign's area in scope) approves it."""
    return _transition(request, campaign_id, "outreach.approve", campaign_approve)


@router.post(
    "/campaigns/{campaign_id}/cancel",
    response={200: CampaignDetailOut, 400: dict, 403: dict, 404: dict},
    url_name="outreach_campaign_cancel",
)
def cancel(request: HttpRequest, campaign_id: int) -> Any:
    return _transition(request, campaign_id, "outreach.send", campaign_cancel)


class MessageOut(Schema):
    id: int
    person_id: int | None
    name: str
    area_code: str
    channel: str
    state: str
    segments: int
    postings: list[int]
    created_at: dt.datetime
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None
    last_error: str


class MessagePageOut(Schema):
    items: list[MessageOut]
    next_after: int | None = Field(None, description="Pass as `after` for the next page; null at the end.")


@router.get(
    "/campaigns/{campaign_id}/messages", response=MessagePageOut, url_name="outreach_campaign_messages"
)
def campaign_messages(request: HttpRequest, campaign_id: int, after: int = 0, state: str = "") -> Any:
    """The campaign's messages by id, 100 a page (``after`` = the last id seen); names masked, no text or
    address (the text carries the name)."""
    user = require(request, "outreach.view")
    found = _campaign(user, campaign_id)
    qs = Message.objects.filter(campaign=found, id__gt=after).select_related("person").order_by("id")
    if state:
        qs = qs.filter(state=state)
    rows = list(qs[: MESSAGE_PAGE + 1])
    more = len(rows) > MESSAGE_PAGE
    rows = rows[:MESSAGE_PAGE]
    items = [
        {
            "id": m.pk,
            "person_id": m.person_id,
            "name": mask_name(m.person.name) if m.person else "",
            "area_code": m.area_code,
            "channel": m.channel,
            "state": m.state,
            "segments": m.segments,
            "postings": list(m.postings or []),
            "created_at": m.created_at,
            "sent_at": m.sent_at,
            "delivered_at": m.delivered_at,
            "last_error": m.last_error,
        }
        for m in rows
    ]
    _view(user, request, "outreach.campaign", found.pk, messages=True, after=after)
    return {"items": items, "next_after": rows[-1].pk if more and rows else None}
