"""Priority-case routes: the scoped list with 1 / 3 / 1 progress, one case with its records, and adding a
service record. Another area's case is 404, exactly as on the pages; every call writes an audit event."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from wengang.api.perms import require
from wengang.audit.models import Action
from wengang.audit.services import audit_record

from . import services
from .models import PriorityCase
from .selectors import CaseFilters, Progress, case_list, case_queryset, with_progress

router = Router(tags=["assistance"])


class CaseFilterIn(Schema):
    status: str = ""
    reason: str = ""
    specialist_id: int | None = None
    overdue: bool = False
    incomplete: bool = False
    area: str = ""
    q: str = ""


class ProgressOut(Schema):
    guidance: int
    job_offers: int
    training: int
    complete: bool


class CaseOut(Schema):
    id: int
    person_id: int
    person_name: str
    id_number: str
    village_code: str
    reason: str
    reason_note: str
    status: str
    specialist_id: int | None
    specialist: str
    opened_at: dt.datetime
    due_date: dt.date
    overdue: bool
    closed_at: dt.datetime | None
    close_reason: str
    progress: ProgressOut

    @staticmethod
    def resolve_person_name(obj: Any) -> str:
        return str(obj.person.name)

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return str(obj.person.id_masked)

    @staticmethod
    def resolve_village_code(obj: Any) -> str:
        return str(obj.area_code)

    @staticmethod
    def resolve_specialist(obj: Any) -> str:
        return str(obj.specialist) if obj.specialist_id else ""

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return bool(obj.is_overdue)

    @staticmethod
    def resolve_progress(obj: Any) -> dict[str, Any]:
        p = Progress(obj.n_guidance, obj.n_offers, obj.n_training)
        return {
            "guidance": p.guidance,
            "job_offers": p.job_offers,
            "training": p.training,
            "complete": p.complete,
        }


class RecordOut(Schema):
    id: int
    kind: str
    date: dt.date
    by: str
    content: str
    outcome: str
    posting_id: int | None
    posting_title: str
    channel: str
    programme: str

    @staticmethod
    def resolve_by(obj: Any) -> str:
        return str(obj.by) if obj.by_id else ""

    @staticmethod
    def resolve_posting_title(obj: Any) -> str:
        return str(obj.posting.title) if obj.posting_id else ""


class CaseDetailOut(CaseOut):
    records: list[RecordOut]

    @staticmethod
    def resolve_records(obj: Any) -> list[Any]:
        return list(obj.records.select_related("by", "posting"))


class RecordIn(Schema):
    """All optional so that the service names what is missing (400) after the role and scope checks."""

    kind: str = ""
    date: dt.date | None = None
    content: str = ""
    outcome: str = ""
    posting_id: int | None = None
    channel: str = ""
    programme: str = ""


def _case(user: Any, case_id: int) -> PriorityCase:
    qs = with_progress(case_queryset(user)).select_related("person", "specialist")
    return get_object_or_404(qs, pk=case_id)


@router.get("/cases", response=list[CaseOut], url_name="assistance_cases")
@paginate(PageNumberPagination, page_size=50)
def cases(request: HttpRequest, filters: Query[CaseFilterIn]) -> Any:
    user = require(request, "assistance.view")
    f = CaseFilters(
        status=filters.status,
        reason=filters.reason,
        specialist=filters.specialist_id,
        overdue=filters.overdue,
        incomplete=filters.incomplete,
        area=filters.area.strip(),
        q=filters.q.strip(),
    )
    qs = case_list(user=user, filters=f)
    described = {k: str(v) for k, v in filters.dict().items() if v not in (None, "", False)}
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type=services.OBJECT_TYPE,
        request=request,
        changes={"list": True, "api": True, "filters": described},
    )
    return qs


@router.get("/cases/{case_id}", response=CaseDetailOut, url_name="assistance_case")
def case(request: HttpRequest, case_id: int) -> Any:
    user = require(request, "assistance.view")
    found = _case(user, case_id)
    audit_record(
        action=Action.VIEW, actor=user, object_type=services.OBJECT_TYPE, object_id=found.pk, request=request
    )
    return found


@router.post(
    "/cases/{case_id}/records",
    response={201: RecordOut, 400: dict, 403: dict, 404: dict},
    url_name="assistance_records",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": RecordIn.model_json_schema()}}}
    },
)
def records(request: HttpRequest, case_id: int) -> Any:
    """Body: ``{"kind": "guidance|job_offer|training_offer|training_taken", "date": "YYYY-MM-DD", ...}``.

    The body is read after the role and scope checks, so a caller without the right sees 403 (or 404)
    whatever it sent.
    """
    user = require(request, "assistance.edit")
    found = _case(user, case_id)
    try:
        payload = RecordIn.model_validate_json(request.body or b"{}")
    except ValueError as exc:
        raise HttpError(
            400,
            _(
                "The body must be JSON with “kind” and “date” (YYYY-MM-DD), and “content”, “outcome”, "
                "“posting_id”, “channel” or “programme” as the kind needs."
            ),
        ) from exc
    record = services.record_add(
        actor=user,
        case=found,
        kind=payload.kind,
        date=payload.date,
        content=payload.content,
        outcome=payload.outcome,
        posting=payload.posting_id,
        channel=payload.channel,
        programme=payload.programme,
        request=request,
    )
    return Status(201, record)
