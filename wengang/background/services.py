"""Starting background work and reporting its progress.

A task kind is a function ``(task, progress) -> result dict`` registered with ``@task_kind``. Starting
one writes the row and schedules the Celery message on commit, so a worker never sees a task whose row
is not there; running it twice after it finished does nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import BackgroundTask, Status

logger = logging.getLogger(__name__)

KindFn = Callable[[BackgroundTask, "Progress"], dict[str, Any]]
_KINDS: dict[str, KindFn] = {}
_RESUMABLE: set[str] = set()


def task_kind(name: str, *, resumable: bool = False) -> Callable[[KindFn], KindFn]:
    """Register a kind. A resumable kind keeps its own cursor, so a message redelivered after its worker
    died (``acks_late``) may claim a task left ``running`` and carry on where it stopped."""

    def register(fn: KindFn) -> KindFn:
        _KINDS[name] = fn
        if resumable:
            _RESUMABLE.add(name)
        return fn

    return register


class Progress:
    """Writes progress to the row at most once a second (and always at the end)."""

    def __init__(self, task: BackgroundTask, *, min_interval: float = 1.0) -> None:
        self.task = task
        self.min_interval = min_interval
        self._last = 0.0

    def update(
        self,
        *,
        done: int,
        total: int | None = None,
        errors: int | None = None,
        message: str | None = None,
        force: bool = False,
    ) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.min_interval:
            return
        self._last = now
        fields: dict[str, Any] = {"rows_done": done}
        if total is not None:
            self.task.rows_total = total
            fields["rows_total"] = total
        total_now = self.task.rows_total
        fields["progress"] = min(99, int(done * 100 / total_now)) if total_now else 0
        if errors is not None:
            fields["errors_count"] = errors
        if message is not None:
            fields["message"] = message[:500]
        BackgroundTask.objects.filter(pk=self.task.pk).update(**fields)


def background_task_start(*, kind: str, user: Any, params: dict[str, Any] | None = None) -> BackgroundTask:
    if kind not in _KINDS:
        raise KeyError(kind)
    from .tasks import run_background_task

    with transaction.atomic():
        task = BackgroundTask.objects.create(kind=kind, params=params or {}, created_by=user)
        transaction.on_commit(lambda: run_background_task.delay(str(task.pk)))
    return task


def background_task_run(*, task_id: str) -> None:
    """Run a task once: claim it (pending → running), run its kind, and record how it ended."""
    task = BackgroundTask.objects.filter(pk=task_id).first()
    if task is None:
        return
    claimable = [Status.PENDING, Status.RUNNING] if task.kind in _RESUMABLE else [Status.PENDING]
    claimed = BackgroundTask.objects.filter(pk=task_id, status__in=claimable).update(
        status=Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    task.refresh_from_db()
    progress = Progress(task)
    try:
        result = _KINDS[task.kind](task, progress)
    except Exception as exc:
        logger.exception("background task %s (%s) failed", task.pk, task.kind)
        BackgroundTask.objects.filter(pk=task.pk).update(
            status=Status.FAILED, finished_at=timezone.now(), message=str(exc)[:500]
        )
        return
    BackgroundTask.objects.filter(pk=task.pk).update(
        status=Status.SUCCEEDED, finished_at=timezone.now(), progress=100, result=result
    )
