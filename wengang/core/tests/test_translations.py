"""The Simplified Chinese catalogue is complete, compiled, and actually used.

If this fails after you added or changed user-facing strings, run ``make messages``, translate the
new entries in wengang/locale/zh_Hans/LC_MESSAGES/django.po, and compile again (docs/translations.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.utils import translation

import wengang

LC_MESSAGES = Path(wengang.__file__).resolve().parent / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# %(name)s / %(n)d style placeholders; {{ var }} in blocktranslate is stored in the .po as %(var)s.
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def _live_entries(catalogue: polib._BaseFile) -> list[polib._BaseEntry]:
    return [e for e in catalogue if not getattr(e, "obsolete", False) and e.msgid]


def _key(entry: polib._BaseEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def _translations(entry: polib._BaseEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    assert PO_PATH.exists(), f"{PO_PATH} is missing: run `make messages`"
    return polib.pofile(str(PO_PATH))


@pytest.fixture(scope="module")
def mo() -> polib.MOFile:
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run compilemessages (`make messages`)"
    return polib.mofile(str(MO_PATH))


def test_header_declares_chinese_utf8_single_plural(po: polib.POFile) -> None:
    assert not po.metadata_is_fuzzy, "the catalogue header is marked fuzzy"
    assert po.metadata.get("Language") == "zh_Hans"
    assert "charset=UTF-8" in po.metadata.get("Content-Type", "")
    assert po.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"


def test_every_entry_is_translated_and_not_fuzzy(po: polib.POFile) -> None:
    untranslated = [e.msgid for e in _live_entries(po) if not all(_translations(e))]
    fuzzy = [e.msgid for e in _live_entries(po) if "fuzzy" in e.flags]
    gaps = [f"untranslated: {m!r}" for m in untranslated] + [f"fuzzy: {m!r}" for m in fuzzy]
    assert gaps == [], f"{len(gaps)} catalogue gap(s):\n" + "\n".join(gaps)


def test_plural_entries_have_exactly_one_form(po: polib.POFile) -> None:
    wrong = [e.msgid for e in _live_entries(po) if e.msgid_plural and sorted(e.msgstr_plural) != [0]]
    assert not wrong, f"Chinese has one plural form; fill msgstr[0] only for: {wrong!r}"


def test_translations_keep_every_placeholder(po: polib.POFile) -> None:
    broken = []
    for e in _live_entries(po):
        wanted = set(PLACEHOLDER.findall(e.msgid)) | set(PLACEHOLDER.findall(e.msgid_plural or ""))
        for text in _translations(e):
            if text and set(PLACEHOLDER.findall(text)) != wanted:
                broken.append((e.msgid, text))
    assert not broken, f"placeholders changed in: {broken!r}"


def test_compiled_mo_matches_po(po: polib.POFile, mo: polib.MOFile) -> None:
    compiled = {_key(e): e for e in _live_entries(mo)}
    stale = []
    for e in _live_entries(po):
        if "fuzzy" in e.flags or not all(_translations(e)):
            continue  # not compiled; reported by the completeness test
        got = compiled.get(_key(e))
        if got is None or _translations(got) != _translations(e):
            stale.append(e.msgid)
    assert not stale, (
        f"django.mo is older than django.po for {len(stale)} msgid(s); run compilemessages: {stale!r}"
    )


def test_gettext_uses_the_catalogue() -> None:
    with translation.override("zh-hans"):
        assert translation.gettext("Audit log") == "审计日志"
        assert translation.ngettext("%(n)s record", "%(n)s records", 3) % {"n": 3} == "共3条记录"
    with translation.override("en"):
        assert translation.gettext("Audit log") == "Audit log"
