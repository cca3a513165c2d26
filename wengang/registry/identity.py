"""Resident ID numbers (GB 11643) and mainland mobile numbers: validation, derivation, protection.

``python-stdnum``'s ``cn.ric`` checks length, checksum, birth date and birth place. A region code that did
not exist in the birth year (``InvalidComponent``) is a warning, not a rejection: real people carry such
numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent, ValidationError

from wengang.core import crypto
from wengang.core.masking import mask_id_number, mask_phone
from wengang.core.text import normalize_code

_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# Float notation (4.10329E+17) or a trailing ".0": the cell was a number. An 18-digit run ending in zeros is
# ambiguous (real numbers can end in 000), so it counts as mangled only when its check digit fails.
_EXCEL_NUMBER_RE = re.compile(r"^\d(\.\d+)?E\+?\d+$|^\d{15,18}\.0+$")


class IdentityError(ValueError):
    """A value that cannot be accepted, with the reason in the user's language."""


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    gender: str  # "M" or "F"
    warnings: list[str] = field(default_factory=list)


def looks_mangled_by_excel(raw: str) -> bool:
    """Excel stores long numbers as floats: ``4.10302E+17`` or ``410302199001011000`` lost the last digits."""
    text = raw.strip().upper()
    return bool(_EXCEL_NUMBER_RE.match(text)) or (
        text.isdigit() and len(text) == 18 and text.endswith("000") and not _checksum_ok(text)
    )


def _checksum_ok(number: str) -> bool:
    try:
        return number[-1] == ric.calc_check_digit(number)
    except (ValueError, IndexError):
        return False


_REGION_OK: dict[tuple[str, int], bool] = {}


def _region_existed(number: str, year: int) -> bool:
    """Whether the ID's region code existed in its birth year. Cached: stdnum's lookup dominates the cost."""
    key = (number[:6], year)
    known = _REGION_OK.get(key)
    if known is None:
        try:
            ric.get_birth_place(number)
            known = True
        except InvalidComponent:
            known = False
        _REGION_OK[key] = known
    return known


def region_existed(number: str, year: int) -> bool:
    """Whether the region code of a checked ID number existed in ``year`` (cached per code and year)."""
    return _region_existed(number, year)


def parse_resident_id(raw: object) -> ResidentId:
    """Validate and normalise an ID number (full-width digits, spaces, lower-case x are fine).

    The same checks as ``stdnum.cn.ric.validate`` (length, format, check digit, birth date, birth place), with
    the birth-place lookup cached and turned into a warning.
    """
    text = normalize_code(raw)
    if looks_mangled_by_excel(str(raw)):
        raise IdentityError(
            _(
                "The ID number was stored by Excel as a number and has lost its last digits. "
                "Format the column as Text in Excel, type the numbers again, and import again."
            )
        )
    number = ric.compact(text)
    if len(number) != 18:
        raise IdentityError(_("An ID number has 18 characters; this one has %(n)d.") % {"n": len(number)})
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdentityError(_("An ID number is 17 digits followed by a digit or X."))
    if not _checksum_ok(number):
        raise IdentityError(_("The check digit is wrong: the ID number has a typing error."))
    try:
        birth = ric.get_birth_date(number)
    except ValidationError:
        raise IdentityError(_("The birth date inside the ID number is not a real date.")) from None
    warnings: list[str] = []
    if not _region_existed(number, birth.year):
        warnings.append(
            _("The region code %(code)s did not exist in the birth year; check the ID number.")
            % {"code": number[:6]}
        )
    gender = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number=number, birth_date=birth, gender=gender, warnings=warnings)


def normalize_phone(raw: object) -> str:
    """``+86 138-1234-1234`` → ``13812341234``; empty stays empty; anything else is an error."""
    text = normalize_code(raw).replace("-", "").replace("(", "").replace(")", "")
    if not text:
        return ""
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if text.endswith(".0"):
        text = text[:-2]
    if not _PHONE_RE.match(text):
        raise IdentityError(_("A mainland mobile number has 11 digits starting with 13–19."))
    return text


@dataclass(frozen=True)
class Protected:
    """What is stored for one sensitive value: never the plaintext."""

    hash: str
    encrypted: str
    masked: str


def protect_id(number: str) -> Protected:
    return Protected(crypto.blind_index(number), crypto.encrypt(number), mask_id_number(number))


def protect_phone(phone: str) -> Protected:
    if not phone:
        return Protected("", "", "")
    return Protected(crypto.blind_index(phone), crypto.encrypt(phone), mask_phone(phone))


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# --- many ID numbers at once ----------------------------------------------------------------------------

_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]


def checksums_ok(numbers: list[str]) -> list[bool]:
    """For each value, whether it is 17 ASCII digits then a digit or ``X`` with the right check digit.

    The same answer as ``len(n) == 18 and ric.calc_check_digit(n) == n[-1]`` on plain 18-character numbers,
    computed with NumPy for the whole list (a few million numbers a second). Anything else (lower-case
    ``x``, spaces, full-width digits, other lengths) is ``False`` here; callers re-check those one by one.
    """
    import numpy as np

    if not numbers:
        return []
    shaped = [type(n) is str and len(n) == 18 and n.isascii() for n in numbers]
    picked = [n for n, ok in zip(numbers, shaped, strict=True) if ok]
    if not picked:
        return shaped
    grid = np.frombuffer("".join(picked).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    digits = grid[:, :17].astype(np.int64) - 48
    body_ok = ((digits >= 0) & (digits <= 9)).all(axis=1)
    last = grid[:, 17]
    last_value = np.where(last == ord("X"), 10, last.astype(np.int64) - 48)
    last_ok = (last == ord("X")) | ((last >= ord("0")) & (last <= ord("9")))
    expected = (1 - digits @ np.array(_ID_WEIGHTS, dtype=np.int64)) % 11
    good = (body_ok & last_ok & (expected == last_value)).tolist()
    out, k = [], 0
    for ok in shaped:
        if ok:
            out.append(bool(good[k]))
            k += 1
        else:
            out.append(False)
    return out
