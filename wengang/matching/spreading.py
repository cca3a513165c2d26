"""Capacity-aware first choices (numba): a greedy assignment in priority order, in levels.

Seekers come priority people first, then by their best score (ties: the lower index). At level 1 each takes
their best feasible posting that still has room — room = the cap (``capacity_factor`` × open places) minus
the first choices it has: their own list first, then the exact search restricted to postings with room
(:func:`.forward.search` with ``use_room``; room counters per bucket, super-block, block and class skip what
is full). A seeker for whom no feasible posting has room anywhere waits for level 2, where every cap doubles,
and so on: nobody is over a posting's cap while another feasible posting has room, and when nothing fits
(demand beyond the places) the extra first choices are spread over the feasible postings instead of piling
onto the most popular one. After ``max_level`` levels the rest keep their own best.

Rooms only shrink within a level, so once a seeker found nothing, every later seeker with the same feasible
set finds nothing too: seekers are grouped by what decides feasibility (:func:`feasibility_groups`: the
occupation, age, certificates, intent and its area — and the home point for "local only"), and a group that
failed skips the search for the rest of the level.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import numba as nb
import numpy as np

from .arrays import SCOPE_COUNTY, SCOPE_LOCAL, SCOPE_OUT, SCOPE_PROVINCE
from .forward import search

CHUNK = 50_000  # seekers between two checks whether the index should be rebuilt
BATCH = 2048  # seekers whose proposals are computed at once (on threads) before they are taken in order


@nb.njit(cache=True, nogil=True)
def _rooms(room, F, groom, oroom):
    """Room per bucket, super-block and block (``groom``, in that order) and per class (``oroom``)."""
    groom[:] = 0
    oroom[:] = 0
    n_bkt = F.bb.shape[0] - 1
    n_sup = F.sstart.shape[0] - 1
    for q in range(n_bkt):
        for g2 in range(F.bb[q], F.bb[q + 1]):
            for g in range(F.sstart[g2], F.sstart[g2 + 1]):
                for m in range(F.bstart[g], F.bstart[g + 1]):
                    r = room[F.pid[m]]
                    if r > 0:
                        groom[q] += r
                        groom[n_bkt + g2] += r
                        groom[n_bkt + n_sup + g] += r
                        oroom[F.mclass[m]] += r


def rooms(room: np.ndarray, F: object) -> tuple[np.ndarray, np.ndarray]:
    """(``groom``, ``oroom``) for ``room``."""
    n = len(F.bb) - 1 + len(F.sstart) - 1 + len(F.bstart) - 1  # type: ignore[attr-defined]
    groom = np.zeros(n, np.int64)
    oroom = np.zeros(F.cmax.shape[1], np.int64)  # type: ignore[attr-defined]
    _rooms(room, F, groom, oroom)
    return groom, oroom


def feasibility_groups(S: object) -> np.ndarray:
    """A dense group id per seeker: equal ids ⇔ the same feasible postings (the hard filters read the
    occupation, age, certificates, the intent's scope and its area: the home point within the local radius,
    the county, the province, the named destination; an out-of-province seeker without one may go anywhere).
    """
    scope = S.scope.astype(np.int64)  # type: ignore[attr-defined]
    n = len(scope)
    zero = np.zeros(n, np.int64)
    local = scope == SCOPE_LOCAL
    lat = np.where(local, np.asarray(S.lat, np.float64).view(np.int64), 0)  # type: ignore[attr-defined]
    lon = np.where(local, np.asarray(S.lon, np.float64).view(np.int64), 0)  # type: ignore[attr-defined]
    county = np.where(scope == SCOPE_COUNTY, S.county, zero)  # type: ignore[attr-defined]
    named = (scope == SCOPE_PROVINCE) | ((scope == SCOPE_OUT) & (S.dest >= 0))  # type: ignore[attr-defined]
    prov = np.where(named, S.prov, zero)  # type: ignore[attr-defined]
    dest = np.where(scope == SCOPE_OUT, S.dest, zero)  # type: ignore[attr-defined]
    certs = S.certs.view(np.int64)  # type: ignore[attr-defined]
    keys = (S.occ, S.age, certs, scope, county, prov, dest, lat, lon)  # type: ignore[attr-defined]
    order = np.lexsort(keys)
    new = np.zeros(n, np.bool_)
    if n:
        new[0] = True
        for col in keys:
            c = np.asarray(col)[order]
            new[1:] |= c[1:] != c[:-1]
    gid = np.empty(n, np.int64)
    gid[order] = np.cumsum(new) - 1
    return gid


@nb.njit(cache=True, nogil=True)
def _best_with_room(s, k, S, F, w, rec_p, rec_s, room, groom, oroom, last, hint, top_p, top_s, seed):
    """(posting, score) of the best feasible posting with room for seeker ``s`` (-1: none) — their own list
    first, then the exact search with room."""
    for r in range(k):
        j = rec_p[s, r]
        if j < 0:
            break
        if room[j] > 0:
            return j, rec_s[s, r]
    if rec_p[s, k - 1] < 0:  # a short list holds every feasible posting: none has room
        return -1, np.float32(0.0)
    # scored first: what the last seeker of the same cell and occupation took (a good bound early)
    n_so = hint.shape[0]
    so = S.occ[s] + 1
    hint[so, 0] = last[F.scell[s] * n_so + so]
    if search(s, 1, top_p, top_s, S, F, w, room, groom, oroom, True, hint, seed) > 0:
        return top_p[0], np.float32(top_s[0])
    return -1, np.float32(0.0)


@nb.njit(cache=True, nogil=True)
def propose(seq, k, S, F, w, rec_p, rec_s, room, groom, oroom, group, failed, last, prop, psc):
    """Each seeker's best feasible posting with room for the rooms as they are (read only: threads run
    this on parts of a batch at once); -2 when their feasibility group already failed."""
    top_p = np.empty(1, np.int32)
    top_s = np.empty(1, np.float64)
    seed = np.empty(1, np.int32)
    hint = np.full((F.comp_indptr.shape[0] - 1, 1), -1, np.int32)
    for i in range(len(seq)):
        s = seq[i]
        if failed[group[s]]:
            prop[i] = -2
            continue
        prop[i], psc[i] = _best_with_room(
            s, k, S, F, w, rec_p, rec_s, room, groom, oroom, last, hint, top_p, top_s, seed
        )


@nb.njit(cache=True, nogil=True)
def commit(seq, prop, psc, fail, n_fail, lv, k, S, F, w, rec_p, rec_s, room, groom, oroom, gidx, load, new_p,
           new_s, level, group, failed, last):  # fmt: skip
    """Take the proposals of ``seq`` in order. Rooms only shrink, so a proposal whose posting still has
    room is still the seeker's best with room, and "none" stays none; a proposal that has filled up since is
    searched again here. Those who find none are appended to ``fail`` after its first ``n_fail`` (the new
    count is returned); their feasibility group is marked failed for the rest of the level."""
    top_p = np.empty(1, np.int32)
    top_s = np.empty(1, np.float64)
    seed = np.empty(1, np.int32)
    n_so = F.comp_indptr.shape[0] - 1  # seeker occupations + 1
    hint = np.full((n_so, 1), -1, np.int32)
    n_next = n_fail
    for i in range(len(seq)):
        s = seq[i]
        chosen, sc = prop[i], psc[i]
        if failed[group[s]]:
            chosen = -1
        elif chosen >= 0 and room[chosen] <= 0:
            chosen, sc = _best_with_room(
                s, k, S, F, w, rec_p, rec_s, room, groom, oroom, last, hint, top_p, top_s, seed
            )
        if chosen < 0:
            failed[group[s]] = True
            fail[n_next] = s
            n_next += 1
            continue
        room[chosen] -= 1
        load[chosen] += 1
        for r in range(3):
            groom[gidx[r, chosen]] -= 1
        oroom[F.mclass[F.mpos[chosen]]] -= 1
        last[F.scell[s] * n_so + S.occ[s] + 1] = chosen
        new_p[s] = chosen
        new_s[s] = sc
        level[s] = lv
    return n_next


@nb.njit(cache=True, nogil=True)
def still_fits(seq, S, F, w, room, groom, oroom):
    """How many seekers of ``seq`` have a feasible posting with ``room > 0`` (a capacity-rule violation when
    they were placed beyond level 1)."""
    top_p = np.empty(1, np.int32)
    top_s = np.empty(1, np.float64)
    no_hint = np.zeros((0, 1), np.int32)
    seed = np.empty(1, np.int32)
    n = 0
    for s in seq:
        if search(s, 1, top_p, top_s, S, F, w, room, groom, oroom, True, no_hint, seed) > 0:
            n += 1
    return n


def group_index(F: object, n_postings: int) -> np.ndarray:
    """[3, n_postings]: each indexed posting's bucket, super-block and block in ``groom``."""
    bb, sstart, bstart, pid = F.bb, F.sstart, F.bstart, F.pid  # type: ignore[attr-defined]
    n_bkt, n_sup = len(bb) - 1, len(sstart) - 1
    blk = np.repeat(np.arange(len(bstart) - 1), np.diff(bstart))  # block of each member
    sup = np.repeat(np.arange(n_sup), np.diff(sstart))[blk]
    bkt = np.repeat(np.arange(n_bkt), np.diff(bb))[sup]
    out = np.zeros((3, n_postings), np.int64)
    out[:, pid] = np.stack([bkt, n_bkt + sup, n_bkt + n_sup + blk])
    return out


def spread_first(
    seq: np.ndarray, k: int, S: object, F: object, w: np.ndarray, rec_p: np.ndarray, rec_s: np.ndarray,
    cap: np.ndarray, max_level: int, rebuild: Callable[[np.ndarray], object] | None = None,
    group: np.ndarray | None = None, threads: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(first choice, its score, level, load per posting) for every seeker; level 0 = no list. Level ``lv``
    lets each posting take up to ``cap × 2**(lv - 1)`` first choices (level 1 = the cap itself); after
    ``max_level`` levels the rest keep their own best (level ``max_level + 1``). ``rebuild(room)``: the
    index of the postings with room only — rebuilt once a tenth of the postings with room have filled, so the
    bounds of the search stop counting full postings. ``group``: :func:`feasibility_groups` (computed when
    not given; ``np.arange(n)`` turns the shortcut off). ``threads``: the proposals of a batch are computed on
    that many threads against the rooms as they are, then taken in order (:func:`commit`): the result is the
    same for any number of threads."""
    n = len(rec_p)
    new_p = np.full(n, -1, np.int32)
    new_s = np.full(n, -np.inf, np.float32)
    level = np.zeros(n, np.int32)
    load = np.zeros(len(cap), np.int64)
    pending = seq[rec_p[seq, 0] >= 0].astype(np.int64)
    limit = cap.astype(np.int64)
    Fi = F
    group = feasibility_groups(S) if group is None else group
    failed = np.zeros(int(group.max(initial=-1)) + 1, np.bool_)
    n_so = len(F.comp_indptr) - 1  # type: ignore[attr-defined]
    last = np.full((int(F.scell.max(initial=-1)) + 1) * n_so, -1, np.int32)  # type: ignore[attr-defined]
    pool_cm = ThreadPoolExecutor(max_workers=threads) if threads > 1 else nullcontext()
    with pool_cm as pool:
        for lv in range(1, max_level + 1):
            if len(pending) == 0:
                break
            failed[:] = False
            room = np.maximum(limit - load, 0)
            fail = np.empty(len(pending), np.int64)
            n_fail = 0
            built_with = -1
            for lo in range(0, len(pending), CHUNK):
                with_room = int((room > 0).sum())
                if rebuild is not None and (built_with < 0 or with_room < 0.9 * built_with):
                    Fi = rebuild(room)
                    built_with = with_room
                gidx = group_index(Fi, len(cap))
                groom, oroom = rooms(room, Fi)
                part = pending[lo : lo + CHUNK]
                for b in range(0, len(part), BATCH):
                    seq = part[b : b + BATCH]
                    prop = np.empty(len(seq), np.int32)
                    psc = np.empty(len(seq), np.float32)
                    fixed = (k, S, Fi, w, rec_p, rec_s, room, groom, oroom, group, failed, last)
                    if pool is None:
                        propose(seq, *fixed, prop, psc)
                    else:
                        step = -(-len(seq) // threads)
                        jobs = [
                            pool.submit(
                                propose, seq[a : a + step], *fixed, prop[a : a + step], psc[a : a + step]
                            )
                            for a in range(0, len(seq), step)
                        ]
                        for job in jobs:
                            job.result()
                    n_fail = commit(
                        seq, prop, psc, fail, n_fail, lv, k, S, Fi, w, rec_p, rec_s, room, groom, oroom, gidx,
                        load, new_p, new_s, level, group, failed, last,
                    )  # fmt: skip
            pending = fail[:n_fail]
            limit = limit * 2
    new_p[pending] = rec_p[pending, 0]
    new_s[pending] = rec_s[pending, 0]
    level[pending] = max_level + 1
    np.add.at(load, rec_p[pending, 0], 1)
    return new_p, new_s, level, load
