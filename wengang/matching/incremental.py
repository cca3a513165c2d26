"""Incremental updates: after a posting or a person changed, re-rank only the people it concerns.

A full run (:mod:`.runs`) ranks every seeker of an area. Between runs, a changed posting re-ranks the seekers
of the current runs who listed it (it may have closed, filled or changed) and those it now reaches whose
new top 3 holds it; a changed person is re-ranked alone. Their current recommendations are replaced in one
transaction (the old rows stay, no longer current, as history), attached to the run that covers them.

Ranking uses the engine's public functions on the affected seekers only, against every open posting, with
the run's weights. The capacity rule is kept greedily: a re-ranked seeker whose first choice is already the
first choice of ``capacity_factor`` × its open places takes the next posting of their list with room.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import Counter

import numpy as np
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from wengang.accounts.scoping import area_prefixes
from wengang.jobs.models import Posting
from wengang.registry.choices import Intent
from wengang.registry.models import Person

from . import storing
from .engine import Context, Recommendations, make_context, top_postings
from .index import compat_csr
from .loading import Loaded, load_arrays, posting_queryset
from .models import MatchRun, Recommendation, RunStatus
from .runs import BATCH, K, _dismissed, match_weights
from .scoring import compat_matrix, pair_terms, prepare
from .weights import Weights

RECENT_RUNS = 200  # finished runs looked at when finding the current ones


@dataclasses.dataclass
class Refreshed:
    """What an incremental update did (for logs, tests and the benchmark)."""

    runs: int = 0
    seekers: int = 0  # people whose current recommendations were replaced
    rows: int = 0
    seconds: float = 0.0


def _inside(code: str, area: str) -> bool:
    return code.startswith(tuple(area_prefixes(area)))


def current_runs() -> list[tuple[MatchRun, list[str]]]:
    """The finished runs whose recommendations are current, newest first, each with the scopes of newer
    current runs inside its own area (whose people it no longer speaks for)."""
    out: list[tuple[MatchRun, list[str]]] = []
    runs = MatchRun.objects.filter(status=RunStatus.DONE).order_by("-finished_at", "-id")[:RECENT_RUNS]
    for run in runs:
        if any(_inside(run.scope_code, newer.scope_code) for newer, _s in out):
            continue  # a newer run of this area or a wider one replaced it
        inner = [newer.scope_code for newer, _s in out if _inside(newer.scope_code, run.scope_code)]
        out.append((run, inner))
    return out


def run_covering(village_code: str) -> MatchRun | None:
    """The current run whose recommendations a person of ``village_code`` belongs to (None: no run yet)."""
    for run, _inner in current_runs():
        if any(village_code.startswith(p) for p in area_prefixes(run.scope_code)):
            return run
    return None


def covered(*, posting: bool = False, village_code: str = "") -> bool:
    """Whether an update is worth scheduling: some finished run exists (a posting may reach any area), or
    one covers the person's village."""
    if posting:
        return MatchRun.objects.filter(status=RunStatus.DONE).exists()
    return run_covering(village_code) is not None


def _weights(run: MatchRun) -> Weights:
    return Weights(**run.weights) if run.weights else match_weights()


def _subset(loaded: Loaded, idx: np.ndarray) -> Loaded:
    return dataclasses.replace(
        loaded,
        seekers=loaded.seekers.take(idx),
        person_ids=loaded.person_ids[idx],
        person_areas=[loaded.person_areas[i] for i in idx.tolist()],
        seeker_coarse=loaded.seeker_coarse[idx],
    )


def _outside(areas: list[str], scopes: list[str]) -> np.ndarray:
    """bool per seeker: not in any of ``scopes`` (people a newer run speaks for are left to it)."""
    prefixes = tuple(p for scope in scopes for p in area_prefixes(scope))
    if not prefixes:
        return np.ones(len(areas), np.bool_)
    return np.array([not a.startswith(prefixes) for a in areas], np.bool_)


def _rank(loaded: Loaded, weights: Weights) -> tuple[Context | None, Recommendations | None]:
    if not len(loaded.seekers) or not len(loaded.postings):
        return None, None
    ctx = make_context(loaded.seekers, loaded.postings, loaded.taxonomy, weights)
    return ctx, top_postings(loaded.seekers, loaded.postings, loaded.taxonomy, k=K, context=ctx)


def _keep_capacity(ctx: Context, recs: Recommendations, loaded: Loaded) -> None:
    """Move a first choice that is already full (``capacity_factor`` × open places of other people's first
    choices) behind the first posting of the list with room; nothing changes when nothing has room."""
    listed = np.unique(recs.index[recs.index >= 0])
    if not len(listed):
        return
    ids = [int(i) for i in loaded.posting_ids[listed].tolist()]
    first = Recommendation.objects.filter(is_current=True, rank=1).order_by()
    counts: Counter[int] = Counter()
    for start in range(0, len(ids), BATCH):
        rows = (
            first.filter(posting_id__in=ids[start : start + BATCH])
            .values("posting_id")
            .annotate(n=Count("id"))
        )
        counts.update({r["posting_id"]: r["n"] for r in rows})
    people = [int(i) for i in loaded.person_ids.tolist()]
    for start in range(0, len(people), BATCH):  # their own current first choices are about to go
        counts.subtract(
            first.filter(person_id__in=people[start : start + BATCH]).values_list("posting_id", flat=True)
        )
    load = {int(j): counts.get(int(loaded.posting_ids[j]), 0) for j in listed}
    places = np.where(ctx.postings.is_open, ctx.postings.places, 0).clip(0, None)
    cap = np.floor(ctx.weights.capacity_factor * places)
    order = np.lexsort((np.arange(len(recs.index)), -recs.score[:, 0], -ctx.prep.s_prio))
    for s in order.tolist():
        row = recs.index[s]
        if row[0] < 0:
            continue
        pick = 0
        if load[int(row[0])] + 1 > cap[row[0]]:
            for r in range(1, recs.k):
                if row[r] >= 0 and load[int(row[r])] + 1 <= cap[row[r]]:
                    pick = r
                    break
        if pick:
            moved = [pick] + [r for r in range(recs.k) if r != pick]
            recs.index[s] = recs.index[s, moved]
            recs.score[s] = recs.score[s, moved]
        load[int(recs.index[s, 0])] += 1


def _replace(run: MatchRun, person_ids: list[int], cols: storing.Columns) -> None:
    """The current recommendations of ``person_ids`` become ``cols``, in one transaction (written by the
    run's columnar writer: a posting listed by tens of thousands of seekers re-ranks them all at once)."""
    with transaction.atomic():
        # one replacement at a time per run: two overlapping updates must not both leave rows current
        MatchRun.objects.select_for_update().filter(pk=run.pk).first()
        for start in range(0, len(person_ids), BATCH):
            Recommendation.objects.filter(
                is_current=True, person_id__in=person_ids[start : start + BATCH]
            ).update(is_current=False)
        storing.write(run.pk, cols)


def _refresh(run: MatchRun, loaded: Loaded, weights: Weights, only: np.ndarray | None = None) -> int:
    """Rank ``loaded``'s seekers and store the lists of those in ``only`` (all when None); rows written."""
    ctx, recs = _rank(loaded, weights)
    if ctx is not None and recs is not None:
        if only is not None:
            recs.index[~only] = -1
            recs.score[~only] = -np.inf
        _keep_capacity(ctx, recs, loaded)
        cols = storing.build(loaded, ctx, recs)
        if len(cols):
            cols = storing.without_pairs(cols, _dismissed(run))
    else:
        cols = storing.Columns.empty()
    ids = loaded.person_ids if only is None else loaded.person_ids[only]
    _replace(run, [int(i) for i in ids.tolist()], cols)
    return len(cols)


def _years_before(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _reach_q(posting: Posting, scope_code: str) -> Q:
    """A superset, in SQL, of the people ``posting`` could reach (age, a stated skill for a skilled
    occupation, leaving the province), so that an update reads only them; the engine applies the rest."""
    today = timezone.localdate()
    q = Q(pk__isnull=False)  # not Q(): OR-ing an empty Q would drop it
    if posting.age_min:
        q &= Q(birth_date__lte=_years_before(today, posting.age_min))
    if posting.age_max:
        q &= Q(birth_date__gt=_years_before(today, posting.age_max + 1) - dt.timedelta(days=1))
    if posting.occupation is not None and not posting.occupation.general_labour:
        q &= ~Q(skills=[])  # no stated skill → general labour only
    if posting.area_code[:2] != scope_code[:2]:
        q &= Q(intent=Intent.GO_OUT, is_three_without=False)
    return q


def recommendations_refresh_for_posting(posting_id: int) -> Refreshed:
    """Re-rank the seekers of the current runs who listed posting ``posting_id`` or whom it now reaches."""
    return recommendations_refresh_for_postings([posting_id])


def recommendations_refresh_for_postings(posting_ids: list[int]) -> Refreshed:
    """Re-rank, once, the seekers of the current runs who listed any of ``posting_ids`` or whom one of them
    now reaches (a batch of changes, e.g. the postings closed at expiry, costs about one update)."""
    started = time.perf_counter()
    done = Refreshed()
    ids = sorted({int(i) for i in posting_ids})
    open_ids = set(
        posting_queryset().filter(pk__in=ids, headcount__gt=F("filled_count")).values_list("pk", flat=True)
    )
    reaching = list(Posting.objects.filter(pk__in=open_ids).select_related("occupation").order_by("pk"))
    listed_q = Recommendation.objects.filter(is_current=True, posting_id__in=ids).values("person_id")
    listed = list(set(listed_q.values_list("person_id", flat=True)))
    for run, inner in current_runs():
        weights = _weights(run)
        wanted = Q(pk__in=listed_q)
        for posting in reaching:
            wanted |= _reach_q(posting, run.scope_code)
        loaded = load_arrays(run.scope_code, person_ids=Person.objects.filter(wanted).values("pk"))
        mine = _outside(loaded.person_areas, inner)
        affected = mine & np.isin(loaded.person_ids, listed)
        hits = np.flatnonzero(np.isin(loaded.posting_ids, ids))
        if len(hits) and len(loaded.seekers):
            prep = prepare(loaded.seekers, loaded.postings, weights)
            compat = compat_matrix(compat_csr(loaded.taxonomy), loaded.taxonomy.n_occupations)
            every = np.arange(len(loaded.seekers))
            for j in hits.tolist():
                t = pair_terms(
                    loaded.seekers, loaded.postings, weights, prep, compat, every, np.full_like(every, j)
                )
                affected |= mine & t.feasible
        idx = np.flatnonzero(affected)
        if not len(idx):
            continue
        sub = _subset(loaded, idx)
        ctx, recs = _rank(sub, weights)
        # those they reach but whose top 3 holds none of them keep their lists; those who listed one change
        only = np.isin(sub.person_ids, listed)
        if recs is not None and len(hits):
            only |= np.isin(recs.index, hits).any(axis=1)
        if not only.any():
            continue
        keep = np.flatnonzero(only)
        done.rows += _refresh(run, _subset(sub, keep), weights)
        done.seekers += len(keep)
        done.runs += 1
    done.seconds = round(time.perf_counter() - started, 3)
    return done


def recommendations_refresh_for_person(person_id: int) -> Refreshed:
    """Re-rank one person against every open posting (or drop their current list if they stopped seeking
    or no current run covers them any more)."""
    started = time.perf_counter()
    done = Refreshed()
    village = Person.objects.filter(pk=person_id).values_list("village_code", flat=True).first()
    run = run_covering(village) if village else None
    if run is None:
        if Recommendation.objects.filter(is_current=True, person_id=person_id).exists():
            Recommendation.objects.filter(is_current=True, person_id=person_id).update(is_current=False)
            done.seekers = 1
        done.seconds = round(time.perf_counter() - started, 3)
        return done
    loaded = load_arrays(run.scope_code, person_ids=[person_id])
    if len(loaded.seekers):
        done.rows = _refresh(run, loaded, _weights(run))
    else:
        _replace(run, [person_id], storing.Columns.empty())
    done.runs, done.seekers = 1, 1
    done.seconds = round(time.perf_counter() - started, 3)
    return done
