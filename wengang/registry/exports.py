"""Registry exports: small ones at once, large ones (> 10,000 rows) as a background task with a download.

Every export is audited with its filters and row count; an unmasked export also needs the unmask permission
and a reason. A background export's file waits sealed with the field key under var/exports/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.background.models import BackgroundTask
from wengang.background.services import Progress, background_task_start
from wengang.core import crypto

from .exporters import BACKGROUND_THRESHOLD, export_xlsx_bytes
from .forms import PersonFilterForm
from .selectors import PersonFilters, person_list


def filters_from(params: dict[str, str]) -> PersonFilters:
    form = PersonFilterForm(params)
    if not form.is_valid():
        return PersonFilters()
    return PersonFilters(**{k: v for k, v in form.cleaned_data.items() if v not in (None, "")})


def _check(user: Any, unmasked: bool, reason: str) -> None:
    if not user.can("registry.view"):
        raise PermissionDenied
    if unmasked:
        if not user.can("registry.unmask"):
            raise PermissionDenied(_("You may not export full numbers."))
        if len(reason.strip()) < 4:
            raise ValidationError({"reason": _("Give a reason of at least 4 characters.")})


def export_path(task_id: Any) -> Path:
    folder = Path(settings.STATIC_ROOT).parent / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{task_id}.xlsx.sealed"


def export_start(
    *, user: Any, params: dict[str, str], unmasked: bool = False, reason: str = "", request: Any = None
) -> tuple[bytes | None, BackgroundTask | None, int]:
    """Export the filtered list: returns the workbook now, or the background task that will make it."""
    _check(user, unmasked, reason)
    people = person_list(user=user, filters=filters_from(params))
    count = people.count()
    audit_record(
        action=Action.EXPORT,
        actor=user,
        object_type="registry.person",
        request=request,
        reason=reason.strip(),
        changes={
            "count": count,
            "unmasked": unmasked,
            "filters": params,
            "background": count > BACKGROUND_THRESHOLD,
        },
    )
    if count > BACKGROUND_THRESHOLD:
        task = background_task_start(
            kind="registry.export", user=user, params={"filters": params, "unmasked": unmasked}
        )
        return None, task, count
    data, _rows = export_xlsx_bytes(people, unmasked=unmasked)
    return data, None, count


def export_run(*, task: BackgroundTask, progress: Progress) -> dict[str, Any]:
    user = task.created_by
    unmasked = bool(task.params.get("unmasked"))
    if user is None or not user.can("registry.view") or (unmasked and not user.can("registry.unmask")):
        raise PermissionDenied
    people = person_list(user=user, filters=filters_from(task.params.get("filters", {})))
    total = people.count()
    progress.update(done=0, total=total, force=True)
    data, rows = export_xlsx_bytes(people, unmasked=unmasked, on_progress=lambda n: progress.update(done=n))
    export_path(task.pk).write_bytes(crypto.encrypt_bytes(data))
    return {"rows": rows, "download": True}


def export_download(*, user: Any, task: BackgroundTask, request: Any = None) -> bytes:
    if task.created_by_id != user.pk or task.kind != "registry.export" or task.status != "succeeded":
        raise PermissionDenied
    path = export_path(task.pk)
    if not path.exists():
        raise FileNotFoundError(path)
    audit_record(
        action=Action.EXPORT,
        actor=user,
        object_type="registry.person",
        request=request,
        changes={"download": str(task.pk), "rows": task.result.get("rows")},
    )
    return crypto.decrypt_bytes(path.read_bytes())
