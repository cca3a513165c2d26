"""Background kinds of the registry."""

from __future__ import annotations

from typing import Any

from wengang.background.models import BackgroundTask
from wengang.background.services import Progress, task_kind

from .imports import counts_of, ledger_import_load


@task_kind("registry.import", resumable=True)
def load_ledger(task: BackgroundTask, progress: Progress) -> dict[str, Any]:
    record = ledger_import_load(
        import_id=task.params["import_id"],
        on_progress=lambda done, total: progress.update(done=done, total=total),
    )
    return {"import_id": record.pk, **counts_of(record).as_dict()}


@task_kind("registry.export")
def export_people(task: BackgroundTask, progress: Progress) -> dict[str, Any]:
    from .exports import export_run

    return export_run(task=task, progress=progress)
