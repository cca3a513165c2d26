import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from wengang.api.perms import require
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.registry.selectors import person_list

from .runs import match_run_start
from .selectors import person_recommendations, run_list

router = Router(tags=["matching"])


class RunOut(Schema):
    id: int
    scope_code: str
    status: str
    seekers: int
    postings: int
    recommendations: int
    stats: dict[str, Any]
    timings: dict[str, Any]
    task_id: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_task_id(obj: Any) -> str | None:
        return str(obj.task_id) if obj.task_id else None


class RunIn(Schema):
    scope_code: str = ""


class RecommendationOut(Schema):
    rank: int
    posting_id: int
    posting_title: str
    enterprise: str
    score: float
    reasons: str
    terms: dict[str, float]
    run_id: int

    @staticmethod
    def resolve_posting_title(obj: Any) -> str:
        return str(obj.posting.title)

    @staticmethod
    def resolve_enterprise(obj: Any) -> str:
        return str(obj.posting.enterprise.name)


@router.get("/runs", response=list[RunOut])
@paginate(PageNumberPagination, page_size=50)
def match_runs(request: HttpRequest, status: str = "") -> Any:
    """Match runs of areas in the caller's scope, newest first."""
    user = require(request, "matching.view")
    audit_record(
        action=Action.VIEW, actor=user, object_type="matching.run", request=request, changes={"list": True}
    )
    return run_list(user=user, status=status)


@router.post("/runs", response={202: RunOut}, url_name="match_runs")
def match_run_start_api(request: HttpRequest, payload: RunIn) -> Any:
    """Start a full match run for an area in the caller's scope (default: their whole scope)."""
    user = require(request, "matching.run")
    run = match_run_start(actor=user, scope_code=payload.scope_code or user.scope_code, request=request)
    return Status(202, run)


@router.get("/persons/{person_id}/recommendations", response=list[RecommendationOut])
def person_recommendations_api(request: HttpRequest, person_id: int) -> Any:
    """The person's current recommendations, best first (404 outside the caller's scope)."""
    user = require(request, "matching.view")
    person = get_object_or_404(person_list(user=user), pk=person_id)
    recs = list(person_recommendations(user=user, person=person))
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type="registry.person",
        object_id=person.pk,
        request=request,
        changes={"recommendations": len(recs)},
    )
    return recs
