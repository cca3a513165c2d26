"""The one selector that decides which areas a user sees.

A user sees rows whose area code starts with their scope's significant prefix (city ``410300`` → ``4103``,
county ``410329``, township ``410329101``). Codes that were replaced (410381 偃师市 → 410307 偃师区) are
followed, so rows still registered under an old county code count under the new one. Every selector that
returns people or area-bound rows builds its filter here.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet

from wengang.regions.models import RegionCodeChange

from .roles import Role

NOTHING = Q(pk__in=[])


def significant_prefix(code: str) -> str:
    """``410000`` → ``41``, ``410300`` → ``4103``, ``410329`` → ``410329``; longer codes are kept whole."""
    if len(code) == 6:
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code


def area_prefixes(code: str) -> list[str]:
    """The prefixes an area's rows may carry: its own, and those of the codes it replaced.

    A county that took over a whole old county (410381 → 410307) inherits the old prefix at every level
    below it. Where several old counties merged into one (410322 and 410306 → 410308), township and village
    suffixes are not comparable, so only county-level and wider scopes follow the old codes.
    """
    if not code:
        return []
    prefix = significant_prefix(code)
    prefixes = {prefix}
    county = code[:6]
    if len(prefix) >= 6:
        olds = list(RegionCodeChange.objects.filter(new_code=county).values_list("old_code", flat=True))
        if len(prefix) == 6 or len(olds) == 1:
            prefixes.update(old + code[6:] for old in olds)
    else:
        changes = RegionCodeChange.objects.filter(new_code__startswith=prefix)
        prefixes.update(changes.values_list("old_code", flat=True))
    # Drop prefixes already covered by a shorter one.
    ordered = sorted(prefixes, key=lambda p: (len(p), p))
    kept: list[str] = []
    for p in ordered:
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return kept


def user_area_prefixes(user: Any) -> list[str]:
    """Prefixes for a user's scope, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.scope_code:
        return []
    cached = getattr(user, "_area_prefixes", None)
    if cached is None:
        cached = area_prefixes(user.scope_code)
        user._area_prefixes = cached
    return cached


def area_q(user: Any, field: str) -> Q:
    """A filter on ``field`` (an area-code column) limited to what ``user`` sees; nothing if no scope."""
    prefixes = user_area_prefixes(user)
    if not prefixes:
        return NOTHING
    return reduce(or_, (_prefix_range(field, p) for p in prefixes))


def _prefix_range(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, as a range an ordinary B-tree index serves under any collation.

    Area codes are digits, so every code with the prefix lies in [prefix, prefix with its last digit + 1).
    """
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


def scope_queryset(
    qs: QuerySet[Any], user: Any, *, field: str = "area_code", enterprise_field: str | None = None
) -> QuerySet[Any]:
    """Limit ``qs`` to the user's scope.

    Employers see rows of their own enterprise only (when ``enterprise_field`` is given) and nothing else;
    auditors and workers see no area-bound rows through staff selectors.
    """
    roles = set(getattr(user, "roles", []) or [])
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if Role.AUDITOR in roles or roles <= {Role.WORKER}:
        return qs.none()
    if roles <= {Role.EMPLOYER}:
        if enterprise_field and user.enterprise_id:
            return qs.filter(**{enterprise_field: user.enterprise_id})
        return qs.none()
    return qs.filter(area_q(user, field))


def code_in_scope(user: Any, code: str) -> bool:
    return any(code.startswith(p) for p in user_area_prefixes(user))
