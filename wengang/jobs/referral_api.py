"""Referral routes: list, read, create, and move along the pipeline. Scoped exactly like the pages.

A person or posting the caller may not use is answered 400 with one message whether it does not exist or
belongs to someone else, so ids reveal nothing.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from wengang.api.perms import require
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.employers.selectors import is_employer_only
from wengang.registry.models import Person
from wengang.registry.selectors import person_list

from . import referrals as services
from .models import Posting, Referral
from .selectors import posting_queryset, published_postings, referral_queryset

router = Router(tags=["referrals"])


class ReferralFilterIn(Schema):
    state: str = ""
    source: str = ""
    posting_id: int | None = None
    person_id: int | None = None
    q: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class CandidateOut(Schema):
    """What an enterprise may know of a candidate; staff get the same (masked) plus the village."""

    id: int
    name: str
    gender: str
    age: int
    phone: str
    skills: list[str]
    certificates: list[str]

    @staticmethod
    def resolve_age(obj: Any) -> int:
        return services.age_on(obj.birth_date, timezone.localdate())

    @staticmethod
    def resolve_phone(obj: Any) -> str:
        return str(obj.phone_masked)


class PostingRefOut(Schema):
    id: int
    title: str
    enterprise_id: int
    enterprise_name: str
    area_code: str
    status: str
    headcount: int
    filled_count: int

    @staticmethod
    def resolve_enterprise_name(obj: Any) -> str:
        return str(obj.enterprise.name)


class ReferralOut(Schema):
    id: int
    person: CandidateOut
    posting: PostingRefOut
    source: str
    state: str
    reason: str
    note: str
    hired_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class EventOut(Schema):
    state: str
    reason: str
    note: str
    actor: str
    created_at: dt.datetime

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor) if obj.actor_id else ""


class ReferralDetailOut(ReferralOut):
    events: list[EventOut]
    allowed_next: list[str]

    @staticmethod
    def resolve_events(obj: Any) -> list[Any]:
        return list(obj.events.select_related("actor"))

    @staticmethod
    def resolve_allowed_next(obj: Any, context: Any) -> list[str]:
        return services.allowed_next(context["request"].auth, obj)


class ReferralIn(Schema):
    person_id: int
    posting_id: int
    source: str = "staff"
    note: str = ""


class TransitionIn(Schema):
    to: str = ""
    reason: str = ""
    note: str = ""
    hired_on: dt.date | None = None


def _person_ref(user: Any, person_id: int) -> Person:
    person = person_list(user=user).filter(pk=person_id).first()
    if person is None:
        raise ValidationError({"person_id": services.person_unavailable()})
    return person


def _posting_ref(user: Any, posting_id: int) -> Posting:
    posting = published_postings().filter(pk=posting_id).first()
    if posting is None:
        raise ValidationError({"posting_id": services.posting_unavailable()})
    return posting


def _check_filter_refs(user: Any, f: ReferralFilterIn) -> None:
    """Filtering on a posting or person the caller may not see is refused, not answered with an empty list."""
    if f.posting_id is not None:
        pk = f.posting_id
        known = posting_queryset(user).filter(pk=pk).exists()
        if not known and not is_employer_only(user):
            # Staff refer their people to any published posting, so they may filter on those too.
            known = (
                published_postings().filter(pk=pk).exists()
                or referral_queryset(user).filter(posting_id=pk).exists()
            )
        if not known:
            raise ValidationError({"posting_id": services.posting_unavailable()})
    if f.person_id is not None:
        if is_employer_only(user):
            known = referral_queryset(user).filter(person_id=f.person_id).exists()
        else:
            known = person_list(user=user).filter(pk=f.person_id).exists()
        if not known:
            raise ValidationError({"person_id": services.person_unavailable()})


@router.get("", response=list[ReferralOut], url_name="referrals")
@paginate(PageNumberPagination, page_size=100)
def referrals(request: HttpRequest, filters: Query[ReferralFilterIn]) -> Any:
    user = require(request, "referrals.view")
    _check_filter_refs(user, filters)
    data = filters.dict()
    f = services.ReferralFilters(
        state=data["state"],
        source=data["source"],
        posting=data["posting_id"],
        person=data["person_id"],
        q=data["q"],
        date_from=data["date_from"],
        date_to=data["date_to"],
    )
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type=services.OBJECT_TYPE,
        request=request,
        changes={"list": True, "api": True, "filters": {k: str(v) for k, v in data.items() if v}},
    )
    return services.referral_list(user=user, filters=f)


@router.get("/{referral_id}", response=ReferralDetailOut, url_name="referral")
def referral(request: HttpRequest, referral_id: int) -> Any:
    user = require(request, "referrals.view")
    obj = get_object_or_404(referral_queryset(user), pk=referral_id)
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type=services.OBJECT_TYPE,
        object_id=obj.pk,
        request=request,
        changes={"api": True},
    )
    return obj


@router.post("", response={201: ReferralDetailOut, 400: dict, 403: dict}, url_name="referrals")
def referral_create_api(request: HttpRequest, payload: ReferralIn) -> Any:
    user = require(request, "referrals.create")
    created = services.referral_create(
        actor=user,
        person=_person_ref(user, payload.person_id),
        posting=_posting_ref(user, payload.posting_id),
        source=payload.source,
        note=payload.note,
        request=request,
    )
    return Status(201, referral_queryset(user).get(pk=created.pk))


@router.post(
    "/{referral_id}/transition",
    response={200: ReferralDetailOut, 400: dict, 403: dict, 404: dict},
    url_name="referral_transition",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": TransitionIn.model_json_schema()}}}
    },
)
def referral_transition_api(request: HttpRequest, referral_id: int) -> Any:
    """Body: ``{"to": "...", "reason": "...", "note": "...", "hired_on": "YYYY-MM-DD"}``.

    The body is read after the role and scope checks, so a caller without the right sees 403 (or 404)
    whatever it sent.
    """
    user = require(request, "referrals.edit")
    obj: Referral = get_object_or_404(referral_queryset(user), pk=referral_id)
    try:
        payload = TransitionIn.model_validate_json(request.body or b"{}")
    except ValueError as exc:
        raise HttpError(
            400,
            _("The body must be JSON with “to” and optional “reason”, “note” and “hired_on” (YYYY-MM-DD)."),
        ) from exc
    services.referral_transition(
        actor=user,
        referral=obj,
        to=payload.to,
        reason=payload.reason,
        note=payload.note,
        hired_on=payload.hired_on,
        request=request,
    )
    return Status(200, referral_queryset(user).get(pk=obj.pk))
