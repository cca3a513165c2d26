"""SMS text rules as Chinese operators apply them: the 【signature】, the opt-out line, and segment counting.

A text made only of GSM 03.38 characters is sent in the 7-bit alphabet: 160 characters in one message,
153 per part when split (the rest of each part carries the concatenation header). Anything else — every
Chinese text — is sent as UCS-2: 70 characters in one message, 67 per part. A character outside the Basic
Multilingual Plane takes two UCS-2 units. The signature and the opt-out line count like any other text.
"""

from __future__ import annotations

import math

from django.conf import settings

OPT_OUT_LINE = "回复TD退订"
MAX_SEGMENTS = 3

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def signature() -> str:
    return f"【{settings.WENGANG_OUTREACH['sms_signature']}】"


def sms_text(body: str, *, essential: bool) -> str:
    """The text as sent: signature first, then the body, then the opt-out line unless it is essential."""
    body = body.strip()
    text = signature() + body
    if not essential and OPT_OUT_LINE not in body:
        text += OPT_OUT_LINE
    return text


def _units(text: str) -> tuple[bool, int]:
    """(7-bit?, length in that alphabet's units)."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        return True, sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
    return False, sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def segment_count(text: str) -> int:
    """How many SMS the operators count for ``text`` (0 for an empty text)."""
    gsm, units = _units(text)
    if units == 0:
        return 0
    single, part = (160, 153) if gsm else (70, 67)
    return 1 if units <= single else math.ceil(units / part)


def split_parts(text: str) -> list[str]:
    """The parts a long text is sent in (a gateway that splits itself needs only the whole text)."""
    gsm, units = _units(text)
    single, part = (160, 153) if gsm else (70, 67)
    if units <= single:
        return [text] if text else []
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        size = (2 if ch in _GSM_EXTENDED else 1) if gsm else (2 if ord(ch) > 0xFFFF else 1)
        if used + size > part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += size
    if current:
        parts.append("".join(current))
    return parts
