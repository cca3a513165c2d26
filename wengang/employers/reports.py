"""Every write on enterprise reports: payroll with retention measures, layoffs, alert acknowledgement.

Each service checks the actor's permission and scope, validates with messages that name the field, changes
the rows, keeps ``Enterprise.staff_count`` current and writes the audit event, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.audit.models import Action
from wengang.audit.services import audit_record

from .models import (
    AlertState,
    Enterprise,
    LayoffReport,
    RetentionKind,
    RetentionMeasure,
    StaffReport,
    is_mass_layoff,
)
from .selectors import enterprise_queryset, layoff_alerts

# (kind, amount in yuan, people covered)
MeasureInput = tuple[str, int, int]

MAX_COUNT = 10_000_000


def amount_field(kind: str) -> str:
    """The form field (and error key) for a measure's amount."""
    return f"{kind}_amount"


def people_field(kind: str) -> str:
    """The form field (and error key) for a measure's people covered."""
    return f"{kind}_people"


def _check_reporter(actor: Any, enterprise: Enterprise) -> None:
    if not actor.can("enterprises.report"):
        raise PermissionDenied(_("Your roles do not allow reporting for enterprises."))
    if not enterprise_queryset(actor).filter(pk=enterprise.pk).exists():
        raise PermissionDenied(
            _("%(name)s is not an enterprise you may report for.") % {"name": enterprise.name}
        )


def _check_date(errors: dict[str, list[str]], field: str, label: str, value: dt.date | None) -> None:
    if not isinstance(value, dt.date):
        errors.setdefault(field, []).append(_("%(field)s: give the date.") % {"field": label})
    elif value > timezone.localdate():
        errors.setdefault(field, []).append(
            _("%(field)s: %(date)s is in the future.") % {"field": label, "date": value.isoformat()}
        )


def _check_count(errors: dict[str, list[str]], field: str, label: str, value: Any) -> bool:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > MAX_COUNT:
        errors.setdefault(field, []).append(
            _("%(field)s: enter a whole number from 0 to %(max)s.") % {"field": label, "max": MAX_COUNT}
        )
        return False
    return True


def _kind_label(kind: str) -> str:
    return str(RetentionKind(kind).label) if kind in RetentionKind.values else kind


def _validate_measures(
    errors: dict[str, list[str]], measures: Iterable[MeasureInput], staying_over: int | None
) -> list[MeasureInput]:
    seen: set[str] = set()
    clean: list[MeasureInput] = []
    for kind, amount, covered in measures:
        if kind not in RetentionKind.values:
            errors.setdefault("measures", []).append(
                _("Retention measure: unknown kind %(kind)s.") % {"kind": kind}
            )
            continue
        label = _kind_label(kind)
        if kind in seen:
            errors.setdefault("measures", []).append(
                _("Retention measure: %(kind)s is given more than once.") % {"kind": label}
            )
            continue
        seen.add(kind)
        ok = _check_count(errors, amount_field(kind), _("%(kind)s amount (yuan)") % {"kind": label}, amount)
        ok &= _check_count(
            errors, people_field(kind), _("%(kind)s people covered") % {"kind": label}, covered
        )
        if ok and staying_over is not None and covered > staying_over:
            errors.setdefault(people_field(kind), []).append(
                _(
                    "%(kind)s people covered (%(covered)s) cannot exceed the workers staying over "
                    "the festival (%(staying)s)."
                )
                % {"kind": label, "covered": covered, "staying": staying_over}
            )
        if ok:
            clean.append((kind, amount, covered))
    return clean


def _snapshot(report: StaffReport) -> dict[str, Any]:
    return {
        "reported_on": report.reported_on.isoformat(),
        "staff_on_payroll": report.staff_on_payroll,
        "staying_over": report.staying_over,
        "notes": report.notes,
        "measures": {
            m.kind: {"amount": m.amount, "people_covered": m.people_covered}
            for m in report.measures.order_by("kind")
        },
    }


def _refresh_staff_count(enterprise: Enterprise) -> tuple[int | None, int | None]:
    """Set the enterprise's staff count from its latest report, unless a later layoff already changed it."""
    before = enterprise.staff_count
    latest = enterprise.staff_reports.order_by("-reported_on", "-id").first()
    if latest is None:
        return before, before
    if enterprise.layoffs.filter(reported_on__gt=latest.reported_on).exists():
        return before, before
    if before != latest.staff_on_payroll:
        enterprise.staff_count = latest.staff_on_payroll
        enterprise.save(update_fields=["staff_count", "updated_at"])
    return before, enterprise.staff_count


def staff_report_submit(
    *,
    actor: Any,
    enterprise: Enterprise,
    reported_on: dt.date,
    staff_on_payroll: int,
    staying_over: int,
    measures: Sequence[MeasureInput],
    notes: str = "",
    request: HttpRequest | None = None,
) -> StaffReport:
    """Record (or replace) the enterprise's report for a date, with its retention measures."""
    _check_reporter(actor, enterprise)
    errors: dict[str, list[str]] = {}
    _check_date(errors, "reported_on", _("Report date"), reported_on)
    payroll_ok = _check_count(errors, "staff_on_payroll", _("Staff on payroll"), staff_on_payroll)
    staying_ok = _check_count(errors, "staying_over", _("Workers staying over the festival"), staying_over)
    if payroll_ok and staying_ok and staying_over > staff_on_payroll:
        errors.setdefault("staying_over", []).append(
            _(
                "Workers staying over the festival (%(staying)s) cannot exceed the staff on payroll "
                "(%(payroll)s)."
            )
            % {"staying": staying_over, "payroll": staff_on_payroll}
        )
    clean = _validate_measures(errors, measures, staying_over if staying_ok else None)
    notes = (notes or "").strip()
    if len(notes) > 500:
        errors.setdefault("notes", []).append(_("Notes: at most 500 characters."))
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        report = StaffReport.objects.filter(enterprise=locked, reported_on=reported_on).first()
        before = _snapshot(report) if report is not None else None
        if report is None:
            report = StaffReport(enterprise=locked, reported_on=reported_on, created_by=actor)
        report.staff_on_payroll = staff_on_payroll
        report.staying_over = staying_over
        report.notes = notes
        report.save()
        report.measures.all().delete()
        RetentionMeasure.objects.bulk_create(
            RetentionMeasure(report=report, kind=kind, amount=amount, people_covered=covered)
            for kind, amount, covered in clean
        )
        count_before, count_after = _refresh_staff_count(locked)
        after = _snapshot(report)
        changes: dict[str, Any] = {"enterprise": locked.pk, "after": after}
        if before is not None:
            changes["before"] = before
            changes["replaced"] = True
        if count_before != count_after:
            changes["staff_count"] = [count_before, count_after]
        audit_record(
            action=Action.UPDATE if before is not None else Action.CREATE,
            actor=actor,
            object_type="employers.staff_report",
            object_id=report.pk,
            changes=changes,
            request=request,
        )
    enterprise.staff_count = locked.staff_count
    return report


def layoff_report(
    *,
    actor: Any,
    enterprise: Enterprise,
    reported_on: dt.date,
    people: int,
    staff_before: int | None = None,
    reason: str,
    request: HttpRequest | None = None,
) -> LayoffReport:
    """Record a layoff; a mass layoff (Labour Contract Law Art. 41) opens an alert for the county."""
    _check_reporter(actor, enterprise)
    errors: dict[str, list[str]] = {}
    _check_date(errors, "reported_on", _("Layoff date"), reported_on)
    reason = (reason or "").strip()
    if not reason:
        errors.setdefault("reason", []).append(_("Reason: say why the staff were laid off."))
    elif len(reason) > 500:
        errors.setdefault("reason", []).append(_("Reason: at most 500 characters."))
    if _check_count(errors, "people", _("People laid off"), people) and people == 0:
        errors.setdefault("people", []).append(_("People laid off: enter at least 1."))
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        base = staff_before if staff_before is not None else locked.staff_count
        if base is None:
            raise ValidationError(
                {
                    "staff_before": _(
                        "Staff before the layoff: the enterprise has no staff count on record; enter it."
                    )
                }
            )
        if _check_count(errors, "staff_before", _("Staff before the layoff"), base) and people > base:
            errors.setdefault("staff_before", []).append(
                _("People laid off (%(people)s) cannot exceed the staff before the layoff (%(staff)s).")
                % {"people": people, "staff": base}
            )
        if errors:
            raise ValidationError(errors)
        mass = is_mass_layoff(people, base)
        layoff = LayoffReport.objects.create(
            enterprise=locked,
            reported_on=reported_on,
            people=people,
            staff_before=base,
            reason=reason,
            is_mass=mass,
            alert_state=AlertState.OPEN if mass else "",
            created_by=actor,
        )
        count_before = locked.staff_count
        if not locked.staff_reports.filter(reported_on__gt=reported_on).exists():
            locked.staff_count = base - people
            locked.save(update_fields=["staff_count", "updated_at"])
        audit_record(
            action=Action.CREATE,
            actor=actor,
            object_type="employers.layoff",
            object_id=layoff.pk,
            changes={
                "enterprise": locked.pk,
                "reported_on": reported_on.isoformat(),
                "people": people,
                "staff_before": base,
                "is_mass": mass,
                "alert_state": layoff.alert_state,
                "staff_count": [count_before, locked.staff_count],
            },
            request=request,
        )
    enterprise.staff_count = locked.staff_count
    return layoff


def layoff_acknowledge(
    *, actor: Any, layoff: LayoffReport, note: str, request: HttpRequest | None = None
) -> LayoffReport:
    """Close a mass-layoff alert with a note on what was done (kept on the alert and in the audit log)."""
    if not actor.can("alerts.acknowledge"):
        raise PermissionDenied(_("Your roles do not allow acknowledging alerts."))
    if not layoff_alerts(user=actor).filter(pk=layoff.pk).exists():
        raise PermissionDenied(_("This alert is outside your area."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Note: say what was done about this layoff.")})
    if len(note) > 500:
        raise ValidationError({"note": _("Note: at most 500 characters.")})
    with transaction.atomic():
        locked = LayoffReport.objects.select_for_update().get(pk=layoff.pk)
        if locked.alert_state != AlertState.OPEN:
            raise ValidationError({"note": _("This alert has already been acknowledged.")})
        locked.alert_state = AlertState.ACKNOWLEDGED
        locked.acknowledged_by = actor
        locked.acknowledged_at = timezone.now()
        locked.acknowledge_note = note
        locked.save(update_fields=["alert_state", "acknowledged_by", "acknowledged_at", "acknowledge_note"])
        audit_record(
            action=Action.STATUS,
            actor=actor,
            object_type="employers.layoff",
            object_id=locked.pk,
            changes={"alert_state": [AlertState.OPEN.value, AlertState.ACKNOWLEDGED.value], "note": note},
            reason=note,
            request=request,
        )
    layoff.alert_state = locked.alert_state
    layoff.acknowledged_by = locked.acknowledged_by
    layoff.acknowledged_at = locked.acknowledged_at
    return layoff
