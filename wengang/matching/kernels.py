"""Numba kernels of the exact search (``@njit(cache=True, nogil=True)``; threads run chunks in parallel).

Forward search of one seeker (branch and bound over :mod:`.grid`): the seeker's compatible classes are
fixed by the taxonomy; a seeker with a named out-of-province destination first scans that city's buckets
(0 km there); then grid cells are visited nearest first (one offset list sorted by a lower bound of the km),
up to the farthest point their intent accepts (local radius, county or province box); the walk stops when
the distance term at that lower bound plus the best the other terms can reach in those classes cannot beat
the k-th best score; inside a bucket, postings come best first and the scan stops when the suffix maxima
cannot beat it. Pruning is strict (a bound equal to the k-th score is still scanned), so ties are resolved
exactly as the brute force does: the lower posting index first.

The hot kernels run without numba's reference counting (``_nrt=False``: they allocate nothing) — the
atomics on every array access were two thirds of the time.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numba as nb
import numpy as np

from .arrays import SCOPE_COUNTY, SCOPE_LOCAL, SCOPE_OUT, SCOPE_PROVINCE
from .scoring import distance_term, km_between, skills_term, wage_income_term, wage_local_term
from .weights import W_LOCAL_KM

# No reference counting (and so no allocation) inside the hot kernels: the atomics on every array access
# were two thirds of the time and made threads fight over cache lines.
NO_NRT: dict[str, Any] = {"_nrt": False}
EPS = 1e-9  # bounds and scores are summed in different orders: a margin far above float64 rounding


class SeekCols(NamedTuple):
    occ: np.ndarray
    age: np.ndarray
    certs: np.ndarray
    skills: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    town: np.ndarray
    county: np.ndarray
    prov: np.ndarray
    scope: np.ndarray
    dest: np.ndarray
    kx: np.ndarray
    ref: np.ndarray
    local: np.ndarray
    prio: np.ndarray


class PostCols(NamedTuple):
    occ: np.ndarray
    age_min: np.ndarray
    age_max: np.ndarray
    certs: np.ndarray
    skills: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    county: np.ndarray
    prov: np.ndarray
    city: np.ndarray
    mid: np.ndarray
    board: np.ndarray
    key: np.ndarray
    nskill: np.ndarray
    is_open: np.ndarray
    places: np.ndarray


@nb.njit(cache=True, nogil=True, **NO_NRT, inline="always")
def insert(k, top_p, top_s, cnt, j, sc):
    """Insert (score, index) into the sorted top-k (best first; ties: lower index first); return count."""
    if cnt == k:
        if not (sc > top_s[k - 1] or (sc == top_s[k - 1] and j < top_p[k - 1])):
            return cnt
        pos = k - 1
    else:
        pos = cnt
        cnt += 1
    while pos > 0 and (sc > top_s[pos - 1] or (sc == top_s[pos - 1] and j < top_p[pos - 1])):
        top_s[pos] = top_s[pos - 1]
        top_p[pos] = top_p[pos - 1]
        pos -= 1
    top_s[pos] = sc
    top_p[pos] = j
    return cnt


@nb.njit(cache=True, nogil=True, **NO_NRT)
def pair_score(s, j, S, P, w, compat):
    """(feasible, score) of seeker ``s`` for posting ``j`` (``compat``: the dense occupation matrix)."""
    if not compat[S.occ[s] + 1, P.occ[j]] or not P.is_open[j] or P.places[j] <= 0:
        return False, 0.0
    age = S.age[s]
    if age < P.age_min[j] or age > P.age_max[j] or (P.certs[j] & ~S.certs[s]) != 0:
        return False, 0.0
    scope = S.scope[s]
    dest = S.dest[s]
    km = km_between(
        np.float64(S.lat[s]), np.float64(S.lon[s]), S.kx[s], np.float64(P.lat[j]), np.float64(P.lon[j])
    )
    same_prov = P.prov[j] == S.prov[s]
    in_dest = scope == SCOPE_OUT and dest >= 0 and P.city[j] == dest and not same_prov
    if scope == SCOPE_LOCAL:
        ok = km <= w[W_LOCAL_KM]
    elif scope == SCOPE_COUNTY:
        ok = P.county[j] == S.county[s]
    else:
        ok = same_prov or (scope == SCOPE_OUT and (dest < 0 or in_dest))
    if not ok:
        return False, 0.0
    mid = P.mid[j]
    d = distance_term(w, 0.0 if in_dest else km)
    sc = d + wage_income_term(w, mid, S.ref[s]) + wage_local_term(w, mid, S.local[s]) + P.board[j]
    sc = sc + skills_term(w, S.skills[s], P.skills[j], P.nskill[j]) + P.key[j] + S.prio[s]
    return True, sc


@nb.njit(cache=True, nogil=True, **NO_NRT, inline="always")
def _scan(s, B, b, in_dest, k, cnt, top_p, top_s, S, P, w, room, broom, use_room):
    if use_room and broom[b] <= 0:
        return cnt
    slat = np.float64(S.lat[s])
    slon = np.float64(S.lon[s])
    kx = S.kx[s]
    scope = S.scope[s]
    sprov = S.prov[s]
    if in_dest:
        dmax = distance_term(w, 0.0)
    else:
        glat = max(0.0, B.box[0, b] - slat, slat - B.box[1, b])
        glon = max(0.0, B.box[2, b] - slon, slon - B.box[3, b])
        lbkm = km_between(0.0, 0.0, kx, glat, glon)
        if scope == SCOPE_LOCAL and lbkm > w[W_LOCAL_KM]:
            return cnt
        dmax = distance_term(w, lbkm)
    ref = S.ref[s]
    local = S.local[s]
    prio = S.prio[s]
    sk = S.skills[s]
    srow = 1 if (sk & B.bskor[b]) != 0 else 2
    age = S.age[s]
    certs = S.certs[s]
    dest = S.dest[s]
    for m in range(B.bstart[b], B.bstart[b + 1]):
        if cnt == k:
            mm = B.suf[0, m]
            bound = dmax + wage_income_term(w, mm, ref) + wage_local_term(w, mm, local) + B.suf[srow, m]
            if bound + prio + EPS < top_s[k - 1]:
                break
        j = B.members[m]
        if use_room and room[j] <= 0:
            continue
        if age < P.age_min[j] or age > P.age_max[j] or (P.certs[j] & ~certs) != 0:
            continue
        if in_dest:
            if P.prov[j] == sprov:
                continue
            d = distance_term(w, 0.0)
        else:
            if scope == SCOPE_COUNTY:
                if P.county[j] != S.county[s]:
                    continue
            elif scope != SCOPE_LOCAL and P.prov[j] != sprov and (scope != SCOPE_OUT or dest >= 0):
                continue
            km = km_between(slat, slon, kx, np.float64(P.lat[j]), np.float64(P.lon[j]))
            if scope == SCOPE_LOCAL and km > w[W_LOCAL_KM]:
                continue
            d = distance_term(w, km)
        mid = P.mid[j]
        sc = d + wage_income_term(w, mid, ref) + wage_local_term(w, mid, local) + P.board[j]
        sc = sc + skills_term(w, sk, P.skills[j], P.nskill[j]) + P.key[j] + prio
        cnt = insert(k, top_p, top_s, cnt, j, sc)
    return cnt


@nb.njit(cache=True, nogil=True, **NO_NRT)
def _far_corner(slat, slon, kx, box):
    """The km to the farthest corner of ``box`` (lat0, lat1, lon0, lon1): nothing inside is farther."""
    far = 0.0
    for la in (box[0], box[1]):
        for lo in (box[2], box[3]):
            far = max(far, km_between(slat, slon, kx, la, lo))
    return far * (1 + 1e-9) + 1e-9


@nb.njit(cache=True, nogil=True, **NO_NRT)
def search_seeker(s, k, top_p, top_s, S, P, X, w, room, broom, oroom, use_room):
    """Exact top-k postings of seeker ``s`` into ``top_p``/``top_s``; returns how many were found.
    With ``use_room``, only postings with ``room[j] > 0`` count (the capacity spreading's search);
    ``broom`` = (room per grid bucket, per city bucket), ``oroom`` = room per class."""
    so = S.occ[s] + 1
    c0 = X.comp_indptr[so]
    c1 = X.comp_indptr[so + 1]
    ref = S.ref[s]
    local = S.local[s]
    sk = S.skills[s]
    nbnd = -1.0
    for ci in range(c0, c1):
        c = X.comp_indices[ci]
        if use_room and oroom[c] <= 0:
            continue
        st = X.cmax[1, c] if (sk & X.cskor[c]) != 0 else X.cmax[2, c]
        v = wage_income_term(w, X.cmax[0, c], ref) + wage_local_term(w, X.cmax[0, c], local) + st
        nbnd = max(nbnd, v)
    if nbnd < 0.0:
        return 0
    cnt = 0
    scope = S.scope[s]
    dest = S.dest[s]
    prio = S.prio[s]
    if scope == SCOPE_OUT and 0 <= dest < X.city.table.shape[1]:
        for ci in range(c0, c1):
            b = X.city.table[X.comp_indices[ci], dest]
            if b >= 0:
                cnt = _scan(s, X.city, b, True, k, cnt, top_p, top_s, S, P, w, room, broom[1], use_room)
    slat = np.float64(S.lat[s])
    slon = np.float64(S.lon[s])
    kx = S.kx[s]
    reach = np.inf
    if scope == SCOPE_LOCAL:
        reach = w[W_LOCAL_KM]
    elif scope == SCOPE_COUNTY or scope == SCOPE_PROVINCE or (scope == SCOPE_OUT and dest >= 0):
        r = 0 if scope == SCOPE_COUNTY else 1
        area = S.county[s] if scope == SCOPE_COUNTY else S.prov[s]
        if area >= X.reach.shape[2] or not np.isfinite(X.reach[r, 0, area]):
            return cnt
        reach = _far_corner(slat, slon, kx, X.reach[r, :, area])
    nx = X.shape[0]
    ny = X.shape[1]
    ix = int((slon - X.geo[1]) / X.geo[3])
    iy = int((slat - X.geo[0]) / X.geo[2])
    for i in range(X.off_lb.shape[0]):
        lb = X.off_lb[i]
        if lb > reach:
            break
        if cnt == k and distance_term(w, lb) + nbnd + prio + EPS < top_s[k - 1]:
            break
        x = ix + X.off[0, i]
        y = iy + X.off[1, i]
        if x < 0 or y < 0 or x >= nx or y >= ny:
            continue
        cell = y * nx + x
        for ci in range(c0, c1):
            b = X.grid.table[X.comp_indices[ci], cell]
            if b >= 0:
                cnt = _scan(s, X.grid, b, False, k, cnt, top_p, top_s, S, P, w, room, broom[0], use_room)
    return cnt


@nb.njit(cache=True, nogil=True, **NO_NRT)
def top_postings_chunk(seq, k, S, P, X, w, out_p, out_s, top_p, top_s, room, broom, oroom):
    """Top-k postings of the seekers ``seq`` (rows of ``out_p``/``out_s``). No allocation and no reference
    counting inside (``_nrt=False``): the caller passes the work buffers (``top_p``/``top_s`` of length k,
    and empty room arrays). Reference counting atomics on every array access were 2/3 of the time and
    made the threads fight over cache lines."""
    for s in seq:
        cnt = search_seeker(s, k, top_p, top_s, S, P, X, w, room, broom, oroom, False)
        for r in range(k):
            out_p[s, r] = top_p[r] if r < cnt else -1
            out_s[s, r] = np.float32(top_s[r]) if r < cnt else -np.inf


def buffers(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Work buffers for :func:`top_postings_chunk` (one set per thread)."""
    e64 = np.zeros(0, np.int64)
    return (
        np.empty(k, np.int32),
        np.empty(k, np.float64),
        np.zeros(0, np.int32),
        (e64, e64.copy()),
        e64.copy(),
    )


@nb.njit(cache=True, nogil=True)
def _room_state(room, pbucket, P, X):
    """Room per grid bucket, per city bucket and per class (``pbucket`` [2, n]: a posting's buckets)."""
    broom = (np.zeros(len(X.grid.bstart) - 1, np.int64), np.zeros(len(X.city.bstart) - 1, np.int64))
    oroom = np.zeros(X.cmax.shape[1], np.int64)
    for j in range(len(room)):
        if pbucket[0, j] >= 0 and room[j] > 0:
            broom[0][pbucket[0, j]] += room[j]
            broom[1][pbucket[1, j]] += room[j]
            oroom[X.occ_class[P.occ[j]]] += room[j]
    return broom, oroom


@nb.njit(cache=True, nogil=True)
def spread_kernel(seq, k, S, P, X, w, rec_p, rec_s, cap, pbucket, new_p, new_s, fallback):
    """Greedy capacity-aware first choices: each seeker in ``seq`` order takes their best feasible posting
    that still has room (``cap`` = capacity factor × open places); only when none has room anywhere do
    they keep their own best (``fallback``). Returns the room left per posting."""
    room = cap.copy()
    broom, oroom = _room_state(room, pbucket, P, X)
    top_p = np.empty(1, np.int32)
    top_s = np.empty(1, np.float64)
    for s in seq:
        new_p[s] = -1
        new_s[s] = -np.inf
        if rec_p[s, 0] < 0:
            continue
        chosen = -1
        sc = np.float32(0.0)
        for r in range(k):
            j = rec_p[s, r]
            if j < 0:
                break
            if room[j] > 0:
                chosen = j
                sc = rec_s[s, r]
                break
        if chosen < 0 and rec_p[s, k - 1] >= 0:  # k feasible postings, all full: look further
            if search_seeker(s, 1, top_p, top_s, S, P, X, w, room, broom, oroom, True) > 0:
                chosen = top_p[0]
                sc = np.float32(top_s[0])
        if chosen < 0:
            chosen = rec_p[s, 0]
            sc = rec_s[s, 0]
            fallback[s] = True
        else:
            room[chosen] -= 1
            broom[0][pbucket[0, chosen]] -= 1
            broom[1][pbucket[1, chosen]] -= 1
            oroom[X.occ_class[P.occ[chosen]]] -= 1
        new_p[s] = chosen
        new_s[s] = sc
    return room


@nb.njit(cache=True, nogil=True)
def still_fits(seq, S, P, X, w, room, pbucket):
    """How many seekers of ``seq`` have a feasible posting with room left (a capacity-rule violation
    when they are fallbacks)."""
    broom, oroom = _room_state(room, pbucket, P, X)
    top_p = np.empty(1, np.int32)
    top_s = np.empty(1, np.float64)
    n = 0
    for s in seq:
        if search_seeker(s, 1, top_p, top_s, S, P, X, w, room, broom, oroom, True) > 0:
            n += 1
    return n


@nb.njit(cache=True, nogil=True)
def reached_by(j, S, P, w, compat, rec_p, rec_s):
    """Seekers whose top-k can change when posting ``j`` changed: those listing it, and those for whom it is
    feasible now with a score reaching their k-th (or whose list is not full)."""
    k = rec_p.shape[1]
    out = np.zeros(len(S.occ), np.bool_)
    q = P.occ[j]
    for s in range(len(S.occ)):
        listed = False
        for r in range(k):
            if rec_p[s, r] == j:
                listed = True
        if listed:
            out[s] = True
        elif compat[S.occ[s] + 1, q]:
            ok, sc = pair_score(s, j, S, P, w, compat)
            if ok and (rec_p[s, k - 1] < 0 or sc + 1e-3 >= rec_s[s, k - 1]):
                out[s] = True
    return out
