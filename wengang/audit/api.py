from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from wengang.api.perms import require
from wengang.background.services import background_task_start

from . import tasks  # noqa: F401  (registers the audit.verify kind)
from .selectors import audit_event_list

router = Router(tags=["audit"])


class EventOut(Schema):
    id: int
    created_at: datetime
    actor_username: str
    action: str
    object_type: str
    object_id: str
    changes: dict[str, Any]
    reason: str
    ip: str | None
    result: str
    hash: str


class TaskRef(Schema):
    id: str


@router.get("/events", response=list[EventOut])
@paginate(PageNumberPagination, page_size=100)
def events(
    request: HttpRequest,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    result: str = "",
    q: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> Any:
    user = require(request, "audit.view")
    return audit_event_list(
        user=user,
        actor=actor,
        action=action,
        object_type=object_type,
        result=result,
        q=q,
        date_from=date_from,
        date_to=date_to,
    )


@router.post("/verify", response={202: TaskRef})
def verify(request: HttpRequest) -> Any:
    user = require(request, "audit.verify")
    task = background_task_start(kind="audit.verify", user=user)
    return 202, TaskRef(id=str(task.pk))
