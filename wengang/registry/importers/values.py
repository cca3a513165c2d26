"""Parsing single cells: dates, money, lists. Each parser returns a value or raises ``ValueError`` with a
message for the user."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from wengang.core.text import normalize_text

# Excel's day 1 is 1900-01-01; 2958465 is 9999-12-31.
_MIN_SERIAL, _MAX_SERIAL = 1, 2958465
_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL_RE = re.compile(r"^\d{5}(?:\.\d+)?$")  # 10000 is 1927-05-18, 99999 is 2173
_SKILL_SPLIT_RE = re.compile(r"[、,，/;；\s]+")
MAX_INCOME = 1_000_000


def _date_error(text: str) -> ValueError:
    return ValueError(
        _("%(value)s is not a date. Write it as 2021-02-09, 2021/2/9, 2021.2.9 or 2021年2月9日.")
        % {"value": text}
    )


def excel_serial_to_date(serial: float) -> dt.date:
    from openpyxl.utils.datetime import from_excel

    if not _MIN_SERIAL <= serial <= _MAX_SERIAL:
        raise _date_error(str(serial))
    value = from_excel(serial)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise _date_error(str(serial))


def parse_date(value: Any) -> dt.date | None:
    """A date from a datetime cell, an Excel serial, or text in the usual Chinese forms; blank → ``None``."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise _date_error(str(value))
    if isinstance(value, int | float):
        if float(value).is_integer() and 19000101 <= value <= 21001231:
            value = str(int(value))  # 20210209 typed as a number
        else:
            return excel_serial_to_date(float(value))
    text = normalize_text(value)
    if not text:
        return None
    m = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise ValueError(_("%(value)s is not a real date.") % {"value": text}) from None
    if _SERIAL_RE.match(text):
        return excel_serial_to_date(float(text))
    raise _date_error(text)


def parse_income(value: Any) -> int | None:
    """Whole yuan a month from ``3000``, ``3000元``, ``3,000``, ``３０００``, ``0.5万``; blank → ``None``."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(_("%(value)s is not an amount of money.") % {"value": value})
    if isinstance(value, int | float):
        amount = Decimal(str(value))
        shown = str(value)
    else:
        shown = normalize_text(value)
        text = shown.replace(" ", "").replace(",", "").replace("，", "")
        for junk in ("人民币", "RMB", "¥", "￥", "元/月", "/月", "每月", "元", "左右", "约"):
            text = text.replace(junk, "")
        if not text:
            return None
        factor = Decimal(1)
        if text.endswith("万"):
            factor, text = Decimal(10000), text[:-1]
        elif text.endswith("千"):
            factor, text = Decimal(1000), text[:-1]
        try:
            amount = Decimal(text) * factor
        except InvalidOperation:
            raise ValueError(
                _("%(value)s is not an amount of money. Write whole yuan a month, e.g. 3000.")
                % {"value": shown}
            ) from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(_("%(value)s is not an amount of money.") % {"value": shown})
    if amount > MAX_INCOME:
        raise ValueError(
            _("%(value)s yuan a month is not plausible; write the monthly income in yuan.") % {"value": shown}
        )
    return int(amount.quantize(Decimal(1)))


def split_list(value: Any) -> list[str]:
    """``电工、焊工, 叉车/厨师`` → ``["电工", "焊工", "叉车", "厨师"]`` (duplicates dropped, order kept)."""
    text = normalize_text(value)
    out: list[str] = []
    for part in _SKILL_SPLIT_RE.split(text):
        if part and part not in out:
            out.append(part)
    return out
