"""Region loader: region code changes (``old_code,new_code,effective_date[,note]``)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.core.text import normalize_code, normalize_text

from ..models import RegionCodeChange
from .cells import (
    _CHANGE_COLUMNS,
    _CHANGE_REQUIRED,
    BATCH_SIZE,
    IN_QUERY_LIMIT,
    LoadResult,
    RegionLoadError,
    _code_problem,
    _date_problem,
    _is_blank,
    _map_header,
    _message,
    _parse_date,
)

# The log lines keep the logger name they had before the loader was split out of services.py.
logger = logging.getLogger("wengang.regions.services")


def _clean_note(value: str) -> str:
    """Keep Chinese punctuation (，（）) in prose; only trim and collapse whitespace."""
    return " ".join(value.split())


def _code_changes_load(
    header: Sequence[str], records: Sequence[Mapping[str, str | None]], *, source: str, errors: list[str]
) -> LoadResult:
    cols, header_errors = _map_header(header, _CHANGE_COLUMNS, _CHANGE_REQUIRED)
    if header_errors:
        raise RegionLoadError(errors + header_errors)

    parsed: dict[tuple[str, str], tuple[dt.date, str | None]] = {}
    lines: dict[tuple[str, str], int] = {}
    for index, record in enumerate(records):
        line = index + 2
        if _is_blank(record):
            continue
        codes: list[str | None] = []
        for name in ("old_code", "new_code"):
            code = normalize_code(cols.cell(record, name))
            problem = _("The area code must not be blank") if not code else _code_problem(code)
            if problem is not None:
                errors.append(_message(line, cols.label(name), problem))
                codes.append(None)
            else:
                codes.append(code)
        old_code, new_code = codes
        if old_code is not None and old_code == new_code:
            errors.append(
                _message(line, cols.label("new_code"), _("The new code must differ from the old code"))
            )
        date_text = normalize_text(cols.cell(record, "effective_date"))
        date = _parse_date(date_text) if date_text else None
        if not date_text:
            errors.append(
                _message(line, cols.label("effective_date"), _("The effective date must not be blank"))
            )
        elif date is None:
            errors.append(_message(line, cols.label("effective_date"), _date_problem(date_text)))
        note = _clean_note(cols.cell(record, "note")) or None
        if note is not None and len(note) > 200:
            errors.append(
                _message(
                    line,
                    cols.label("note"),
                    _("The note must be at most %(limit)d characters long, got %(count)d")
                    % {"limit": 200, "count": len(note)},
                )
            )
        if old_code is None or new_code is None or old_code == new_code or date is None:
            continue
        key = (old_code, new_code)
        if key in lines:
            errors.append(
                _message(
                    line,
                    cols.label("old_code"),
                    _("“%(old_code)s → %(new_code)s” repeats row %(line)d")
                    % {"old_code": old_code, "new_code": new_code, "line": lines[key]},
                )
            )
            continue
        lines[key] = line
        parsed[key] = (date, note)

    if errors:
        raise RegionLoadError(errors)
    with transaction.atomic():
        old_codes = sorted({old for old, _new in parsed})
        existing: dict[tuple[str, str], RegionCodeChange] = {}
        for start in range(0, len(old_codes), IN_QUERY_LIMIT):
            chunk = old_codes[start : start + IN_QUERY_LIMIT]
            for stored in RegionCodeChange.objects.filter(old_code__in=chunk):
                existing[(stored.old_code, stored.new_code)] = stored
        now = timezone.now()
        to_create: list[RegionCodeChange] = []
        to_update: list[RegionCodeChange] = []
        for (old_code, new_code), (date, note) in parsed.items():
            change = existing.get((old_code, new_code))
            if change is None:
                to_create.append(
                    RegionCodeChange(
                        old_code=old_code, new_code=new_code, effective_date=date, note=note or ""
                    )
                )
                continue
            changed = change.effective_date != date or (note is not None and change.note != note)
            if changed:
                change.effective_date = date
                if note is not None:
                    change.note = note
                change.updated_at = now
                to_update.append(change)
        RegionCodeChange.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        RegionCodeChange.objects.bulk_update(
            to_update, ["effective_date", "note", "updated_at"], batch_size=BATCH_SIZE
        )
    result = LoadResult(
        created=len(to_create),
        updated=len(to_update),
        unchanged=len(parsed) - len(to_create) - len(to_update),
    )
    logger.info(
        "Region code changes loaded from %s: %d created, %d updated, %d unchanged",
        source or "rows",
        result.created,
        result.updated,
        result.unchanged,
    )
    return result
