"""Every write on priority cases: opening them (automatically and by staff), assigning, closing, and the
service records of the 131 service. Each checks the actor and its scope, and writes its audit event in the
same transaction as the change."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.accounts.scoping import area_prefixes
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.jobs.models import Posting
from wengang.jobs.selectors import published_postings
from wengang.registry.choices import MONITORED_CATEGORIES
from wengang.registry.models import Person
from wengang.registry.selectors import person_list

from .choices import TRAINING_KINDS, CaseReason, CaseStatus, Channel, CloseReason, RecordKind
from .models import PriorityCase, ServiceRecord
from .selectors import case_queryset, specialists_for

OBJECT_TYPE = "assistance.case"
DEFAULT_DUE_DAYS = 30  # an automatically opened case is due a month after it opens
CHUNK = 2000


def _audit(actor: Any, case: PriorityCase, action: str, request: HttpRequest | None, **changes: Any) -> None:
    audit_record(
        action=action,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=case.pk,
        request=request,
        changes=changes,
    )


def _scope_q(scope_code: str) -> Q:
    q = Q()
    for prefix in area_prefixes(scope_code):
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        q |= Q(village_code__gte=prefix, village_code__lt=upper)
    return q


def cases_open_automatically(*, scope_code: str = "", today: dt.date | None = None) -> dict[str, Any]:
    """Open a case for every monitored-household member and three-without person who has none open.

    Reads candidates in chunks and inserts in bulk; the partial unique index (one open case per person)
    makes a second or concurrent run open nothing twice. One system audit event carries the counts.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    due = today + dt.timedelta(days=DEFAULT_DUE_DAYS)
    open_cases = PriorityCase.objects.filter(status=CaseStatus.OPEN, person_id__isnull=False)
    candidates = Person.objects.filter(
        Q(household__poverty_category__in=sorted(MONITORED_CATEGORIES)) | Q(is_three_without=True)
    ).exclude(pk__in=open_cases.values("person_id"))
    if scope_code:
        candidates = candidates.filter(_scope_q(scope_code))
    rows = candidates.order_by("pk").values_list("pk", "village_code", "household__poverty_category")
    by_reason: Counter[str] = Counter()
    with transaction.atomic():
        batch: list[PriorityCase] = []
        for pk, village, category in rows.iterator(chunk_size=CHUNK):
            reason = category if category in MONITORED_CATEGORIES else CaseReason.THREE_WITHOUT
            batch.append(
                PriorityCase(
                    person_id=pk, reason=reason, opened_at=now, due_date=due, area_code=village or ""
                )
            )
            by_reason[reason] += 1
            if len(batch) >= CHUNK:
                PriorityCase.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        if batch:
            PriorityCase.objects.bulk_create(batch, ignore_conflicts=True)
        opened = PriorityCase.objects.filter(opened_at=now, opened_by__isnull=True).count()
        audit_record(
            action=Action.CREATE,
            actor_username="system",
            object_type=OBJECT_TYPE,
            changes={
                "automatic": True,
                "scope": scope_code,
                "opened": opened,
                "by_reason": dict(by_reason),
                "due_date": due.isoformat(),
            },
        )
    return {"opened": opened, "by_reason": dict(by_reason)}


def _check_edit(actor: Any) -> None:
    if not actor.can("assistance.edit"):
        raise PermissionDenied(_("Your roles do not allow changing priority cases."))


def _check_case(actor: Any, case: PriorityCase) -> PriorityCase:
    """The case locked for the change, if the actor may see it (one message whether absent or elsewhere)."""
    if not case_queryset(actor).filter(pk=case.pk).exists():
        raise ValidationError(_("No such priority case in your area."))
    return PriorityCase.objects.select_for_update().get(pk=case.pk)


def _check_specialist(specialist: Any, area_code: str) -> None:
    if specialist is None:
        return
    if not specialists_for(area_code).filter(pk=specialist.pk).exists():
        raise ValidationError(
            {
                "specialist": _(
                    "%(name)s is not an active employment service specialist of this person's area."
                )
                % {"name": str(specialist)}
            }
        )


def _check_due(due_date: dt.date | None, *, today: dt.date) -> dt.date:
    if due_date is None:
        return today + dt.timedelta(days=DEFAULT_DUE_DAYS)
    if due_date < today:
        raise ValidationError({"due_date": _("The due date %(date)s is in the past.") % {"date": due_date}})
    return due_date


def case_open(
    *,
    actor: Any,
    person: Person,
    reason_note: str,
    due_date: dt.date | None = None,
    specialist: Any = None,
    request: HttpRequest | None = None,
) -> PriorityCase:
    """Staff add a person in their area as a priority case, saying why."""
    _check_edit(actor)
    if not person_list(user=actor).filter(pk=person.pk).exists():
        raise ValidationError({"person": _("No such person in your area.")})
    reason_note = (reason_note or "").strip()
    if not reason_note:
        raise ValidationError({"reason_note": _("Say why this person needs one-to-one assistance.")})
    if len(reason_note) > 500:
        raise ValidationError({"reason_note": _("The reason is longer than 500 characters.")})
    due = _check_due(due_date, today=timezone.localdate())
    _check_specialist(specialist, person.village_code)
    duplicate = _("%(name)s already has an open priority case.") % {"name": person.name}
    if PriorityCase.objects.filter(person=person, status=CaseStatus.OPEN).exists():
        raise ValidationError({"person": duplicate})
    with transaction.atomic():
        try:
            with transaction.atomic():
                case = PriorityCase.objects.create(
                    person=person,
                    reason=CaseReason.STAFF_ADDED,
                    reason_note=reason_note,
                    opened_by=actor,
                    specialist=specialist,
                    due_date=due,
                    area_code=person.village_code,
                )
        except IntegrityError as exc:
            raise ValidationError({"person": duplicate}) from exc
        _audit(
            actor,
            case,
            Action.CREATE,
            request,
            person=person.pk,
            reason=case.reason,
            due_date=due.isoformat(),
            specialist=getattr(specialist, "pk", None),
        )
    return case


def case_assign(
    *,
    actor: Any,
    case: PriorityCase,
    specialist: Any,
    due_date: dt.date | None = None,
    request: HttpRequest | None = None,
) -> PriorityCase:
    """Assign an open case to a specialist of its area (and optionally move its due date)."""
    if not actor.can("assistance.assign"):
        raise PermissionDenied(_("Your roles do not allow assigning priority cases."))
    with transaction.atomic():
        case = _check_case(actor, case)
        if case.status != CaseStatus.OPEN:
            raise ValidationError(_("This case is closed."))
        if specialist is None:
            raise ValidationError({"specialist": _("Choose a specialist.")})
        _check_specialist(specialist, case.area_code)
        before = {"specialist": case.specialist_id, "due_date": case.due_date.isoformat()}
        case.specialist = specialist
        fields = ["specialist", "updated_at"]
        if due_date is not None and due_date != case.due_date:
            case.due_date = _check_due(due_date, today=timezone.localdate())
            fields.append("due_date")
        case.save(update_fields=fields)
        after = {"specialist": specialist.pk, "due_date": case.due_date.isoformat()}
        _audit(actor, case, Action.UPDATE, request, **{k: [before[k], after[k]] for k in before})
    return case


def case_close(
    *, actor: Any, case: PriorityCase, reason: str, note: str = "", request: HttpRequest | None = None
) -> PriorityCase:
    _check_edit(actor)
    if reason not in CloseReason.values:
        raise ValidationError({"reason": _("Choose why the case ends.")})
    note = (note or "").strip()
    if reason == CloseReason.OTHER and not note:
        raise ValidationError({"note": _("Say why the case ends.")})
    if len(note) > 500:
        raise ValidationError({"note": _("The note is longer than 500 characters.")})
    with transaction.atomic():
        case = _check_case(actor, case)
        if case.status != CaseStatus.OPEN:
            raise ValidationError(_("This case is already closed."))
        case.status = CaseStatus.CLOSED
        case.closed_at = timezone.now()
        case.close_reason = reason
        case.close_note = note
        case.save(update_fields=["status", "closed_at", "close_reason", "close_note", "updated_at"])
        _audit(actor, case, Action.STATUS, request, status=["open", "closed"], reason=reason, note=note)
    return case


def _posting(posting: Posting | int | None) -> Posting:
    pk = posting.pk if isinstance(posting, Posting) else posting
    found = published_postings().filter(pk=pk).first() if pk else None
    if found is None:
        raise ValidationError({"posting": _("Job information must name a published posting.")})
    return found


def record_add(
    *,
    actor: Any,
    case: PriorityCase,
    kind: str,
    date: dt.date | None,
    content: str = "",
    outcome: str = "",
    posting: Posting | int | None = None,
    channel: str = "",
    programme: str = "",
    request: HttpRequest | None = None,
) -> ServiceRecord:
    """Record one service given on an open case: guidance, a published posting passed on, or training."""
    _check_edit(actor)
    if kind not in RecordKind.values:
        raise ValidationError({"kind": _("Unknown kind of service “%(kind)s”.") % {"kind": kind}})
    today = timezone.localdate()
    if date is None:
        raise ValidationError({"date": _("Give the date of the service.")})
    if date > today:
        raise ValidationError({"date": _("The date %(date)s is in the future.") % {"date": date}})
    content, outcome, programme = (content or "").strip(), (outcome or "").strip(), (programme or "").strip()
    if len(content) > 1000:
        raise ValidationError({"content": _("The content is longer than 1,000 characters.")})
    if len(outcome) > 500:
        raise ValidationError({"outcome": _("The outcome is longer than 500 characters.")})
    found: Posting | None = None
    if kind == RecordKind.GUIDANCE and not content:
        raise ValidationError({"content": _("Say what the guidance covered.")})
    if kind == RecordKind.JOB_OFFER:
        found = _posting(posting)
        if channel not in Channel.values:
            raise ValidationError({"channel": _("Choose how the job information was given.")})
    else:
        channel = channel if channel in Channel.values else ""
    if kind in TRAINING_KINDS and not programme:
        raise ValidationError({"programme": _("Name the training programme.")})
    if len(programme) > 200:
        raise ValidationError({"programme": _("The programme name is longer than 200 characters.")})
    with transaction.atomic():
        case = _check_case(actor, case)
        if case.status != CaseStatus.OPEN:
            raise ValidationError(_("This case is closed; reopen it by adding the person again."))
        record = ServiceRecord.objects.create(
            case=case,
            kind=kind,
            date=date,
            by=actor,
            content=content,
            outcome=outcome,
            posting=found,
            channel=channel,
            programme=programme,
        )
        case.save(update_fields=["updated_at"])
        _audit(
            actor,
            case,
            Action.UPDATE,
            request,
            record=record.pk,
            kind=kind,
            date=date.isoformat(),
            posting=getattr(found, "pk", None),
            channel=channel,
        )
    return record
