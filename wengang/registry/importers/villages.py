"""Resolving a village cell (a 12-digit code or a name) within the importing user's scope.

The villages a user may import into are read in one query. Official names end in 村民委员会 / 居民委员会
(``许沟村村民委员会``, ``西场社区居民委员会``); staff write ``许沟村``, ``许沟``, ``西场社区`` or the
full name, and may put the township first (``鸣皋镇王庄村``) to tell apart villages with the same name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from wengang.accounts.scoping import area_q, code_in_scope
from wengang.core.text import normalize_code, normalize_text
from wengang.regions.models import Region

_SUFFIX_RE = re.compile(r"(村民委员会|居民委员会|村委会|居委会|委员会)$")
_BARE_RE = re.compile(r"(村|社区|居委|居)$")
_CODE_RE = re.compile(r"^\d{12}$")
MAX_LISTED = 6


def core_name(name: str) -> str:
    """``许沟村村民委员会`` → ``许沟村``; ``西场社区居民委员会`` → ``西场社区``."""
    text = normalize_text(name).replace(" ", "")
    stripped = _SUFFIX_RE.sub("", text)
    return stripped or text


def bare_name(name: str) -> str:
    """``许沟村`` → ``许沟``; ``西场社区`` → ``西场``; a one-character remainder is kept whole."""
    core = core_name(name)
    stripped = _BARE_RE.sub("", core)
    return stripped if len(stripped) >= 2 else core


class VillageError(ValueError):
    """The village cell cannot be resolved; the message says which villages were meant or why not."""


@dataclass
class VillageIndex:
    """The villages in a user's scope: code → name, and names (full, core, bare) → codes."""

    user: Any
    names: dict[str, str] = field(default_factory=dict)  # code → official name
    townships: dict[str, str] = field(default_factory=dict)  # village code → township name
    by_full: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_core: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_bare: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    township_names: set[str] = field(default_factory=set)
    _townships_longest_first: list[str] | None = None
    _cache: dict[str, str | VillageError] = field(default_factory=dict)

    @classmethod
    def for_user(cls, user: Any) -> VillageIndex:
        index = cls(user=user)
        rows = (
            Region.objects.filter(area_q(user, "code"), level="village")
            .values_list("code", "name", "parent__name")
            .order_by("code")
        )
        for code, name, township in rows:
            index.add(code, name, township or "")
        return index

    def add(self, code: str, name: str, township: str = "") -> None:
        self.names[code] = name
        self.townships[code] = township
        if township:
            self.township_names.add(normalize_text(township).replace(" ", ""))
        self.by_full[normalize_text(name).replace(" ", "")].append(code)
        self.by_core[core_name(name)].append(code)
        self.by_bare[bare_name(name)].append(code)
        self._townships_longest_first = None
        self._cache.clear()

    def label(self, code: str) -> str:
        return f"{self.townships.get(code, '')}{self.names.get(code, '')}（{code}）"

    def resolve(self, raw: str) -> str:
        """The 12-digit code of the village ``raw`` names; :class:`VillageError` if none or several."""
        cached = self._cache.get(raw)
        if cached is None:
            try:
                cached = self._resolve(raw)
            except VillageError as exc:
                cached = exc
            self._cache[raw] = cached
        if isinstance(cached, VillageError):
            raise VillageError(*cached.args)
        return cached

    def _resolve(self, raw: str) -> str:
        code = normalize_code(raw)
        if code.endswith(".0"):
            code = code[:-2]
        if code.isdigit():
            if not _CODE_RE.match(code):
                raise VillageError(
                    _("A village code has 12 digits; %(code)s has %(n)d.") % {"code": code, "n": len(code)}
                )
            if code in self.names:
                return code
            if not code_in_scope(self.user, code):
                raise VillageError(_("The village %(code)s is outside your area.") % {"code": code})
            raise VillageError(_("No village has the code %(code)s.") % {"code": code})
        text = normalize_text(raw).replace(" ", "")
        township = ""
        if self._townships_longest_first is None:
            self._townships_longest_first = sorted(self.township_names, key=len, reverse=True)
        for name in self._townships_longest_first:
            if text.startswith(name) and len(text) > len(name):
                township, text = name, text[len(name) :]
                break
        candidates = (
            self.by_full.get(text)
            or self.by_core.get(core_name(text))
            or self.by_bare.get(core_name(text))
            or self.by_bare.get(bare_name(text))
            or []
        )
        if township:
            candidates = [c for c in candidates if self.townships.get(c) == township]
        if len(candidates) == 1:
            return candidates[0]
        shown = normalize_text(raw)
        if not candidates:
            if township:
                raise VillageError(
                    _("No village in %(township)s is called %(name)s.") % {"township": township, "name": text}
                )
            raise VillageError(
                _("No village in your area is called %(name)s. Check the name or write the 12-digit code.")
                % {"name": shown}
            )
        listed = "、".join(self.label(c) for c in candidates[:MAX_LISTED])
        if len(candidates) > MAX_LISTED:
            listed += "…"
        raise VillageError(
            _(
                "%(n)d villages in your area are called %(name)s: %(villages)s. Write the 12-digit code, "
                "or put the township first (e.g. %(example)s)."
            )
            % {
                "n": len(candidates),
                "name": shown,
                "villages": listed,
                "example": self.townships.get(candidates[0], "") + core_name(self.names[candidates[0]]),
            }
        )
