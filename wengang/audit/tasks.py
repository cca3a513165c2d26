"""Background kinds of the audit app."""

from __future__ import annotations

from typing import Any

from wengang.background.models import BackgroundTask
from wengang.background.services import Progress, task_kind

from .models import Action, AuditEvent, Result
from .services import audit_record, audit_verify


@task_kind("audit.verify")
def verify_chain(task: BackgroundTask, progress: Progress) -> dict[str, Any]:
    total = AuditEvent.objects.count()
    progress.update(done=0, total=total, force=True)
    result = audit_verify(on_progress=lambda n: progress.update(done=n))
    progress.update(done=result.checked, force=True)
    audit_record(
        action=Action.VERIFY,
        actor=task.created_by,
        object_type="audit.chain",
        changes={"checked": result.checked, "broken_id": result.broken_id, "reason": result.reason},
        result=Result.SUCCESS if result.ok else Result.FAILURE,
    )
    return {
        "checked": result.checked,
        "ok": result.ok,
        "broken_id": result.broken_id,
        "reason": result.reason,
        "reason_display": result.reason_display,
    }
