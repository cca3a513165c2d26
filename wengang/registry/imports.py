"""Loading a checked ledger into the registry, in three steps.

1. ``ledger_import_validate`` reads and checks the upload, records a ``LedgerImport`` with every rejected
   row (masked) and the error workbook, and keeps the checked rows sealed with the field key.
2. ``ledger_import_start`` hands the load to a background task (progress on the task page).
3. ``ledger_import_load`` writes the valid rows in batches. Each batch and the cursor that records it commit
   together, so a worker killed at any moment resumes at the next batch: no row is lost or loaded twice.

Rows are matched to people by the keyed hash of the ID number. A row that matches and carries nothing new
changes nothing; a changed row updates the person and appends a history event.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.background.services import background_task_start
from wengang.core import crypto

from .choices import PovertyCategory, Relation, Source
from .identity import protect_id, protect_phone
from .importers import (
    LedgerRow,
    Table,
    TableError,
    ValidationResult,
    error_report_xlsx_bytes,
    read_table,
    validate_rows,
)
from .models import EmploymentEvent, Household, ImportStatus, IntentRecord, LedgerImport, Person

BATCH_SIZE = 1000
ERRORS_KEPT = 500


@dataclass(frozen=True)
class ImportCounts:
    created: int
    updated: int
    unchanged: int
    rejected: int
    warnings: int

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "warnings": self.warnings,
        }


def _check(user: Any) -> None:
    if not user.can("registry.import"):
        raise PermissionDenied(_("Your roles do not allow importing into the registry."))


def _validate(user: Any, data: bytes, filename: str) -> tuple[Table, ValidationResult]:
    try:
        table = read_table(data, filename)
    except TableError as exc:
        raise ValidationError(str(exc)) from exc
    result = validate_rows(table, user=user)
    if result.file_errors:
        raise ValidationError(result.file_errors)
    return table, result


def ledger_import_validate(*, user: Any, data: bytes, filename: str, request: Any = None) -> LedgerImport:
    """Step 1: check the upload and record it. Raises ValidationError for a file that cannot be read."""
    _check(user)
    table, result = _validate(user, data, filename)
    errors = [
        {"row": e.row_number, "column": e.column, "value": e.masked_value, "reason": e.reason}
        for e in result.errors[:ERRORS_KEPT]
    ]
    warnings = [
        {"row": w.row_number, "column": getattr(w, "column", ""), "reason": getattr(w, "reason", str(w))}
        for w in result.warnings[:ERRORS_KEPT]
    ]
    report = error_report_xlsx_bytes(table, result) if result.errors else None
    with transaction.atomic():
        record = LedgerImport.objects.create(
            filename=filename[:255],
            created_by=user,
            scope_code=user.scope_code,
            sealed_file=crypto.encrypt_bytes(_rows_to_json(result.rows)) if result.rows else None,
            total_rows=result.total_rows,
            valid_rows=len(result.rows),
            rejected_rows=len(result.rejected_row_numbers),
            warning_count=len(result.warnings),
            errors=errors,
            warnings=warnings,
            error_report=report,
            status=ImportStatus.VALIDATED if result.rows else ImportStatus.DONE,
            finished_at=None if result.rows else timezone.now(),
        )
        audit_record(
            action=Action.IMPORT,
            actor=user,
            object_type="registry.ledgerimport",
            object_id=record.pk,
            request=request,
            changes={
                "step": "validate",
                "file": record.filename,
                "rows": record.total_rows,
                "valid": record.valid_rows,
                "rejected": record.rejected_rows,
            },
        )
    return record


def ledger_import_start(*, user: Any, record: LedgerImport, request: Any = None) -> LedgerImport:
    """Step 2: queue the load. Starting twice is harmless: the load resumes from its cursor."""
    _check(user)
    if record.created_by_id != user.pk:
        raise PermissionDenied(_("Only the person who uploaded a file may load it."))
    if record.status != ImportStatus.VALIDATED:
        return record
    with transaction.atomic():
        task = background_task_start(kind="registry.import", user=user, params={"import_id": record.pk})
        LedgerImport.objects.filter(pk=record.pk).update(status=ImportStatus.LOADING, task=task)
        audit_record(
            action=Action.IMPORT,
            actor=user,
            object_type="registry.ledgerimport",
            object_id=record.pk,
            request=request,
            changes={"step": "start"},
        )
    record.refresh_from_db()
    return record


def ledger_import_load(
    *, import_id: int, on_progress: Callable[[int, int], None] | None = None
) -> LedgerImport:
    """Step 3: load (or resume loading) the valid rows of a checked import."""
    record = LedgerImport.objects.select_related("created_by").get(pk=import_id)
    if record.status == ImportStatus.DONE:
        return record
    if record.sealed_file is None:
        raise ValueError("the import has no file to load")
    user = record.created_by
    rows = _rows_from_json(crypto.decrypt_bytes(bytes(record.sealed_file)))
    today = timezone.localdate()
    while True:
        with transaction.atomic():
            locked = LedgerImport.objects.select_for_update().get(pk=record.pk)
            start = locked.next_index
            if start >= len(rows):
                break
            batch = rows[start : start + BATCH_SIZE]
            created, updated, unchanged = _upsert(batch, user=user, today=today)
            LedgerImport.objects.filter(pk=record.pk).update(
                next_index=start + len(batch),
                created=locked.created + created,
                updated=locked.updated + updated,
                unchanged=locked.unchanged + unchanged,
            )
        if on_progress is not None:
            on_progress(start + len(batch), len(rows))
    with transaction.atomic():
        LedgerImport.objects.filter(pk=record.pk).update(
            status=ImportStatus.DONE, sealed_file=None, finished_at=timezone.now()
        )
        record.refresh_from_db()
        audit_record(
            action=Action.IMPORT,
            actor=user,
            object_type="registry.ledgerimport",
            object_id=record.pk,
            changes={
                "step": "loaded",
                "created": record.created,
                "updated": record.updated,
                "unchanged": record.unchanged,
            },
        )
    return record


def _rows_to_json(rows: Sequence[LedgerRow]) -> bytes:
    """The checked rows, kept (sealed) until loaded, so loading never re-reads or re-judges the file."""
    return json.dumps([dataclasses.asdict(r) for r in rows], ensure_ascii=False, default=str).encode()


def _rows_from_json(data: bytes) -> list[LedgerRow]:
    rows = []
    for item in json.loads(data):
        item["birth_date"] = dt.date.fromisoformat(item["birth_date"])
        if item.get("return_date"):
            item["return_date"] = dt.date.fromisoformat(item["return_date"])
        rows.append(LedgerRow(**item))
    return rows


def counts_of(record: LedgerImport) -> ImportCounts:
    return ImportCounts(
        record.created, record.updated, record.unchanged, record.rejected_rows, record.warning_count
    )


# --- the batch upsert ------------------------------------------------------------------------------------


def _work_fields(row: LedgerRow) -> dict[str, Any]:
    return {
        "status": row.status,
        "work_place": row.work_place,
        "employer_name": row.employer_name,
        "monthly_income": row.monthly_income,
    }


def _same_work(latest: EmploymentEvent, row: LedgerRow) -> bool:
    """Whether a row repeats the latest event. A place kept as province + city reads back as one text."""
    place = latest.work_place or f"{latest.work_province}{latest.work_city}"
    return (latest.status, place, latest.employer_name, latest.monthly_income) == (
        row.status,
        row.work_place,
        row.employer_name,
        row.monthly_income,
    )


def _upsert(batch: Sequence[LedgerRow], *, user: Any, today: dt.date) -> tuple[int, int, int]:
    """Write one batch: new people in bulk, changed people updated with history appended."""
    by_hash = {crypto.blind_index(row.id_number): row for row in batch}
    existing = {
        p.id_hash: p for p in Person.objects.filter(id_hash__in=list(by_hash)).select_related("household")
    }
    latest_events: dict[int, EmploymentEvent] = {}
    for event in EmploymentEvent.objects.filter(person__in=[p.pk for p in existing.values()]).order_by(
        "person_id", "-occurred_on", "-id"
    ):
        latest_events.setdefault(event.person_id, event)

    new_rows = [(h, r) for h, r in by_hash.items() if h not in existing]
    created = _create(new_rows, user=user, today=today)
    updated = unchanged = 0
    for id_hash, row in by_hash.items():
        person = existing.get(id_hash)
        if person is None:
            continue
        if _update(person, row, latest_events.get(person.pk), user=user, today=today):
            updated += 1
        else:
            unchanged += 1
    return created, updated, unchanged


def _create(rows: list[tuple[str, LedgerRow]], *, user: Any, today: dt.date) -> int:
    if not rows:
        return 0
    households = Household.objects.bulk_create(
        [
            Household(
                village_code=row.village_code,
                poverty_category=row.poverty_category or PovertyCategory.GENERAL,
                poverty_set_on=today,
            )
            for _, row in rows
        ]
    )
    people = []
    for (id_hash, row), household in zip(rows, households, strict=True):
        pid, phone = protect_id(row.id_number), protect_phone(row.phone)
        people.append(
            Person(
                id_hash=id_hash,
                id_encrypted=pid.encrypted,
                id_masked=pid.masked,
                name=row.name,
                gender=row.gender,
                birth_date=row.birth_date,
                phone_hash=phone.hash,
                phone_encrypted=phone.encrypted,
                phone_masked=phone.masked,
                household=household,
                relation=Relation.HEAD,
                village_code=row.village_code,
                skills=row.skills,
                notes=row.notes,
                status=row.status,
                status_since=today if row.status else None,
                intent=row.intent,
            )
        )
    people = Person.objects.bulk_create(people)
    # Every new person heads the household made for them: one UPDATE, not a CASE over the whole batch.
    Household.objects.filter(pk__in=[h.pk for h in households]).update(
        head=Subquery(Person.objects.filter(household=OuterRef("pk")).order_by("pk").values("pk")[:1])
    )
    EmploymentEvent.objects.bulk_create(
        [
            EmploymentEvent(
                person=person, occurred_on=today, source=Source.IMPORT, recorded_by=user, **_work_fields(row)
            )
            for (_, row), person in zip(rows, people, strict=True)
            if row.status
        ]
    )
    IntentRecord.objects.bulk_create(
        [
            IntentRecord(
                person=person,
                intent=row.intent,
                destination=row.intent_destination,
                recorded_on=today,
                source=Source.IMPORT,
            )
            for (_, row), person in zip(rows, people, strict=True)
            if row.intent
        ]
    )
    return len(people)


def _update(
    person: Person, row: LedgerRow, latest: EmploymentEvent | None, *, user: Any, today: dt.date
) -> bool:
    changed: list[str] = []
    phone = protect_phone(row.phone) if row.phone else None
    for name, value in (("name", row.name), ("village_code", row.village_code)):
        if value and getattr(person, name) != value:
            setattr(person, name, value)
            changed.append(name)
    if row.skills and sorted(person.skills) != sorted(row.skills):
        person.skills = row.skills
        changed.append("skills")
    if row.notes and person.notes != row.notes:
        person.notes = row.notes
        changed.append("notes")
    if phone is not None and phone.hash != person.phone_hash:
        person.phone_hash, person.phone_encrypted, person.phone_masked = (
            phone.hash,
            phone.encrypted,
            phone.masked,
        )
        changed.append("phone")
    household = person.household
    if household is not None and row.poverty_category and household.poverty_category != row.poverty_category:
        household.poverty_category = row.poverty_category
        household.poverty_set_on = today
        household.save(update_fields=["poverty_category", "poverty_set_on", "updated_at"])
        changed.append("poverty_category")
    work = _work_fields(row)
    if row.status and (latest is None or not _same_work(latest, row)):
        EmploymentEvent.objects.create(
            person=person, occurred_on=today, source=Source.IMPORT, recorded_by=user, **work
        )
        person.status, person.status_since = row.status, today
        changed.append("status")
    if row.intent and (person.intent != row.intent):
        IntentRecord.objects.create(
            person=person,
            intent=row.intent,
            destination=row.intent_destination,
            recorded_on=today,
            source=Source.IMPORT,
        )
        person.intent = row.intent
        changed.append("intent")
    if changed:
        person.save()
        audit_record(
            action=Action.UPDATE,
            actor=user,
            object_type="registry.person",
            object_id=person.pk,
            changes={"fields": changed, "source": "import"},
        )
    return bool(changed)
