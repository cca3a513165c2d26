"""Exporting the registry to Excel in the import template's columns, so an export can be re-imported.

Numbers are masked unless the caller passes ``unmasked=True``, which the views allow only with the unmask
permission and a reason (audited). Rows stream from the database in chunks; the workbook is written in
openpyxl's write-only mode, so memory stays flat for large exports.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from wengang.core import crypto
from wengang.regions.models import Region

from .importers import columns as c
from .models import CONSENT_FIELDS, EmploymentEvent, IntentRecord, Person

EXPORT_FIELDS: tuple[str, ...] = (
    c.NAME,
    c.ID_NUMBER,
    c.PHONE,
    c.GENDER,
    c.VILLAGE,
    c.VILLAGE_CODE,
    c.POVERTY_CATEGORY,
    c.STATUS,
    c.WORK_PLACE,
    c.EMPLOYER_NAME,
    c.MONTHLY_INCOME,
    c.INTENT,
    c.INTENT_DESTINATION,
    c.SKILLS,
    c.NOTES,
    c.RETURN_DATE,
)
# Columns after the template's: the importer ignores them (unknown headers are kept and skipped).
CONSENT_HEADER = "同意推送渠道"
CONSENT_WORDS = {"sms": "短信", "wechat": "微信", "app": "站内", "phone": "电话"}
BACKGROUND_THRESHOLD = 10_000


def _words(field_key: str) -> dict[str, str]:
    """value → the first word staff write for it (what the importer reads back)."""
    out: dict[str, str] = {}
    for word, value in c.ENUM_WORDS[field_key].items():
        out.setdefault(value, word)
    return out


def _chunks(people: QuerySet[Person], size: int = 2000) -> Iterator[list[Person]]:
    chunk: list[Person] = []
    for person in people.select_related("household").iterator(chunk_size=size):
        chunk.append(person)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _latest(model: Any, ids: list[int], order: tuple[str, ...]) -> dict[int, Any]:
    """The latest row of ``model`` per person, for a chunk of people, in one query."""
    out: dict[int, Any] = {}
    for row in model.objects.filter(person_id__in=ids).order_by("person_id", *order):
        out.setdefault(row.person_id, row)
    return out


def export_rows(people: QuerySet[Person], *, unmasked: bool) -> Iterator[list[Any]]:
    statuses, intents, poverty = _words(c.STATUS), _words(c.INTENT), _words(c.POVERTY_CATEGORY)
    names: dict[str, str] = {}
    for chunk in _chunks(people):
        ids = [p.pk for p in chunk]
        events = _latest(EmploymentEvent, ids, ("-occurred_on", "-id"))
        intent_rows = _latest(IntentRecord, ids, ("-recorded_on", "-id"))
        missing = {p.village_code for p in chunk} - set(names)
        if missing:
            names.update(Region.objects.filter(code__in=missing).values_list("code", "name"))
        for person in chunk:
            latest, intent = events.get(person.pk), intent_rows.get(person.pk)
            id_number = crypto.decrypt(person.id_encrypted) if unmasked else person.id_masked
            phone = (
                (crypto.decrypt(person.phone_encrypted) if unmasked else person.phone_masked)
                if person.phone_hash
                else ""
            )
            yield [
                person.name,
                id_number,
                phone,
                "男" if person.gender == "M" else "女",
                names.get(person.village_code, ""),
                person.village_code,
                poverty.get(person.household.poverty_category, "") if person.household else "",
                statuses.get(person.status, ""),
                (latest.work_place or f"{latest.work_province}{latest.work_city}") if latest else "",
                latest.employer_name if latest else "",
                latest.monthly_income if latest and latest.monthly_income is not None else "",
                intents.get(person.intent, ""),
                intent.destination if intent else "",
                "、".join(person.skills),
                person.notes,
                person.return_date.isoformat() if person.return_date else "",
                "、".join(w for ch, w in CONSENT_WORDS.items() if getattr(person, CONSENT_FIELDS[ch])),
            ]


def export_xlsx_bytes(
    people: QuerySet[Person], *, unmasked: bool, on_progress: Callable[[int], None] | None = None
) -> tuple[bytes, int]:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("劳动力台账")
    bold = Font(bold=True)
    header = []
    for key in EXPORT_FIELDS:
        cell = WriteOnlyCell(ws, value=c.canonical_header(key))
        cell.font = bold
        header.append(cell)
    extra = WriteOnlyCell(ws, value=CONSENT_HEADER)
    extra.font = bold
    header.append(extra)
    ws.append(header)
    count = 0
    for row in export_rows(people, unmasked=unmasked):
        ws.append(row)
        count += 1
        if on_progress is not None and count % 1000 == 0:
            on_progress(count)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), count
