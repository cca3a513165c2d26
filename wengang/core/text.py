"""Chinese text normalisation: full-width to half-width, stray spaces removed."""

from __future__ import annotations

import unicodedata


def to_halfwidth(value: str) -> str:
    """Convert full-width ASCII variants (ＡＢＣ１２３，　) to their half-width forms."""
    out = []
    for ch in value:
        code = ord(ch)
        if code == 0x3000:
            out.append(" ")
        elif 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


def normalize_text(value: object) -> str:
    """Normalise a cell or form value: NFKC-safe half-width, no zero-width marks, collapsed spaces."""
    if value is None:
        return ""
    text = to_halfwidth(str(value))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


def normalize_code(value: object) -> str:
    """Normalise an identifier cell: half-width, no spaces at all, upper-case (``x`` → ``X``)."""
    return normalize_text(value).replace(" ", "").upper()
