"""Returning-worker lists: an enterprise's list of workers who went home for the festival.

The upload is read with the registry's ledger reader (title rows, blank rows, GBK CSV, .xls all work), each
row is checked, ID numbers and phones are kept only encrypted, hashed and masked, and rows are matched to
registry people: by exact ID number first, else by name and phone together. The bureau's staff then record
whether they reached each worker; the enterprise sees that status and nothing else about the person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.text import normalize_text
from wengang.employers.models import Enterprise
from wengang.employers.selectors import enterprise_queryset, is_employer_only
from wengang.registry.identity import (
    IdentityError,
    normalize_phone,
    parse_resident_id,
    protect_id,
    protect_phone,
)
from wengang.registry.importers.columns import header_key
from wengang.registry.importers.reading import TableError, cell_text, read_table
from wengang.registry.models import Person
from wengang.registry.selectors import person_list

from .choices import ContactStatus, MatchMethod
from .models import ReturnWorker, ReturnWorkerList
from .selectors import return_worker_queryset

MAX_ROWS = 20_000
MAX_FILE_BYTES = 10 * 1024 * 1024
# Until MatchMethod gains a "manual" member, a staff link is stored under this value (see the report).
MANUAL_MATCH: str = getattr(MatchMethod, "MANUAL", "manual")

NAME = "name"
ID_NUMBER = "id_number"
PHONE = "phone"
ADDRESS = "address"

# The first alias is the template's header. Within a field, earlier aliases win when a file has several
# (居住地址 is preferred over 户籍地址: the bureau calls people where they live).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    NAME: ("姓名", "员工姓名", "职工姓名", "人员姓名"),
    ID_NUMBER: ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码", "身份证件号码"),
    PHONE: ("联系电话", "手机号", "手机号码", "手机", "电话", "电话号码", "联系方式"),
    ADDRESS: ("居住地址", "现住址", "现居住地址", "家庭住址", "家庭地址", "住址", "户籍地址", "地址"),
}
TEMPLATE_HEADERS = tuple(aliases[0] for aliases in COLUMN_ALIASES.values())
_MAX_LEN = {NAME: 50, ADDRESS: 200}


@dataclass(frozen=True)
class _Row:
    number: int
    name: str
    id_number: str
    phone: str
    address: str


_PAREN_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】")


def _map_columns(headers: list[str]) -> dict[str, int]:
    """Field → column index. ``手机号码（必填）`` matches like ``手机号码``, as in the registry's importer."""
    keys = [_PAREN_RE.sub("", header_key(h)) or header_key(h) for h in headers]
    found: dict[str, int] = {}
    for field, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            key = header_key(alias)
            if key in keys:
                found[field] = keys.index(key)
                break
    return found


def _error(row: int, column: str, message: str) -> dict[str, Any]:
    return {"row": row, "column": column, "message": message}


def _cell(cells: list[Any], index: int | None) -> Any:
    if index is None or index >= len(cells):
        return None
    return cells[index]


def _check_rows(data: bytes, filename: str) -> tuple[list[_Row], list[dict[str, Any]], list[dict[str, Any]]]:
    """Read and validate the file: (good rows, per-row errors, per-row warnings). File errors raise."""
    try:
        table = read_table(data, filename)
    except TableError as exc:
        raise ValidationError(str(exc)) from exc
    columns = _map_columns(table.headers)
    if NAME not in columns:
        raise ValidationError(
            _("The file has no 姓名 (name) column. Download the template to see the columns.")
        )
    if ID_NUMBER not in columns and PHONE not in columns:
        raise ValidationError(
            _(
                "The file has neither a 联系电话 (phone) nor a 身份证号 (ID number) column; "
                "one of them is needed."
            )
        )
    if len(table.rows) > MAX_ROWS:
        raise ValidationError(
            _("The file has %(n)d rows; a list may have at most %(max)d. Split it into several files.")
            % {"n": len(table.rows), "max": MAX_ROWS}
        )
    header = {field: table.headers[idx] for field, idx in columns.items()}
    rows: list[_Row] = []
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    seen_ids: dict[str, int] = {}
    seen_name_phone: dict[tuple[str, str], int] = {}
    for table_row in table.rows:
        n = table_row.number
        raw = {field: _cell(table_row.cells, columns.get(field)) for field in COLUMN_ALIASES}
        text = {field: cell_text(value) for field, value in raw.items()}
        if not any(text.values()):
            continue
        row_errors: list[dict[str, Any]] = []
        name = text[NAME]
        if any("\u4e00" <= ch <= "\u9fff" for ch in name):
            name = name.replace(" ", "")
        if not name:
            row_errors.append(_error(n, header[NAME], _("The name is missing.")))
        elif name.replace(".", "").isdigit():
            row_errors.append(
                _error(
                    n, header[NAME], _("The name is a number; check that the columns are in the right place.")
                )
            )
        for field in (NAME, ADDRESS):
            if len(text[field]) > _MAX_LEN[field]:
                row_errors.append(
                    _error(
                        n,
                        header.get(field, TEMPLATE_HEADERS[3]),
                        _("Longer than %(n)d characters.") % {"n": _MAX_LEN[field]},
                    )
                )
        id_number = ""
        if text[ID_NUMBER]:
            try:
                parsed = parse_resident_id(
                    raw[ID_NUMBER] if isinstance(raw[ID_NUMBER], str) else text[ID_NUMBER]
                )
            except IdentityError as exc:
                row_errors.append(_error(n, header[ID_NUMBER], str(exc)))
            else:
                id_number = parsed.number
                warnings.extend(_error(n, header[ID_NUMBER], w) for w in parsed.warnings)
        phone = ""
        if text[PHONE]:
            try:
                phone = normalize_phone(text[PHONE])
            except IdentityError as exc:
                row_errors.append(_error(n, header[PHONE], str(exc)))
        if not text[ID_NUMBER] and not text[PHONE]:
            column = header.get(PHONE) or header[ID_NUMBER]
            row_errors.append(
                _error(n, column, _("Give a phone number or an ID number, so the worker can be reached."))
            )
        if not row_errors and id_number:
            first = seen_ids.setdefault(id_number, n)
            if first != n:
                row_errors.append(
                    _error(
                        n,
                        header[ID_NUMBER],
                        _("The same ID number is already in row %(row)d.") % {"row": first},
                    )
                )
        if not row_errors and phone and not id_number:
            first = seen_name_phone.setdefault((name, phone), n)
            if first != n:
                row_errors.append(
                    _error(
                        n,
                        header[PHONE],
                        _("The same name and phone are already in row %(row)d.") % {"row": first},
                    )
                )
        if row_errors:
            errors.extend(row_errors)
        else:
            rows.append(_Row(n, name, id_number, phone, text[ADDRESS]))
    return rows, errors, warnings


def _match(workers: list[ReturnWorker]) -> None:
    """Link rows to registry people: exact ID first; without an ID, name and phone must both agree.

    A row whose ID number is not in the registry is left unmatched even if a person shares its name and phone:
    that person's registered ID differs, so they are someone else (or the ID was mistyped; staff decide).
    """
    id_hashes = {w.id_hash for w in workers if w.id_hash}
    by_id = {
        p.id_hash: p
        for p in Person.objects.filter(id_hash__in=id_hashes).only("pk", "id_hash", "village_code")
    }
    phone_hashes = {w.phone_hash for w in workers if w.phone_hash and not w.id_hash}
    by_name_phone: dict[tuple[str, str], list[Person]] = {}
    for p in Person.objects.filter(phone_hash__in=phone_hashes).only(
        "pk", "name", "phone_hash", "village_code"
    ):
        by_name_phone.setdefault((p.name, p.phone_hash), []).append(p)
    for w in workers:
        person: Person | None = None
        if w.id_hash:
            person = by_id.get(w.id_hash)
            method = MatchMethod.ID
        else:
            candidates = by_name_phone.get((w.name, w.phone_hash), [])
            person = candidates[0] if len(candidates) == 1 else None
            method = MatchMethod.NAME_PHONE
        if person is not None:
            w.person = person
            w.match_method = method
            w.area_code = person.village_code


def can_upload_for(actor: Any, enterprise: Enterprise) -> bool:
    """Employers upload for their own enterprise; staff for an enterprise in their area."""
    if not actor.can("returnlists.upload"):
        return False
    if is_employer_only(actor):
        return bool(actor.enterprise_id) and actor.enterprise_id == enterprise.pk
    return enterprise_queryset(actor).filter(pk=enterprise.pk).exists()


def return_list_upload(
    *, actor: Any, enterprise: Enterprise, uploaded_file: Any, request: HttpRequest | None = None
) -> ReturnWorkerList:
    """Check, store and match an uploaded list in one transaction. Bad rows are reported, not stored."""
    if not can_upload_for(actor, enterprise):
        raise PermissionDenied(_("You may not upload a list for this enterprise."))
    filename = str(getattr(uploaded_file, "name", "") or "list.xlsx")[:255]
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise ValidationError(_("The file is larger than 10 MB. Split it into several files."))
    data = uploaded_file.read()
    rows, errors, warnings = _check_rows(data, filename)
    if not rows:
        shown = [_("Row %(row)d, column %(column)s: %(message)s") % e for e in errors[:20]]
        raise ValidationError([_("No row of the file could be accepted."), *shown])
    workers: list[ReturnWorker] = []
    for r in rows:
        pid = protect_id(r.id_number) if r.id_number else None
        pphone = protect_phone(r.phone)
        workers.append(
            ReturnWorker(
                row_number=r.number,
                name=r.name,
                id_hash=pid.hash if pid else "",
                id_encrypted=pid.encrypted if pid else "",
                id_masked=pid.masked if pid else "",
                phone_hash=pphone.hash,
                phone_encrypted=pphone.encrypted,
                phone_masked=pphone.masked,
                address=r.address,
            )
        )
    _match(workers)
    matched = sum(1 for w in workers if w.person is not None)
    with transaction.atomic():
        worker_list = ReturnWorkerList.objects.create(
            enterprise=enterprise,
            filename=filename,
            rows=len(workers),
            matched=matched,
            errors=[{**e, "level": "error"} for e in errors] + [{**w, "level": "warning"} for w in warnings],
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        for w in workers:
            w.worker_list = worker_list
        ReturnWorker.objects.bulk_create(workers, batch_size=1000)
        audit_record(
            action=Action.IMPORT,
            actor=actor,
            object_type="jobs.returnworkerlist",
            object_id=worker_list.pk,
            request=request,
            changes={
                "enterprise": enterprise.pk,
                "rows": len(workers),
                "matched": matched,
                "rejected_rows": len({e["row"] for e in errors}),
                "warnings": len(warnings),
            },
        )
    return worker_list


def _check_worker(actor: Any, worker: ReturnWorker) -> None:
    if not actor.can("returnlists.contact"):
        raise PermissionDenied(_("Your roles do not allow recording contact with workers."))
    if not return_worker_queryset(actor).filter(pk=worker.pk).exists():
        raise PermissionDenied(_("This worker is outside your area."))


def return_worker_contact(
    *, actor: Any, worker: ReturnWorker, status: str, note: str, request: HttpRequest | None = None
) -> ReturnWorker:
    """Record the bureau's contact with a worker. The note is staff-only; the enterprise sees the status."""
    _check_worker(actor, worker)
    if status not in ContactStatus.values:
        raise ValidationError({"status": _("Choose a contact status from the list.")})
    note = normalize_text(note)
    if len(note) > 300:
        raise ValidationError({"note": _("The note may have at most 300 characters.")})
    old = worker.contact_status
    with transaction.atomic():
        worker.contact_status = status
        worker.contact_note = note
        worker.contacted_at = timezone.now()
        worker.contacted_by = actor
        worker.save(update_fields=["contact_status", "contact_note", "contacted_at", "contacted_by"])
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            object_type="jobs.returnworker",
            object_id=worker.pk,
            request=request,
            changes={"contact_status": [old, status], "list": worker.worker_list_id, "note": bool(note)},
        )
    return worker


def return_worker_match(
    *, actor: Any, worker: ReturnWorker, person: Person, request: HttpRequest | None = None
) -> ReturnWorker:
    """Link an unmatched row to a registry person the staff member can see."""
    _check_worker(actor, worker)
    if worker.person_id is not None:
        raise ValidationError(_("This row is already matched to a registered person."))
    if not person_list(user=actor).filter(pk=person.pk).exists():
        raise ValidationError({"person": _("That person is not in the registry of your area.")})
    if worker.id_hash and worker.id_hash != person.id_hash:
        raise ValidationError(
            {"person": _("The ID number on the list differs from this person's ID number.")}
        )
    with transaction.atomic():
        worker.person = person
        worker.match_method = MANUAL_MATCH
        worker.area_code = person.village_code
        worker.save(update_fields=["person", "match_method", "area_code"])
        ReturnWorkerList.objects.filter(pk=worker.worker_list_id).update(
            matched=ReturnWorker.objects.filter(
                worker_list_id=worker.worker_list_id, person__isnull=False
            ).count()
        )
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            object_type="jobs.returnworker",
            object_id=worker.pk,
            request=request,
            changes={"person": person.pk, "match_method": MANUAL_MATCH, "list": worker.worker_list_id},
        )
    return worker


def status_counts(workers: QuerySet[ReturnWorker]) -> list[tuple[str, str, int]]:
    """(status, label, count) for every contact status, in the order of the choices (one GROUP BY)."""
    counts = dict(
        workers.order_by().values("contact_status").annotate(n=Count("pk")).values_list("contact_status", "n")
    )
    return [(value, str(label), counts.get(value, 0)) for value, label in ContactStatus.choices]
