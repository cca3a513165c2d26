from __future__ import annotations

import itertools

from stdnum.cn import uscc

from wengang.employers.models import Enterprise

_seq = itertools.count(1)


def fictional_uscc(area: str = "410329") -> str:
    body = f"91{area[:6]}MA{next(_seq):07d}"[:17]
    return body + uscc.calc_check_digit(body)


def make_enterprise(*, name: str, area_code: str) -> Enterprise:
    return Enterprise.objects.create(uscc=fictional_uscc(area_code), name=name, area_code=area_code)
