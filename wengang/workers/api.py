"""The worker's own API under /me: their record (ID and phone masked), recommendations, applications,
in-site messages, consent per channel and correction requests — the same services as the /m/ pages.

Only a logged-in worker session linked to its person gets in: a staff session or any API token is 403
here, no session 401. Every id is looked up among the worker's own rows, so anyone else's is 404, exactly
like an id that does not exist.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import HttpBearer, SessionAuth

from wengang.accounts.services import token_authenticate
from wengang.api.perms import read_body
from wengang.jobs.choices import OPEN_REFERRAL_STATES
from wengang.jobs.models import Posting, Referral
from wengang.outreach import inbox
from wengang.outreach.models import Message, WeChatBinding
from wengang.portal.selectors import area_labels, board_posting
from wengang.portal.views import monthly_pay, original_pay
from wengang.registry.models import Person

from . import selectors, worker_services
from .auth_services import is_worker_account
from .pages import reason_list
from .pages_forms import CORRECTION_FIELDS, WITHDRAW_REASONS


class TokenRefused(HttpBearer):
    """API tokens are for staff integrations: a valid one is refused here (403), an unknown one ignored."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if token_authenticate(token) is None:
            return None
        raise HttpError(403, _("The worker API takes a worker's login session, not an API token."))


class WorkerSessionAuth(SessionAuth):
    """The /m/ login session of a worker account linked to its person; a staff session is 403."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None:
            return None
        if not is_worker_account(user):
            raise HttpError(403, _("This API is for workers' own accounts; staff use the staff API."))
        if getattr(user, "person_id", None) is None:
            raise HttpError(403, _("Link your account to your record first (on the /m/ pages)."))
        return user


router = Router(tags=["me"], auth=[TokenRefused(), WorkerSessionAuth()])

RECOMMENDATIONS = 50


def _worker(request: HttpRequest) -> Any:
    """The worker account ``WorkerSessionAuth`` let in."""
    return getattr(request, "auth")  # noqa: B009  (set by ninja; HttpRequest's stubs do not know it)


def _person(request: HttpRequest) -> Person:
    person: Person = _worker(request).person
    return person


def _not_found() -> HttpError:
    return HttpError(404, _("Not found."))


# --- Me


class ConsentOut(Schema):
    channel: str
    label: str
    granted: bool


class CorrectionOut(Schema):
    id: int
    field: str
    field_label: str
    text: str
    status: str
    reply: str
    created_at: dt.datetime

    @staticmethod
    def resolve_field_label(obj: Any) -> str:
        return str(dict(CORRECTION_FIELDS).get(obj.field, obj.field))


class ContactOut(Schema):
    name: str
    phone: str
    is_specialist: bool


class EmploymentOut(Schema):
    status: str
    occurred_on: dt.date
    work_province: str
    work_city: str
    employer_name: str


class MeOut(Schema):
    name: str
    id_number: str = Field(description="Masked.")
    phone: str = Field(description="Masked.")
    village_code: str
    village: str
    education: str
    status: str
    status_since: dt.date | None
    latest_employment: EmploymentOut | None
    intent: str
    destination: str
    skills: list[str]
    certificates: list[str]
    consent: list[ConsentOut]
    wechat_bound: bool
    unread_messages: int
    corrections: list[CorrectionOut]
    contact: ContactOut


@router.get("", response=MeOut, url_name="worker_me")
def me(request: HttpRequest) -> Any:
    """Your record as the bureau holds it (ID number and phone masked) and what you may change yourself."""
    person = _person(request)
    latest = person.employment_events.order_by("-occurred_on", "-id").first()
    intent = person.intents.order_by("-recorded_on", "-id").first()
    contact = selectors.my_specialist(person)
    return {
        "name": person.name,
        "id_number": person.id_masked,
        "phone": person.phone_masked,
        "village_code": person.village_code,
        "village": selectors.my_place(person),
        "education": person.education,
        "status": person.status,
        "status_since": person.status_since,
        "latest_employment": latest,
        "intent": person.intent,
        "destination": intent.destination if intent else "",
        "skills": list(person.skills or []),
        "certificates": list(person.certificates or []),
        "consent": [
            {"channel": c.value, "label": c.label, "granted": c.granted}
            for c in selectors.my_consents(person)
        ],
        "wechat_bound": WeChatBinding.objects.filter(person=person).exists(),
        "unread_messages": inbox.inbox_unread_count(person),
        "corrections": list(selectors.my_corrections(person)[:20]),
        "contact": {"name": contact.name, "phone": contact.phone, "is_specialist": contact.is_specialist},
    }


# --- Recommendations and postings


class PostingCardOut(Schema):
    id: int
    title: str
    enterprise: str
    place: str
    pay: str
    pay_note: str


class RecommendationOut(Schema):
    rank: int
    reasons: list[str]
    posting: PostingCardOut


def _card(posting: Posting, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "id": posting.pk,
        "title": posting.title,
        "enterprise": posting.enterprise.name,
        "place": labels.get(posting.area_code, ""),
        "pay": monthly_pay(posting),
        "pay_note": original_pay(posting),
    }


@router.get("/recommendations", response=list[RecommendationOut], url_name="worker_recommendations")
def recommendations(request: HttpRequest) -> Any:
    """Your current recommendations of public postings, best first, without those you dismissed or applied
    to, each with the reasons it was recommended."""
    person = _person(request)
    recs = selectors.my_recommendations(person, limit=RECOMMENDATIONS)
    labels = area_labels({r.posting.area_code for r in recs})
    return [
        {"rank": r.rank, "reasons": reason_list(r.reasons), "posting": _card(r.posting, labels)} for r in recs
    ]


class DismissOut(Schema):
    posting_id: int
    dismissed_at: dt.datetime


@router.post(
    "/postings/{posting_id}/dismiss",
    response={200: DismissOut, 404: dict},
    url_name="worker_posting_dismiss",
)
def dismiss(request: HttpRequest, posting_id: int) -> Any:
    """“不感兴趣”: the posting is not recommended to you again (twice is the same as once)."""
    person = _person(request)
    try:
        posting = board_posting(posting_id)
    except Posting.DoesNotExist as exc:
        raise HttpError(404, _("This posting is not (or no longer) published.")) from exc
    dismissal = worker_services.posting_dismiss(
        actor=_worker(request), person=person, posting=posting, request=request
    )
    return {"posting_id": posting.pk, "dismissed_at": dismissal.created_at}


# --- Applications


class ApplicationOut(Schema):
    id: int
    posting_id: int
    posting_title: str
    enterprise: str
    state: str
    source: str
    reason: str
    is_open: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_posting_title(obj: Any) -> str:
        return str(obj.posting.title)

    @staticmethod
    def resolve_enterprise(obj: Any) -> str:
        return str(obj.posting.enterprise.name)

    @staticmethod
    def resolve_is_open(obj: Any) -> bool:
        return obj.state in OPEN_REFERRAL_STATES


class ApplyIn(Schema):
    posting_id: int | None = None
    note: str = Field("", max_length=200)


class WithdrawIn(Schema):
    reason: str = "other"


@router.get("/applications", response=list[ApplicationOut], url_name="worker_applications")
@paginate(PageNumberPagination, page_size=50)
def applications(request: HttpRequest) -> Any:
    """Your applications and referrals, newest first."""
    return selectors.my_applications(_person(request))


@router.post(
    "/applications",
    response={201: ApplicationOut, 400: dict},
    url_name="worker_apply",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": ApplyIn.model_json_schema()}}}},
)
def apply(request: HttpRequest) -> Any:
    """Body: ``{"posting_id": 12, "note": ""}`` (note up to 200 characters): “我要报名”, a referral with
    source self that the enterprise and your township see."""
    person = _person(request)
    payload = read_body(
        request,
        ApplyIn,
        _("The body must be JSON with “posting_id” and optionally “note” (up to 200 characters)."),
    )
    try:
        posting = board_posting(payload.posting_id or 0)
    except Posting.DoesNotExist as exc:
        raise ValidationError({"posting_id": _("This posting is not (or no longer) published.")}) from exc
    referral = worker_services.application_apply(
        actor=_worker(request), person=person, posting=posting, note=payload.note, request=request
    )
    return Status(201, selectors.my_application_get(person, referral.pk))


@router.post(
    "/applications/{application_id}/withdraw",
    response={200: ApplicationOut, 400: dict, 404: dict},
    url_name="worker_application_withdraw",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": WithdrawIn.model_json_schema()}}}
    },
)
def withdraw(request: HttpRequest, application_id: int) -> Any:
    """Body (optional): ``{"reason": "found_other|wage|distance|conditions|family|health|other"}``.
    Withdraws your own open application; anyone else's is 404."""
    person = _person(request)
    try:
        referral = selectors.my_application_get(person, application_id)
    except Referral.DoesNotExist as exc:
        raise _not_found() from exc
    payload = read_body(request, WithdrawIn, _("The body must be JSON with an optional “reason”."))
    if payload.reason not in dict(WITHDRAW_REASONS):
        raise ValidationError({"reason": _("Unknown reason for withdrawing.")})
    worker_services.application_withdraw(
        actor=_worker(request), person=person, referral=referral, reason=payload.reason, request=request
    )
    return selectors.my_application_get(person, referral.pk)


# --- Messages


class MessageOut(Schema):
    id: int
    body: str
    postings: list[int]
    created_at: dt.datetime
    read_at: dt.datetime | None

    @staticmethod
    def resolve_body(obj: Any) -> str:
        return str(obj.shown_body)

    @staticmethod
    def resolve_postings(obj: Any) -> list[int]:
        return [int(i) for i in (obj.postings or []) if str(i).isdigit()]


class MessageFilterIn(Schema):
    unread: bool = False


@router.get("/messages", response=list[MessageOut], url_name="worker_messages")
@paginate(PageNumberPagination, page_size=50)
def messages(request: HttpRequest, filters: Query[MessageFilterIn]) -> Any:
    """Your in-site messages, newest first (``unread=true`` for the unread ones only)."""
    return inbox.inbox_list(person=_person(request), unread_only=filters.unread)


@router.post(
    "/messages/{message_id}/read",
    response={200: MessageOut, 404: dict},
    url_name="worker_message_read",
)
def message_read(request: HttpRequest, message_id: int) -> Any:
    """Mark one of your messages read (the first reading time is kept)."""
    person = _person(request)
    try:
        message = inbox.inbox_get(person=person, pk=message_id)
    except Message.DoesNotExist as exc:
        raise _not_found() from exc
    return inbox.inbox_mark_read(person=person, message=message)


# --- Consent and corrections


class ConsentIn(Schema):
    granted: bool


@router.put(
    "/consent/{channel}",
    response={200: list[ConsentOut], 400: dict},
    url_name="worker_consent",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": ConsentIn.model_json_schema()}}}
    },
)
def consent(request: HttpRequest, channel: str) -> Any:
    """Body: ``{"granted": true|false}``. Grant or withdraw consent to job messages on ``channel``
    (sms, wechat, app, phone); in force at once. Answers every channel's consent."""
    person = _person(request)
    payload = read_body(request, ConsentIn, _("The body must be JSON with “granted”: true or false."))
    worker_services.consent_set(
        actor=_worker(request), person=person, channel=channel, granted=payload.granted, request=request
    )
    person.refresh_from_db()
    return [
        {"channel": c.value, "label": c.label, "granted": c.granted} for c in selectors.my_consents(person)
    ]


class CorrectionIn(Schema):
    field: str = ""
    text: str = ""


@router.post(
    "/corrections",
    response={201: CorrectionOut, 400: dict},
    url_name="worker_correction",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": CorrectionIn.model_json_schema()}}}
    },
)
def correction(request: HttpRequest) -> Any:
    """Body: ``{"field": "name|id_number|phone|village|household|employment|other", "text": "…"}``: ask
    your township's specialist to correct your record (PIPL Art. 46)."""
    person = _person(request)
    payload = read_body(request, CorrectionIn, _("The body must be JSON with “field” and “text”."))
    if payload.field and payload.field not in dict(CORRECTION_FIELDS):
        raise ValidationError({"field": _("Choose which information is wrong.")})
    row = worker_services.correction_request_create(
        actor=_worker(request), person=person, field=payload.field, text=payload.text, request=request
    )
    return Status(201, row)
