from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from wengang.api.perms import require

from .selectors import task_list

router = Router(tags=["tasks"])


class TaskOut(Schema):
    id: UUID
    kind: str
    status: str
    progress: int
    rows_done: int
    rows_total: int
    errors_count: int
    message: str
    result: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None


@router.get("/{task_id}", response=TaskOut)
def task(request: HttpRequest, task_id: UUID) -> Any:
    user = require(request, "tasks.view")
    return get_object_or_404(task_list(user=user), pk=task_id)
