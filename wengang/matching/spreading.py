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

Seekers equal in everything but age (a registry puts thousands at one village point with one occupation and
intent) have one score for any posting: they share a list of their best postings with room for any of their
ages (:func:`.forward.search` over an age range), made once and read by each — the first posting with room
that takes their own age — until it is used up; within a batch the first of them to need a list makes it
and the others read it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any, NamedTuple

import numba as nb
import numpy as np

from .arrays import SCOPE_COUNTY, SCOPE_LOCAL, SCOPE_OUT, SCOPE_PROVINCE
from .forward import search
from .index import dense_groups

CHUNK = 50_000  # seekers between two checks whether the index should be rebuilt
LIST = 128  # best postings with room remembered for a group of seekers equal in all but age (long: a group
# may hold thousands of seekers, and each list used up is a search; measured on the city: 8 → 128 halved it)
LIST_BYTES = 256 << 20  # … but the lists of all groups stay within this (shorter lists for very many groups)
BATCH = 2048  # seekers whose proposals are computed at once (on threads) before they are taken in order


def twin_groups(S: Any, *, age: bool = True) -> np.ndarray:
    """A dense id per seeker: equal ids ⇔ twins, equal in every input of the engine (the same feasible
    postings and the same scores, so the same lists). With ``age=False``: equal in every input but the age
    (the same score for any posting; the age decides which of them a posting takes) — the partition of
    :func:`.reverse.score_groups`, from the kernel's arrays (for callers without a context; the engine
    passes its context's groups)."""
    f64 = np.float64
    return dense_groups((
        np.asarray(S.lat, f64).view(np.int64), np.asarray(S.lon, f64).view(np.int64), S.occ,
        *((S.age,) if age else ()),
        S.certs.view(np.int64), S.skills.view(np.int64), S.scope, S.county, S.prov, S.dest,
        np.asarray(S.ref, f64).view(np.int64), np.asarray(S.local, f64).view(np.int64),
        np.asarray(S.prio, f64).view(np.int64),
    ))  # fmt: skip


def twin_rows(gid: np.ndarray | None, n: int) -> np.ndarray:
    """For each of the ``n`` seekers with twins (``gid``: :func:`twin_groups`; None: no twins looked for),
    the row their remembered list takes; -1 for the others."""
    row = np.full(n, -1, np.int64)
    if gid is None or not n:
        return row
    twins = np.bincount(gid)[gid] > 1
    row[twins] = np.unique(gid[twins], return_inverse=True)[1].ravel()
    return row


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
    return dense_groups((S.occ, S.age, certs, scope, county, prov, dest, lat, lon))  # type: ignore[attr-defined]


class Memo(NamedTuple):
    """What a level remembers (reset when it starts; rooms only shrink within it)."""

    group: np.ndarray  # int64 [n] feasibility group of each seeker
    failed: np.ndarray  # bool [n_groups]: a seeker of the group found no posting with room
    last: np.ndarray  # int32 [cells × occupations]: the posting the last search there chose (a hint)
    twin_row: np.ndarray  # int64 [n]: row of the seeker's "twins" (equal in all but age) in ``lists``, or -1
    lists: np.ndarray  # int32 [rows, LIST]: the twins' best postings with room for any of their ages
    scores: np.ndarray  # float32 [rows, LIST]
    counts: np.ndarray  # int32 [rows]: how many (-1: none searched yet)
    alo: np.ndarray  # int16 [rows]: the youngest of the row's seekers
    ahi: np.ndarray  # int16 [rows]: the oldest
    pmin: np.ndarray  # [n_postings]: each posting's youngest age (as the index has it)
    pmax: np.ndarray  # [n_postings]: its oldest


@nb.njit(cache=True, nogil=True)
def _own(s, k, rec_p, rec_s, room):
    """The first posting of the seeker's own list with room (their best with room, when there is one)."""
    for r in range(k):
        j = rec_p[s, r]
        if j < 0:
            break
        if room[j] > 0:
            return j, rec_s[s, r]
    return -1, np.float32(0.0)


@nb.njit(cache=True, nogil=True)
def _search(s, kk, S, F, w, room, groom, oroom, memo, hint, top_p, top_s, seed):
    """The exact top-``kk`` with room; what the last seeker of the same cell and occupation took is scored
    first (a good bound early)."""
    n_so = hint.shape[0]
    so = S.occ[s] + 1
    hint[so, 0] = memo.last[F.scell[s] * n_so + so]
    row = memo.twin_row[s]
    if kk > 1 and row >= 0:  # the twins' list: for any of their ages
        return search(s, kk, top_p, top_s, S, F, w, room, groom, oroom, True, hint, seed, memo.alo[row],
                      memo.ahi[row])  # fmt: skip
    age = S.age[s]
    return search(s, kk, top_p, top_s, S, F, w, room, groom, oroom, True, hint, seed, age, age)


@nb.njit(cache=True, nogil=True)
def _from_list(row, memo, room, age):
    """The first posting of a twins' list with room that takes ``age``: (-1, …) when none, and whether the
    list was short (it held every posting with room for the twins' ages when it was made: none now either)."""
    c = memo.counts[row]
    for r in range(c):
        j = memo.lists[row, r]
        if room[j] > 0 and memo.pmin[j] <= age <= memo.pmax[j]:
            return j, memo.scores[row, r], False
    return -1, np.float32(0.0), 0 <= c < memo.lists.shape[1]


@nb.njit(cache=True, nogil=True)
def _first_fit(cnt, top_p, memo, age):
    """The first of a fresh twins' list (``cnt`` postings, all with room) taking ``age``: its rank, or -1."""
    for r in range(cnt):
        j = top_p[r]
        if memo.pmin[j] <= age <= memo.pmax[j]:
            return r
    return -1


@nb.njit(cache=True, nogil=True)
def propose(seq, k, S, F, w, rec_p, rec_s, room, groom, oroom, memo, prop, psc, plist, pscore, pcount):
    """Each seeker's best feasible posting with room for the rooms as they are (read only: threads run
    this on parts of a batch at once): -2 when their feasibility group already failed, -1 none. A seeker
    with twins whose remembered list is used up gets a whole list (``plist``/``pscore``/``pcount``); the
    twins after them in ``seq`` read that list (the rooms do not change here), not search again."""
    L = memo.lists.shape[1]
    made = np.full(memo.counts.shape[0], -1, np.int32)  # per row: which i made a list here
    top_p = np.empty(L, np.int32)
    top_s = np.empty(L, np.float64)
    seed = np.empty(1, np.int32)
    hint = np.full((F.comp_indptr.shape[0] - 1, 1), -1, np.int32)
    for i in range(len(seq)):
        s = seq[i]
        pcount[i] = -1
        if memo.failed[memo.group[s]]:
            prop[i] = -2
            continue
        prop[i], psc[i] = _own(s, k, rec_p, rec_s, room)
        if prop[i] >= 0 or rec_p[s, k - 1] < 0:  # a short list holds every feasible posting
            continue
        row = memo.twin_row[s]
        if row < 0:
            cnt = _search(s, 1, S, F, w, room, groom, oroom, memo, hint, top_p, top_s, seed)
            prop[i] = top_p[0] if cnt > 0 else -1
            psc[i] = np.float32(top_s[0]) if cnt > 0 else np.float32(0.0)
            continue
        prop[i], psc[i], short = _from_list(row, memo, room, S.age[s])
        if prop[i] >= 0 or short:
            continue
        e = made[row]
        if e < 0:
            cnt = _search(s, L, S, F, w, room, groom, oroom, memo, hint, top_p, top_s, seed)
            pcount[i] = cnt
            for r in range(cnt):
                plist[i, r] = top_p[r]
                pscore[i, r] = np.float32(top_s[r])
            made[row] = i
            e = i
        cnt = pcount[e]
        r = _first_fit(cnt, plist[e], memo, S.age[s])
        if r >= 0:
            prop[i], psc[i] = plist[e, r], pscore[e, r]
        elif cnt < L:  # every posting with room for the twins' ages, none for this one
            prop[i] = -1
        else:  # a full list for the others: this seeker's own search
            cnt = _search(s, 1, S, F, w, room, groom, oroom, memo, hint, top_p, top_s, seed)
            prop[i] = top_p[0] if cnt > 0 else -1
            psc[i] = np.float32(top_s[0]) if cnt > 0 else np.float32(0.0)


@nb.njit(cache=True, nogil=True)
def commit(seq, prop, psc, plist, pscore, pcount, fail, n_fail, lv, k, S, F, w, rec_p, rec_s, room, groom,
           oroom, gidx, load, new_p, new_s, level, memo):  # fmt: skip
    """Take the proposals of ``seq`` in order. Rooms only shrink, so a proposal whose posting still has
    room is still the seeker's best with room, "none" stays none, and the first posting with room of a list
    of the best with room made earlier is the best now (a full list used up is searched again); a proposal
    that has filled up since is searched again here. Those who find none are appended to ``fail`` after its
    first ``n_fail`` (the new count is returned); their feasibility group is marked failed for the rest of
    the level."""
    L = memo.lists.shape[1]
    top_p = np.empty(L, np.int32)
    top_s = np.empty(L, np.float64)
    seed = np.empty(1, np.int32)
    n_so = F.comp_indptr.shape[0] - 1  # seeker occupations + 1
    hint = np.full((n_so, 1), -1, np.int32)
    n_next = n_fail
    for i in range(len(seq)):
        s = seq[i]
        chosen, sc = prop[i], psc[i]
        row = memo.twin_row[s]
        if memo.failed[memo.group[s]]:
            chosen = -1
        elif chosen < 0 or room[chosen] <= 0:
            chosen, sc = _own(s, k, rec_p, rec_s, room)
            if chosen < 0 and rec_p[s, k - 1] >= 0 and prop[i] != -1:
                if row < 0:
                    cnt = _search(s, 1, S, F, w, room, groom, oroom, memo, hint, top_p, top_s, seed)
                    if cnt > 0:
                        chosen, sc = top_p[0], np.float32(top_s[0])
                else:
                    age = S.age[s]
                    chosen, sc, short = _from_list(row, memo, room, age)
                    if chosen < 0 and not short and pcount[i] >= 0:  # the proposal's list, made later
                        memo.counts[row] = pcount[i]
                        memo.lists[row, : pcount[i]] = plist[i, : pcount[i]]
                        memo.scores[row, : pcount[i]] = pscore[i, : pcount[i]]
                        chosen, sc, short = _from_list(row, memo, room, age)
                    if chosen < 0 and not short:
                        cnt = _search(s, L, S, F, w, room, groom, oroom, memo, hint, top_p, top_s, seed)
                        memo.counts[row] = cnt
                        for r in range(cnt):
                            memo.lists[row, r] = top_p[r]
                            memo.scores[row, r] = np.float32(top_s[r])
                        chosen, sc, short = _from_list(row, memo, room, age)
                    if chosen < 0 and not short:  # a full list for the others: this seeker's own search
                        cnt = _search(s, 1, S, F, w, room, groom, oroom, memo, hint, top_p, top_s, seed)
                        if cnt > 0:
                            chosen, sc = top_p[0], np.float32(top_s[0])
        elif row >= 0 and pcount[i] >= 0:  # the proposal stands: remember its list for the twins
            memo.counts[row] = pcount[i]
            memo.lists[row, : pcount[i]] = plist[i, : pcount[i]]
            memo.scores[row, : pcount[i]] = pscore[i, : pcount[i]]
        if chosen < 0:
            memo.failed[memo.group[s]] = True
            fail[n_next] = s
            n_next += 1
            continue
        room[chosen] -= 1
        load[chosen] += 1
        for r in range(3):
            groom[gidx[r, chosen]] -= 1
        oroom[F.mclass[F.mpos[chosen]]] -= 1
        memo.last[F.scell[s] * n_so + S.occ[s] + 1] = chosen
        new_p[s] = chosen
        new_s[s] = sc
        level[s] = lv
    return n_next


@nb.njit(cache=True, nogil=True)
def _fits(seq, S, F, w, room, groom, oroom, out):
    top_p = np.empty(1, np.int32)
    top_s = np.empty(1, np.float64)
    no_hint = np.zeros((0, 1), np.int32)
    seed = np.empty(1, np.int32)
    for i in range(len(seq)):
        s = seq[i]
        age = S.age[s]
        out[i] = search(s, 1, top_p, top_s, S, F, w, room, groom, oroom, True, no_hint, seed, age, age) > 0


def still_fits(
    seq: np.ndarray, S: Any, F: Any, w: np.ndarray, room: np.ndarray, groom: np.ndarray, oroom: np.ndarray,
    group: np.ndarray | None = None,
) -> int:  # fmt: skip
    """How many seekers of ``seq`` have a feasible posting with ``room > 0`` (a capacity-rule violation when
    they were placed beyond level 1). With ``group`` (:func:`feasibility_groups`), one seeker per group is
    searched: the others have the same feasible postings, so the same answer."""
    seq = np.asarray(seq, np.int64)
    counts = np.ones(len(seq), np.int64)
    if group is not None and len(seq):
        _uniq, first, counts = np.unique(group[seq], return_index=True, return_counts=True)
        seq = seq[first]
    out = np.zeros(len(seq), np.bool_)
    _fits(seq, S, F, w, room, groom, oroom, out)
    return int(counts[out].sum())


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
    group: np.ndarray | None = None, threads: int = 1, twin_row: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(first choice, its score, level, load per posting) for every seeker; level 0 = no list. Level ``lv``
    lets each posting take up to ``cap × 2**(lv - 1)`` first choices (level 1 = the cap itself); after
    ``max_level`` levels the rest keep their own best (level ``max_level + 1``). ``rebuild(room)``: the
    index of the postings with room only — rebuilt once a tenth of the postings with room have filled, so the
    bounds of the search stop counting full postings. ``group``: :func:`feasibility_groups` (computed when
    not given; ``np.arange(n)`` turns the shortcut off). ``threads``: the proposals of a batch are computed on
    that many threads against the rooms as they are, then taken in order (:func:`commit`): the result is the
    same for any number of threads. ``twin_row``: :func:`twin_rows` of the groups of seekers equal in all but
    age (computed when not given; all -1 turns the shared lists off): they share a list of their best
    postings with room for any of their ages, each taking the first that takes their own age."""
    n = len(rec_p)
    new_p = np.full(n, -1, np.int32)
    new_s = np.full(n, -np.inf, np.float32)
    level = np.zeros(n, np.int32)
    load = np.zeros(len(cap), np.int64)
    pending = seq[rec_p[seq, 0] >= 0].astype(np.int64)
    limit = cap.astype(np.int64)
    Fi = F
    group = feasibility_groups(S) if group is None else group
    twin_row = twin_rows(twin_groups(S, age=False), len(rec_p)) if twin_row is None else twin_row
    n_rows = int(twin_row.max(initial=-1)) + 1
    n_so = len(F.comp_indptr) - 1  # type: ignore[attr-defined]
    age = np.asarray(S.age)  # type: ignore[attr-defined]
    shared = twin_row >= 0
    alo = np.full(n_rows, np.iinfo(age.dtype).max, age.dtype)
    ahi = np.full(n_rows, np.iinfo(age.dtype).min, age.dtype)
    np.minimum.at(alo, twin_row[shared], age[shared])
    np.maximum.at(ahi, twin_row[shared], age[shared])
    pid, amin, amax = F.pid, F.age_min, F.age_max  # type: ignore[attr-defined]
    pmin = np.zeros(len(cap), amin.dtype)
    pmax = np.zeros(len(cap), amax.dtype)
    pmin[pid], pmax[pid] = amin, amax
    width = max(min(LIST, LIST_BYTES // (8 * max(n_rows, 1))), min(LIST, 8))
    memo = Memo(
        group,
        np.zeros(int(group.max(initial=-1)) + 1, np.bool_),
        np.full((int(F.scell.max(initial=-1)) + 1) * n_so, -1, np.int32),  # type: ignore[attr-defined]
        twin_row,
        np.zeros((n_rows, width), np.int32),
        np.zeros((n_rows, width), np.float32),
        np.full(n_rows, -1, np.int32),
        alo,
        ahi,
        pmin,
        pmax,
    )
    plist = np.zeros((BATCH, width), np.int32)
    pscore = np.zeros((BATCH, width), np.float32)
    pool_cm = ThreadPoolExecutor(max_workers=threads) if threads > 1 else nullcontext()
    with pool_cm as pool:
        for lv in range(1, max_level + 1):
            if len(pending) == 0:
                break
            memo.failed[:] = False
            memo.counts[:] = -1
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
                    m = len(seq)
                    prop = np.empty(m, np.int32)
                    psc = np.empty(m, np.float32)
                    pcount = np.empty(m, np.int32)
                    fixed = (k, S, Fi, w, rec_p, rec_s, room, groom, oroom, memo)
                    if pool is None:
                        propose(seq, *fixed, prop, psc, plist, pscore, pcount)
                    else:
                        step = -(-m // threads)
                        jobs = [
                            pool.submit(
                                propose,
                                seq[a : a + step],
                                *fixed,
                                prop[a : a + step],
                                psc[a : a + step],
                                plist[a : a + step],
                                pscore[a : a + step],
                                pcount[a : a + step],
                            )  # fmt: skip
                            for a in range(0, m, step)
                        ]
                        for job in jobs:
                            job.result()
                    n_fail = commit(
                        seq, prop, psc, plist, pscore, pcount, fail, n_fail, lv, k, S, Fi, w, rec_p, rec_s,
                        room, groom, oroom, gidx, load, new_p, new_s, level, memo,
                    )  # fmt: skip
            pending = fail[:n_fail]
            limit = limit * 2
    new_p[pending] = rec_p[pending, 0]
    new_s[pending] = rec_s[pending, 0]
    level[pending] = max_level + 1
    np.add.at(load, rec_p[pending, 0], 1)
    return new_p, new_s, level, load
