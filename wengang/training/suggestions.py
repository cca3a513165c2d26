"""Skill gap → training: programmes for a seeker whose best matches fail on a missing certificate.

The engine ranks the person twice against every open posting: as they are, and with the certificate filter
relaxed (as if they held every certificate). A posting of the relaxed top list that the strict ranking
refuses, scoring at least as well as the strict list's last entry, is a job they would be offered but for a
certificate. Programmes that lead there — same (or related) occupation as such a posting, or named after
the missing certificate — held in the person's county (or for an area containing it), not started yet and
with places left, are suggested, best posting first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np
from django.db.models import Count, Q
from django.utils import timezone

from wengang.jobs.models import Posting
from wengang.jobs.taxonomy import related_codes
from wengang.matching.engine import make_context, top_postings
from wengang.matching.loading import load_arrays, posting_queryset
from wengang.matching.runs import match_weights
from wengang.registry.models import Person

from .choices import ENROLLABLE, HOLDS_PLACE
from .models import Programme
from .selectors import _ancestor_codes, programme_queryset

WIDE = 20  # relaxed list length: postings looked at beyond the person's own top 3
K = 3
ALL_CERTIFICATES = np.uint64(0xFFFFFFFFFFFFFFFF)


@dataclasses.dataclass(frozen=True)
class Blocked:
    """A posting the person would be offered but for the certificates they lack."""

    posting: Posting
    missing: tuple[str, ...]
    score: float


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """A programme that closes a gap: the certificates and postings it leads to, and its places left."""

    programme: Programme
    places_left: int
    certificates: tuple[str, ...]
    postings: tuple[Posting, ...]


def blocked_postings(person: Person) -> list[Blocked]:
    """Postings among the person's best matches but for a missing certificate (best first)."""
    if not posting_queryset().exclude(certificates=[]).exists():
        return []
    loaded = load_arrays(person.village_code[:6], person_ids=[person.pk])
    if not len(loaded.seekers) or not len(loaded.postings):
        return []
    weights = match_weights()
    ctx = make_context(loaded.seekers, loaded.postings, loaded.taxonomy, weights)
    strict = top_postings(loaded.seekers, loaded.postings, loaded.taxonomy, k=K, context=ctx)
    relaxed_seekers = dataclasses.replace(
        loaded.seekers, certificates=np.full(1, ALL_CERTIFICATES, loaded.seekers.certificates.dtype)
    )
    rctx = make_context(relaxed_seekers, loaded.postings, loaded.taxonomy, weights)
    relaxed = top_postings(relaxed_seekers, loaded.postings, loaded.taxonomy, k=WIDE, context=rctx)
    held = set(strict.index[0][strict.index[0] >= 0].tolist())
    full = bool((strict.index[0] >= 0).all())
    floor = float(strict.score[0, -1]) if full else -np.inf
    wanted: dict[int, float] = {}
    for j, score in zip(relaxed.index[0].tolist(), relaxed.score[0].tolist(), strict=True):
        if j < 0 or j in held or score < floor:
            continue
        wanted[int(loaded.posting_ids[j])] = float(score)
    if not wanted:
        return []
    mine = {str(c).strip() for c in person.certificates or []}
    out = []
    for posting in Posting.objects.filter(pk__in=list(wanted)).select_related("enterprise", "occupation"):
        missing = tuple(
            c for c in (str(x).strip() for x in posting.certificates or []) if c and c not in mine
        )
        if missing:  # otherwise refused for another reason the relaxed ranking also applies
            out.append(Blocked(posting, missing, wanted[posting.pk]))
    return sorted(out, key=lambda b: (-b.score, b.posting.pk))


def _stem(certificate: str) -> str:
    for suffix in ("资格证书", "资格证", "证书", "上岗证", "操作证", "证"):
        if certificate.endswith(suffix) and len(certificate) > len(suffix) + 1:
            return certificate.removesuffix(suffix)
    return certificate


def training_suggestions(
    *, person: Person, user: Any = None, today: dt.date | None = None
) -> list[Suggestion]:
    """Programmes to suggest to ``person`` (only those ``user`` may see when given), best gap first."""
    today = today or timezone.localdate()
    county = person.village_code[:6]
    programmes = programme_queryset(user) if user is not None else Programme.objects.all()
    programmes = (
        programmes.filter(status__in=ENROLLABLE, start_date__gt=today)
        .filter(Q(area_code__startswith=county) | Q(area_code__in=sorted(_ancestor_codes(county) | {county})))
        .exclude(enrolments__person=person)
        .annotate(taken=Count("enrolments", filter=Q(enrolments__status__in=HOLDS_PLACE)))
        .select_related("occupation")
        .order_by("start_date", "id")
    )
    candidates = [p for p in programmes if p.places - p.taken > 0]
    blocked = blocked_postings(person) if candidates else []  # the engine only when there is a choice
    if not blocked:
        return []
    out: list[Suggestion] = []
    for p in candidates:
        certs: list[str] = []
        posts: list[Posting] = []
        for b in blocked:
            occ = b.posting.occupation_id
            by_occupation = bool(p.occupation_id) and (
                p.occupation_id == occ or (occ is not None and p.occupation_id in related_codes(occ))
            )
            named = [c for c in b.missing if _stem(c) in p.name]
            if by_occupation or named:
                posts.append(b.posting)
                certs += [c for c in (named or list(b.missing)) if c not in certs]
        if posts:
            out.append(Suggestion(p, p.places - p.taken, tuple(certs), tuple(posts[:3])))
    best = {b.posting.pk: i for i, b in enumerate(blocked)}
    return sorted(out, key=lambda s: (min(best[x.pk] for x in s.postings), s.programme.start_date))
