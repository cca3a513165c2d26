"""GB/T 4754-2017 国民经济行业分类: sections (门类) and divisions (大类).

The table lives in ``data/industries.csv`` (see ``data/README.md``); it is read once,
checked, and kept. Everything here is plain Python: no models, no database.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "industries.csv"

HEADER = ["section", "division", "name"]

# The divisions each section spans in GB/T 4754-2017, first and last inclusive.
SECTION_RANGES: dict[str, tuple[int, int]] = {
    "A": (1, 5),
    "B": (6, 12),
    "C": (13, 43),
    "D": (44, 46),
    "E": (47, 50),
    "F": (51, 52),
    "G": (53, 60),
    "H": (61, 62),
    "I": (63, 65),
    "J": (66, 69),
    "K": (70, 70),
    "L": (71, 72),
    "M": (73, 75),
    "N": (76, 79),
    "O": (80, 82),
    "P": (83, 83),
    "Q": (84, 85),
    "R": (86, 90),
    "S": (91, 96),
    "T": (97, 97),
}

_DIVISION_CODE = re.compile(r"\d{2}")


@dataclass(frozen=True)
class Table:
    """The checked contents of an industries file, in file order."""

    sections: tuple[tuple[str, str], ...]  # (letter, name)
    divisions: tuple[tuple[str, str, str], ...]  # (division, section, name)


def _fail(path: Path, line: int, message: str) -> ValueError:
    return ValueError(f"{path.name}, line {line}: {message}")


def load(path: Path = DATA_FILE) -> Table:
    """Read and check an industries file; raise ValueError naming the bad line."""
    sections: dict[str, str] = {}
    divisions: dict[str, tuple[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows, None)
        if header != HEADER:
            raise _fail(path, 1, f"header must be {','.join(HEADER)}, not {header!r}")
        for line, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) != len(HEADER):
                raise _fail(path, line, f"expected {len(HEADER)} fields, got {len(row)}")
            section, division, name = (field.strip() for field in row)
            if section not in SECTION_RANGES:
                raise _fail(path, line, f"unknown section {section!r}")
            if not name:
                raise _fail(path, line, "empty name")
            if not division:
                if section in sections:
                    raise _fail(path, line, f"section {section} appears twice")
                sections[section] = name
                continue
            if not _DIVISION_CODE.fullmatch(division):
                raise _fail(path, line, f"division {division!r} is not a two-digit code")
            if division in divisions:
                raise _fail(path, line, f"division {division} appears twice")
            low, high = SECTION_RANGES[section]
            if not low <= int(division) <= high:
                raise _fail(
                    path, line, f"division {division} is outside section {section} ({low:02d}–{high:02d})"
                )
            if section not in sections:
                raise _fail(path, line, f"division {division} comes before the row of section {section}")
            divisions[division] = (section, name)
    missing = [letter for letter in SECTION_RANGES if letter not in sections]
    if missing:
        raise ValueError(f"{path.name}: no row for section(s) {', '.join(missing)}")
    empty = [letter for letter in sections if all(s != letter for s, _ in divisions.values())]
    if empty:
        raise ValueError(f"{path.name}: section(s) {', '.join(empty)} have no division")
    return Table(
        sections=tuple(sorted(sections.items())),
        divisions=tuple(sorted((code, s, n) for code, (s, n) in divisions.items())),
    )


@cache
def _table() -> Table:
    return load(DATA_FILE)


@cache
def _section_names() -> dict[str, str]:
    return dict(_table().sections)


@cache
def _division_index() -> dict[str, tuple[str, str]]:
    return {code: (section, name) for code, section, name in _table().divisions}


def sections() -> list[tuple[str, str]]:
    """``[(letter, name), ...]`` for the 20 sections, A to T."""
    return list(_table().sections)


def divisions() -> list[tuple[str, str, str]]:
    """``[(division, section, name), ...]`` for every division, in code order."""
    return list(_table().divisions)


def section_of(division: str) -> str:
    """The section letter of a division code; "" when the code is unknown."""
    entry = _division_index().get(division.strip())
    return entry[0] if entry else ""


def name_of(code: str) -> str:
    """The name of a section letter or a division code; "" when unknown."""
    code = code.strip().upper()
    if code in _section_names():
        return _section_names()[code]
    entry = _division_index().get(code)
    return entry[1] if entry else ""


def division_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Divisions grouped by section, for a Django ``<select>`` with optgroups."""
    grouped: dict[str, list[tuple[str, str]]] = {letter: [] for letter, _ in _table().sections}
    for code, section, name in _table().divisions:
        grouped[section].append((code, f"{code} {name}"))
    return [(f"{letter} {name}", grouped[letter]) for letter, name in _table().sections if grouped[letter]]


# "13", "C13", "C-13", "13 农副食品加工业", "13农副食品加工业"; not "1311" or "2013年".
_CODE_PREFIX = re.compile(r"([A-Z])?[\s\-._:]*(\d{2})(?!\d)(.*)", re.DOTALL)
# A bare number as Excel stores it: 1 for "01", 13.0 for "13".
_BARE_NUMBER = re.compile(r"([A-Z])?\s*(\d{1,2})(?:\.0+)?")


def _key(text: str) -> str:
    """Compare names by letters and digits only: width, spaces and 、，() do not count."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum()).upper()


@cache
def _division_keys() -> tuple[tuple[str, str], ...]:
    return tuple((_key(name), code) for code, _, name in _table().divisions)


@cache
def _broad_section_keys() -> tuple[str, ...]:
    """Names of sections that are not also the name of a division (制造业, not 教育)."""
    division_keys = {key for key, _ in _division_keys()}
    return tuple(key for key in (_key(name) for _, name in _table().sections) if key not in division_keys)


def _occurrences(needle: str, haystack: str) -> list[int]:
    """Every index where needle starts in haystack, overlaps included."""
    return [i for i in range(len(haystack) - len(needle) + 1) if haystack.startswith(needle, i)]


def _resolve_name(key: str) -> str:
    if not key:
        return ""
    for name_key, code in _division_keys():
        if key == name_key:
            return code
    if key in _broad_section_keys():
        return ""  # a whole section is not a division
    if len(key) >= 2:
        holders = [code for name_key, code in _division_keys() if key in name_key]
        if len(holders) == 1:
            return holders[0]
        if holders:
            return ""  # "建筑" is in four division names
    # A division name counts only where it is not just part of a section name in the
    # text: "住宿和餐饮业" does not name 餐饮业, but "房屋建筑业" still names itself.
    sections = [
        (start, start + len(section_key))
        for section_key in _broad_section_keys()
        for start in _occurrences(section_key, key)
    ]
    found = [
        (name_key, code)
        for name_key, code in _division_keys()
        if any(
            not any(low <= start and start + len(name_key) <= high for low, high in sections)
            for start in _occurrences(name_key, key)
        )
    ]
    widest = [
        code
        for name_key, code in found
        if not any(name_key in other and name_key != other for other, _ in found)
    ]
    return widest[0] if len(widest) == 1 else ""


def resolve(text: str) -> str:
    """Turn what a spreadsheet says about an industry into a division code, or "".

    Accepts a division code with or without its section letter ("13", "C13",
    "13 农副食品加工业"), a division name, a division name within the text, or part
    of exactly one division name ("餐饮"). A section alone ("制造业"), anything
    matching several divisions, a letter that is not the division's section, or a
    code whose accompanying name points at another division resolves to "".

    Short division names match inside longer text too: "体育用品" gives 89 (体育),
    not 24, so show the resolved division back to the person importing.
    """
    text = unicodedata.normalize("NFKC", text or "").strip().upper()
    if not text:
        return ""
    bare = _BARE_NUMBER.fullmatch(text)
    match = bare or _CODE_PREFIX.fullmatch(text)
    if match:
        letter, code = match.group(1), match.group(2).zfill(2)
        section = section_of(code)
        if not section or (letter and letter != section):
            return ""
        rest = "" if bare else _key(match.group(3))
        named = _resolve_name(rest)
        return "" if named and named != code else code
    return _resolve_name(_key(text))
