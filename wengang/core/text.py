"""Chinese text normalisation: full-width to half-width, stray spaces removed."""

from __future__ import annotations

import unicodedata

_HALFWIDTH = {0x3000: " ", **{code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}}
# Format characters (zero-width spaces and joiners, BOM) that spreadsheets carry invisibly.
_INVISIBLE = dict.fromkeys([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD])
_CLEAN = str.maketrans({**_HALFWIDTH, **_INVISIBLE})


_TO_HALFWIDTH = str.maketrans(_HALFWIDTH)


def to_halfwidth(value: str) -> str:
    """Convert full-width ASCII variants (ＡＢＣ１２３，　) to their half-width forms."""
    return value.translate(_TO_HALFWIDTH)


def normalize_text(value: object) -> str:
    """Normalise a cell or form value: NFKC-safe half-width, no zero-width marks, collapsed spaces."""
    if value is None:
        return ""
    text = str(value).translate(_CLEAN)
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


def normalize_code(value: object) -> str:
    """Normalise an identifier cell: half-width, no spaces at all, upper-case (``x`` → ``X``)."""
    return normalize_text(value).replace(" ", "").upper()
