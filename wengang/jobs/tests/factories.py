from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from wengang.employers.models import Enterprise
from wengang.jobs.choices import PostingStatus
from wengang.jobs.models import Occupation, Posting


def make_occupation(code: str = "6-99-00-01", name: str = "测试普工", **kw: Any) -> Occupation:
    defaults = {
        "name": name,
        "major_code": code[0],
        "major_name": "生产制造及有关人员",
        "middle_code": code[:4],
        "middle_name": "测试",
        "general_labour": kw.pop("general_labour", True),
    }
    defaults.update(kw)
    occupation, _ = Occupation.objects.update_or_create(code=code, defaults=defaults)
    return occupation


def make_posting(enterprise: Enterprise, *, status: str = PostingStatus.PUBLISHED, **kw: Any) -> Posting:
    """A posting written straight to the table (services are tested on their own)."""
    values: dict[str, Any] = {
        "title": "测试岗位",
        "occupation": kw.pop("occupation", None) or make_occupation(),
        "headcount": 5,
        "wage_min": 4000,
        "wage_max": 6000,
        "monthly_min": 4000,
        "monthly_max": 6000,
        "area_code": enterprise.area_code,
        "start_date": timezone.localdate() + dt.timedelta(days=10),
        "end_date": timezone.localdate() + dt.timedelta(days=60),
        "status": status,
    }
    if status == PostingStatus.PUBLISHED:
        values["published_at"] = timezone.now()
    values.update(kw)
    return Posting.objects.create(enterprise=enterprise, **values)
