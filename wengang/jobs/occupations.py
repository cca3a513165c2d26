"""The occupation table in the database, kept in step with the shipped CSV, and free-text matching."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .models import Occupation


@transaction.atomic
def occupations_sync() -> tuple[int, int]:
    """Create or update every occupation of ``data/occupations.csv``; return (created, updated)."""
    from .taxonomy import load_rows

    existing = {o.code: o for o in Occupation.objects.all()}
    created = updated = 0
    for row in load_rows():
        values = {
            "name": row.name,
            "major_code": row.major_code,
            "major_name": row.major_name,
            "middle_code": row.middle_code,
            "middle_name": row.middle_name,
            "general_labour": row.general_labour,
            "related": sorted(row.related),
            "synonyms": list(row.synonyms),
        }
        current = existing.get(row.code)
        if current is None:
            Occupation.objects.create(code=row.code, **values)
            created += 1
        elif any(getattr(current, k) != v for k, v in values.items()):
            Occupation.objects.filter(code=row.code).update(**values)
            updated += 1
    return created, updated


def occupation_suggest(text: str, limit: int = 3) -> list[dict[str, Any]]:
    """Occupations that free text such as “招聘电焊工两名，要求持证” names, best first, for confirmation."""
    if not text.strip():
        return []
    from .taxonomy import OccupationMatcher

    matches = OccupationMatcher.default().match(text, limit=limit)
    known = set(Occupation.objects.filter(code__in=[m.code for m in matches]).values_list("code", flat=True))
    return [
        {"code": m.code, "name": m.name, "score": round(m.score), "matched": m.matched, "via": m.via}
        for m in matches
        if m.code in known
    ]
