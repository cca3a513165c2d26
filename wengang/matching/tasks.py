"""Background kinds of matching."""

from __future__ import annotations

from typing import Any

from wengang.background.models import BackgroundTask
from wengang.background.services import Progress, task_kind


@task_kind("matching.run")
def run_match(task: BackgroundTask, progress: Progress) -> dict[str, Any]:
    from .runs import match_run_execute

    run = match_run_execute(run_id=task.params["run_id"], progress=progress)
    return {"run_id": run.pk, "seekers": run.seekers, "recommendations": run.recommendations}
