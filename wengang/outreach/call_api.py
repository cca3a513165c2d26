"""Phone-call list routes (包组人员打电话): the caller's list (phones masked, pages of 50), adding a person,
dialling (the number revealed through the registry's audited unmask, as on the page) and recording an
outcome with what followed. A call outside the caller's area is 404, exactly as on the pages."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from wengang.api.perms import read_body, require
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.registry.models import Person
from wengang.registry.selectors import person_get

from . import calls
from .choices import CallOutcome, MessageState
from .models import Message

router = Router(tags=["outreach"])

PAGE_SIZE = 50


def _call(user: Any, call_id: int) -> Message:
    try:
        return calls.call_get(user=user, pk=call_id)
    except Message.DoesNotExist as exc:
        raise HttpError(404, calls.call_unavailable()) from exc


class PostingOut(Schema):
    id: int
    title: str
    enterprise: str
    pay: str
    place: str
    open: bool


class CallOut(Schema):
    id: int
    person_id: int | None
    name: str
    phone: str = Field(description="Masked; POST …/dial reveals the full number (audited).")
    may_call: bool
    area_code: str
    village: str
    reason: str
    note: str
    postings: list[PostingOut]
    campaign_id: int | None
    campaign: str
    state: str
    attempts: int
    created_at: dt.datetime


class CallPageOut(Schema):
    items: list[CallOut]
    count: int


class CallFilterIn(Schema):
    area: str = ""
    q: str = ""
    campaign: int | None = None
    page: int = Field(1, ge=1)


class CallAddIn(Schema):
    """All optional so that the service names what is missing (400) after the role check."""

    person_id: int | None = None
    reason: str = ""
    postings: list[int] = Field(default_factory=list)
    note: str = ""


class OutcomeIn(Schema):
    outcome: str = ""
    note: str = ""
    guidance_given: bool = False


class DialOut(Schema):
    id: int
    phone: str = Field(description="The full number to dial; revealing it is audited as an unmask.")
    call: CallOut


class OutcomeOut(Schema):
    id: int
    state: str
    outcome: str
    attempts: int
    relisted_on: dt.date | None = Field(
        None, description="No answer: the date the call is back on the list; null otherwise."
    )
    referrals: list[int] = Field(description="Referrals created for an interested person.")
    service_records: list[int] = Field(description="131 service records added (open priority case).")
    not_done: list[str] = Field(description="What could not be done, and why (e.g. referral skipped).")


def _rows(messages: list[Message]) -> list[dict[str, Any]]:
    """Each call with its village name, its postings described and whether it may be made (masked)."""
    out: list[dict[str, Any]] = []
    for group in calls.call_groups(messages):
        for row in group.rows:
            m, person = row.message, row.message.person
            out.append(
                {
                    "id": m.pk,
                    "person_id": m.person_id,
                    "name": person.name if person else "",
                    "phone": person.phone_masked if person and row.may_call else "",
                    "may_call": row.may_call,
                    "area_code": m.area_code,
                    "village": group.name,
                    "reason": m.body,
                    "note": m.call_note,
                    "postings": [
                        {
                            "id": p.pk,
                            "title": p.title,
                            "enterprise": p.enterprise,
                            "pay": p.pay,
                            "place": p.place,
                            "open": p.open,
                        }
                        for p in row.postings
                    ],
                    "campaign_id": m.campaign_id,
                    "campaign": m.campaign.name if m.campaign else "",
                    "state": m.state,
                    "attempts": m.attempts,
                    "created_at": m.created_at,
                }
            )
    return out


@router.get("/calls", response=CallPageOut, url_name="outreach_calls")
def call_list(request: HttpRequest, filters: Query[CallFilterIn]) -> Any:
    """Calls due in your area, by village then oldest first, 50 a page (``page``); phones masked."""
    user = require(request, "outreach.calls")
    f = calls.CallFilters(area=filters.area.strip(), q=filters.q.strip(), campaign=filters.campaign)
    qs = calls.call_list(user=user, filters=f)
    total = qs.count()
    start = (filters.page - 1) * PAGE_SIZE
    items = _rows(list(qs[start : start + PAGE_SIZE]))
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type=calls.OBJECT_TYPE,
        request=request,
        changes={
            "list": "calls",
            "api": True,
            "count": total,
            "filters": {k: v for k, v in vars(f).items() if v},
        },
    )
    return {"items": items, "count": total}


@router.post(
    "/calls",
    response={201: CallOut, 400: dict, 403: dict},
    url_name="outreach_call_add",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": CallAddIn.model_json_schema()}}}
    },
)
def call_add(request: HttpRequest) -> Any:
    """Body: ``{"person_id": 1, "reason": "春风行动岗位", "postings": [12, 13], "note": ""}``.

    A person who does not consent to phone calls is recorded as ``skipped`` and never listed; the same
    call twice on one day is one call."""
    user = require(request, "outreach.calls")
    payload = read_body(
        request,
        CallAddIn,
        _("The body must be JSON with “person_id” and “reason”, and optionally “postings” and “note”."),
    )
    try:
        person = person_get(user=user, pk=payload.person_id or 0)
    except Person.DoesNotExist as exc:
        raise ValidationError({"person_id": _("No such person in your area.")}) from exc
    message = calls.call_add(
        actor=user,
        person=person,
        reason=payload.reason,
        postings=payload.postings,
        note=payload.note,
        request=request,
    )
    return Status(201, _rows([calls.call_get(user=user, pk=message.pk)])[0])


@router.post(
    "/calls/{call_id}/dial",
    response={200: DialOut, 400: dict, 403: dict, 404: dict},
    url_name="outreach_call_dial",
)
def call_dial(request: HttpRequest, call_id: int) -> Any:
    """The full number, revealed through the registry's audited unmask (reason “电话联系”); refused (400)
    once the call is recorded or the person no longer accepts calls."""
    user = require(request, "outreach.calls")
    message = _call(user, call_id)
    number = calls.call_dial(actor=user, message=message, request=request)
    return {"id": message.pk, "phone": number, "call": _rows([message])[0]}


@router.post(
    "/calls/{call_id}/outcome",
    response={200: OutcomeOut, 400: dict, 403: dict, 404: dict},
    url_name="outreach_call_outcome",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": OutcomeIn.model_json_schema()}}}
    },
)
def call_outcome(request: HttpRequest, call_id: int) -> Any:
    """Body: ``{"outcome": "reached|no_answer|wrong_number|interested|not_interested", "note": "",
    "guidance_given": false}``. The answer says what followed: referrals (interested), 131 service records
    (open priority case), what was skipped and why, and for no answer the date it is back on the list.

    The body is read after the role and scope checks, so a caller without the right sees 403 (or 404)
    whatever it sent.
    """
    user = require(request, "outreach.calls")
    message = _call(user, call_id)
    payload = read_body(
        request,
        OutcomeIn,
        _("The body must be JSON with “outcome”, and optionally “note” and “guidance_given”."),
    )
    result = calls.call_record(
        actor=user,
        message=message,
        outcome=payload.outcome,
        note=payload.note,
        guidance_given=payload.guidance_given,
        request=request,
    )
    m = result.message
    relisted = m.state == MessageState.QUEUED and m.call_outcome == CallOutcome.NO_ANSWER
    return {
        "id": m.pk,
        "state": m.state,
        "outcome": m.call_outcome,
        "attempts": m.attempts,
        "relisted_on": timezone.localtime(m.next_attempt_at).date() if relisted else None,
        "referrals": result.referrals,
        "service_records": result.records,
        "not_done": result.skipped,
    }
