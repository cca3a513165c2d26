"""People and cases for the 131 service tests, written through the registry's services (fictional data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from conftest import make_id
from wengang.assistance.models import PriorityCase
from wengang.regions.models import Region
from wengang.registry.models import Person
from wengang.registry.services import person_create


def village_in(prefix: str, index: int = 0) -> str:
    return Region.objects.filter(code__startswith=prefix, level="village").order_by("code")[index].code


def make_person(
    actor: Any, prefix: str, seq: int, *, category: str = "general", three_without: bool = False
) -> Person:
    return person_create(
        actor=actor,
        id_number=make_id(prefix[:6], "19850101", seq),
        name=f"测试{seq:03d}",
        village_code=village_in(prefix),
        poverty_category=category,
        is_three_without=three_without,
    )


def make_case(person: Person, **kw: Any) -> PriorityCase:
    values: dict[str, Any] = {
        "reason": "staff_added",
        "reason_note": "测试",
        "due_date": timezone.localdate() + dt.timedelta(days=30),
        "area_code": person.village_code,
    }
    values.update(kw)
    return PriorityCase.objects.create(person=person, **values)
