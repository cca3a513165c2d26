"""The other direction: top-k candidates per posting (for the enterprise and the specialist).

Seekers are bucketed by (occupation, home township) and, inside, by scope, county, province and skills, so a
whole bucket is skipped when it cannot be feasible (another county for "within the county", beyond the local
radius, ages or certificates that no member has) and its skills term is exact; in a bucket priority people
come first and then the lowest reference income, with suffix bounds (max priority, min income, min local
wage), so a scan stops once the rest of a bucket cannot beat the k-th best. Seeker townships are walked
nearest first from the posting's township.
Seekers of other provinces can only take a posting out of their province on a ``SCOPE_OUT`` intent; they are
indexed again by (occupation, destination city) and scanned with the full distance bound.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from .arrays import SCOPE_COUNTY, SCOPE_LOCAL, SCOPE_OUT, SeekerArrays
from .index import _bucket_stats, _order, _town_boxes, dense_groups
from .kernels import EPS, NO_NRT, insert, pair_score_any_age
from .scoring import (
    KM_PER_DEG_LON,
    Prepared,
    distance_term,
    km_between,
    skills_term,
    wage_income_term,
    wage_local_term,
)
from .weights import W_DISTANCE, W_LOCAL_KM, W_SKILLS


class Buckets(NamedTuple):
    members: np.ndarray  # int32 seeker ids
    suf: np.ndarray  # float64 [3, n]: suffix max priority term, min reference income, min local wage
    bstart: np.ndarray
    box: np.ndarray  # float64 [5, nb]: lat0, lat1, lon0, lon1, km per degree of longitude (lowest)
    bskills: np.ndarray  # uint64 [nb]: the skills of every member (a bucket holds one set)
    bcerts: np.ndarray  # uint64 [nb]: OR of the members' certificates
    bint: np.ndarray  # int32 [3, nb]: scope, county, province of every member
    bage: np.ndarray  # int32 [2, nb]: youngest, oldest member
    lo: np.ndarray  # int32 [n_occ + 1, n_cols]: first bucket of (seeker occupation + 1, column)
    hi: np.ndarray  # int32: one past the last


class SeekIndex(NamedTuple):
    town: Buckets  # columns: home township
    dest: Buckets  # SCOPE_OUT seekers; columns: destination city + 1 (0 = anywhere)
    okey: np.ndarray  # float64 [3, n_occ + 1]: per seeker occupation, the same bounds
    oskor: np.ndarray  # uint64 [n_occ + 1]
    tprov: np.ndarray  # int32 [n_town] province of a seeker township (-2: mixed)
    t_order: np.ndarray  # int32 [posting towns, active seeker towns]
    t_lb: np.ndarray
    rcomp_indptr: np.ndarray  # int64 CSR posting occupation → seeker occupations + 1
    rcomp_indices: np.ndarray
    rep: np.ndarray  # int64 [n_groups] a seeker of each score group (bucket members are groups)
    gptr: np.ndarray  # int64 [n_groups + 1] CSR group → its seekers, lowest index first
    gmem: np.ndarray  # int32
    gage: np.ndarray  # int16 their ages


def score_groups(seekers: SeekerArrays, prep: Prepared) -> np.ndarray:
    """A dense group id per seeker: equal ids ⇔ equal in everything the score and the hard filters read but
    the age (home point, occupation, certificates, skills, intent, county, province, destination, incomes,
    priority). A group's members have one score for any posting; the age decides which of them qualify."""
    s = seekers
    cols = (
        np.asarray(s.lat, np.float64).view(np.int64), np.asarray(s.lon, np.float64).view(np.int64),
        s.occupation, s.certificates.view(np.int64), s.skills.view(np.int64), s.scope, s.county,
        s.province, s.destination, prep.s_ref.view(np.int64), prep.s_local.view(np.int64),
        prep.s_prio.view(np.int64),
    )  # fmt: skip
    return dense_groups(cols)


def _buckets(
    rows: np.ndarray,
    col: np.ndarray,
    n_cols: int,
    n_keys: int,
    seekers: SeekerArrays,
    prep: Prepared,
    ages: tuple[np.ndarray, np.ndarray],
) -> Buckets:
    """Buckets of ``rows`` by (occupation, column), then by what makes whole buckets infeasible or scores
    them exactly (scope, county, province, skills); inside, priority first, then the lowest reference
    income, so the suffix bounds fall as the scan goes."""
    key = (seekers.occupation[rows].astype(np.int64) + 1) * n_cols + col
    inf_ref = np.where(prep.s_ref > 0, prep.s_ref, np.inf)
    inf_loc = np.where(prep.s_local > 0, prep.s_local, np.inf)
    parts = (
        seekers.skills[rows].view(np.int64), seekers.province[rows], seekers.county[rows],
        seekers.scope[rows], key,
    )  # fmt: skip
    order = np.lexsort((rows, inf_ref[rows], -prep.s_prio[rows], *parts))
    members = rows[order].astype(np.int32)
    keys = key[order]
    new = np.zeros(len(order), np.bool_)
    if len(order):
        new[0] = True
        for part in parts:
            c = part[order]
            new[1:] |= c[1:] != c[:-1]
    bid = np.cumsum(new) - 1
    start, box, smax, smin = _bucket_stats(
        bid, seekers.lat[members].astype(np.float64), seekers.lon[members].astype(np.float64),
        prep.s_prio[members][None, :].copy(), np.stack([inf_ref[members], inf_loc[members]]), 1, 2,
    )  # fmt: skip
    suf = np.concatenate([smax, smin])
    maxlat = np.maximum(np.abs(box[0]), np.abs(box[1]))
    box = np.concatenate([box, (KM_PER_DEG_LON * np.cos(np.radians(maxlat)))[None, :] * (1 - 1e-9)])
    n_bkt = len(start) - 1
    seg = np.repeat(np.arange(n_bkt), np.diff(start))
    head = members[start[:-1]]
    bcerts = np.zeros(n_bkt, np.uint64)
    np.bitwise_or.at(bcerts, seg, seekers.certificates[members])
    bage = np.stack([np.full(n_bkt, 2**30, np.int32), np.full(n_bkt, -(2**30), np.int32)])
    np.minimum.at(bage[0], seg, ages[0][members].astype(np.int32))
    np.maximum.at(bage[1], seg, ages[1][members].astype(np.int32))
    bint = np.stack([seekers.scope[head], seekers.county[head], seekers.province[head]]).astype(np.int32)
    bkey = keys[start[:-1]]
    cells = np.arange(n_keys * n_cols + 1)
    edges = np.searchsorted(bkey, cells).astype(np.int32)
    lo = edges[:-1].reshape(n_keys, n_cols)
    hi = edges[1:].reshape(n_keys, n_cols)
    return Buckets(members, suf, start, box, seekers.skills[head], bcerts, bint, bage, lo, hi)


def build_seek_index(
    seekers: SeekerArrays, post_town: np.ndarray, post_lat: np.ndarray, post_lon: np.ndarray,
    n_city: int, n_occ: int, rcomp: tuple[np.ndarray, np.ndarray], prep: Prepared,
    gid: np.ndarray | None = None,
) -> SeekIndex:  # fmt: skip
    """The index of the seekers' score groups (:func:`score_groups`, computed when ``gid`` is not given):
    buckets hold groups, each scored once per posting through one of its seekers; its seekers of a fitting
    age then enter by index."""
    gid = score_groups(seekers, prep) if gid is None else gid
    n_groups = int(gid.max(initial=-1)) + 1
    gmem = np.argsort(gid, kind="stable").astype(np.int32)  # by group, then by index
    gptr = np.zeros(n_groups + 1, np.int64)
    gptr[1:] = np.cumsum(np.bincount(gid, minlength=n_groups))
    rep = gmem[gptr[:-1]].astype(np.int64)
    gage = seekers.age[gmem]
    age_lo = np.minimum.reduceat(gage, gptr[:-1]) if n_groups else np.zeros(0, np.int16)
    age_hi = np.maximum.reduceat(gage, gptr[:-1]) if n_groups else np.zeros(0, np.int16)
    reps = seekers.take(rep)
    rprep = Prepared(
        prep.s_kx[rep], prep.s_ref[rep], prep.s_local[rep], prep.s_prio[rep], *_posting_parts(prep)
    )
    n_town = int(max(reps.town.max(initial=-1), post_town.max(initial=-1))) + 1
    all_rows = np.arange(n_groups, dtype=np.int64)
    ages = (age_lo, age_hi)
    town = _buckets(all_rows, reps.town.astype(np.int64), n_town, n_occ + 1, reps, rprep, ages)
    out = np.flatnonzero(reps.scope == SCOPE_OUT)
    dcol = (reps.destination[out].astype(np.int64) + 1).clip(0, n_city)
    dest = _buckets(out, dcol, n_city + 1, n_occ + 1, reps, rprep, ages)
    seekers, prep = reps, rprep
    n_keys = town.lo.shape[0]
    okey = np.stack([np.zeros(n_keys), np.full(n_keys, np.inf), np.full(n_keys, np.inf)])
    k_of = seekers.occupation.astype(np.int64) + 1
    np.maximum.at(okey[0], k_of, prep.s_prio)
    np.minimum.at(okey[1], k_of, np.where(prep.s_ref > 0, prep.s_ref, np.inf))
    np.minimum.at(okey[2], k_of, np.where(prep.s_local > 0, prep.s_local, np.inf))
    oskor = np.zeros(n_keys, np.uint64)
    np.bitwise_or.at(oskor, k_of, seekers.skills)
    tprov = np.full(n_town, -1, np.int32)
    tprov[seekers.town] = seekers.province
    mixed = np.zeros(n_town, np.bool_)
    mixed[seekers.town[seekers.province != tprov[seekers.town]]] = True
    tprov[mixed] = -2
    active = np.unique(seekers.town).astype(np.int32)
    sbox = _town_boxes(seekers.town, seekers.lat, seekers.lon, n_town)
    pbox = _town_boxes(post_town, post_lat.astype(np.float64), post_lon.astype(np.float64), n_town)
    t_order, t_lb = _order(pbox, sbox[:, active], active)
    return SeekIndex(town, dest, okey, oskor, tprov, t_order, t_lb, rcomp[0], rcomp[1], rep, gptr, gmem, gage)


def _posting_parts(prep: Prepared) -> tuple[np.ndarray, ...]:
    return prep.p_mid, prep.p_board, prep.p_key, prep.p_nskill


@nb.njit(cache=True, nogil=True, inline="always", **NO_NRT)
def _scan(j, R, B, b, in_dest, other_prov, k, cnt, top_p, top_s, S, P, w, compat, avail):
    """Scan bucket ``b`` for posting ``j`` unless the whole bucket is infeasible (province, county, age,
    certificates, the local radius) or cannot beat the k-th best."""
    if (B.bint[2, b] != P.prov[j]) != other_prov:
        return cnt
    scope = B.bint[0, b]
    if scope == SCOPE_COUNTY and B.bint[1, b] != P.county[j]:
        return cnt
    if B.bage[1, b] < P.age_min[j] or B.bage[0, b] > P.age_max[j] or (P.certs[j] & ~B.bcerts[b]) != 0:
        return cnt
    mid = P.mid[j]
    if in_dest:
        dmax = w[W_DISTANCE]
    else:
        plat = np.float64(P.lat[j])
        plon = np.float64(P.lon[j])
        glat = max(0.0, B.box[0, b] - plat, plat - B.box[1, b])
        glon = max(0.0, B.box[2, b] - plon, plon - B.box[3, b])
        km_lb = km_between(0.0, 0.0, B.box[4, b], glat, glon)
        if scope == SCOPE_LOCAL and km_lb > w[W_LOCAL_KM]:
            return cnt
        dmax = distance_term(w, km_lb)
    skb = skills_term(w, B.bskills[b], P.skills[j], P.nskill[j])  # exact: one skill set per bucket
    for m in range(B.bstart[b], B.bstart[b + 1]):
        if cnt == k:
            bound = dmax + wage_income_term(w, mid, B.suf[1, m]) + wage_local_term(w, mid, B.suf[2, m])
            bound = bound + P.board[j] + skb + P.key[j] + B.suf[0, m]
            if bound + EPS < top_s[k - 1]:
                break
        g = B.members[m]
        ok, sc = pair_score_any_age(R.rep[g], j, S, P, w, compat)
        if not ok:
            continue
        for i in range(R.gptr[g], R.gptr[g + 1]):  # one score; the ages decide, lowest index first
            age = R.gage[i]
            if age < P.age_min[j] or age > P.age_max[j]:
                continue
            s = R.gmem[i]
            if avail.shape[0] and not avail[s]:
                continue
            if cnt == k and (sc < top_s[k - 1] or (sc == top_s[k - 1] and s > top_p[k - 1])):
                break  # nor will the next ones (higher indices, the same score)
            cnt = insert(k, top_p, top_s, cnt, s, sc)
    return cnt


@nb.njit(cache=True, nogil=True, **NO_NRT)
def search_posting(j, k, top_p, top_s, S, P, R, w, compat, ptown, avail):
    """Exact top-k seekers of posting ``j``; returns how many were found. ``avail`` (bool per seeker, or
    empty): only those it marks count."""
    if not P.is_open[j] or P.places[j] <= 0:
        return 0
    q = P.occ[j]
    r0 = R.rcomp_indptr[q]
    r1 = R.rcomp_indptr[q + 1]
    mid = P.mid[j]
    nbnd = -1.0
    for ri in range(r0, r1):
        o = R.rcomp_indices[ri]
        skb = w[W_SKILLS] if (P.skills[j] & R.oskor[o]) != 0 and P.nskill[j] > 0 else 0.0
        v = wage_income_term(w, mid, R.okey[1, o]) + wage_local_term(w, mid, R.okey[2, o]) + P.board[j]
        nbnd = max(nbnd, v + skb + P.key[j] + R.okey[0, o])
    if nbnd < 0.0:
        return 0
    cnt = 0
    D = R.dest
    n_dcol = D.lo.shape[1]
    c = P.city[j] + 1
    for ri in range(r0, r1):
        o = R.rcomp_indices[ri]
        if o >= D.lo.shape[0]:
            continue
        if 0 < c < n_dcol:
            for b in range(D.lo[o, c], D.hi[o, c]):
                cnt = _scan(j, R, D, b, True, True, k, cnt, top_p, top_s, S, P, w, compat, avail)
        for b in range(D.lo[o, 0], D.hi[o, 0]):
            cnt = _scan(j, R, D, b, True, True, k, cnt, top_p, top_s, S, P, w, compat, avail)
    T = R.town
    u = ptown[j]
    for i in range(R.t_order.shape[1]):
        if cnt == k and distance_term(w, R.t_lb[u, i]) + nbnd + EPS < top_s[k - 1]:
            break
        t = R.t_order[u, i]
        if R.tprov[t] != P.prov[j] and R.tprov[t] != -2:
            continue
        for ri in range(r0, r1):
            o = R.rcomp_indices[ri]
            if o < T.lo.shape[0]:
                for b in range(T.lo[o, t], T.hi[o, t]):
                    cnt = _scan(j, R, T, b, False, False, k, cnt, top_p, top_s, S, P, w, compat, avail)
    return cnt


@nb.njit(cache=True, nogil=True, **NO_NRT)
def top_candidates_chunk(seq, k, S, P, R, w, compat, ptown, out_s, out_v, top_p, top_s, avail):
    for j in seq:
        cnt = search_posting(j, k, top_p, top_s, S, P, R, w, compat, ptown, avail)
        for r in range(k):
            out_s[j, r] = top_p[r] if r < cnt else -1
            out_v[j, r] = np.float32(top_s[r]) if r < cnt else -np.inf


@nb.njit(cache=True, nogil=True)
def _free_slot(s, out_index, count):
    """Whether a slot after the first of seeker ``s`` is empty or holds a posting listed elsewhere too."""
    for slot in range(out_index.shape[1] - 1, 0, -1):
        last = out_index[s, slot]
        if last < 0 or count[last] >= 2:
            return True
    return False


@nb.njit(cache=True, nogil=True)
def cover(uncovered, S, P, R, w, compat, ptown, out_index, out_score, count):
    """Give each posting of ``uncovered`` that nobody's list holds to its best candidate with a free slot
    (:func:`_free_slot`; never the first choice): the worst such slot, the slots after the first kept best
    first. Returns how many were placed; ``count`` (lists holding each posting) is kept up to date."""
    k = out_index.shape[1]
    avail = np.zeros(len(S.occ), np.bool_)
    for s in range(len(S.occ)):
        avail[s] = out_index[s, 0] >= 0 and _free_slot(s, out_index, count)
    top_p = np.empty(1, np.int32)
    top_s = np.empty(1, np.float64)
    done = 0
    for j in uncovered:
        while count[j] == 0:
            if search_posting(j, 1, top_p, top_s, S, P, R, w, compat, ptown, avail) == 0:
                break
            s = top_p[0]
            placed = False
            for slot in range(k - 1, 0, -1):  # the worst slot first
                last = out_index[s, slot]
                if last >= 0 and count[last] < 2:
                    continue
                if last >= 0:
                    count[last] -= 1
                out_index[s, slot] = j
                out_score[s, slot] = np.float32(top_s[0])
                count[j] += 1
                placed = True
                break
            if placed:
                done += 1
                for a in range(
                    2, k
                ):  # insertion sort of slots 1.. (best first, ties: lower index, empty last)
                    b = a
                    while b > 1 and _before(
                        out_index[s, b], out_score[s, b], out_index[s, b - 1], out_score[s, b - 1]
                    ):
                        out_index[s, b], out_index[s, b - 1] = out_index[s, b - 1], out_index[s, b]
                        out_score[s, b], out_score[s, b - 1] = out_score[s, b - 1], out_score[s, b]
                        b -= 1
            avail[s] = _free_slot(s, out_index, count)
    return done


@nb.njit(cache=True, nogil=True)
def _sort_tail(s, out_index, out_score):
    """Insertion sort of seeker ``s``'s slots after the first: best first, ties to the lower index, empty
    slots last."""
    for a in range(2, out_index.shape[1]):
        b = a
        while b > 1 and _before(out_index[s, b], out_score[s, b], out_index[s, b - 1], out_score[s, b - 1]):
            out_index[s, b], out_index[s, b - 1] = out_index[s, b - 1], out_index[s, b]
            out_score[s, b], out_score[s, b - 1] = out_score[s, b - 1], out_score[s, b]
            b -= 1


@nb.njit(cache=True, nogil=True, inline="always")
def _before(j1, s1, j2, s2):
    if j1 < 0:
        return False
    if j2 < 0:
        return True
    return s1 > s2 or (s1 == s2 and j1 < j2)
