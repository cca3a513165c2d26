"""The other direction: top-k candidates per posting (for the enterprise and the specialist).

Seekers are bucketed by (occupation, home township), priority people first and then the lowest reference
income first, with suffix bounds (max priority, min income, min local wage), so a scan stops once the rest of
a bucket cannot beat the k-th best. Seeker townships are walked nearest first from the posting's township.
Seekers of other provinces can only take a posting out of their province on a ``SCOPE_OUT`` intent; they are
indexed again by (occupation, destination city) and scanned with the full distance bound.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from .arrays import SCOPE_OUT, SeekerArrays
from .index import _bucket_stats, _order, _town_boxes
from .kernels import EPS, NO_NRT, insert, pair_score
from .scoring import KM_PER_DEG_LON, Prepared, distance_term, km_between, wage_income_term, wage_local_term
from .weights import W_DISTANCE, W_SKILLS


class Buckets(NamedTuple):
    members: np.ndarray  # int32 seeker ids
    suf: np.ndarray  # float64 [3, n]: suffix max priority term, min reference income, min local wage
    bstart: np.ndarray
    box: np.ndarray  # float64 [5, nb]: lat0, lat1, lon0, lon1, km per degree of longitude (lowest)
    bskor: np.ndarray  # uint64
    table: np.ndarray  # int32 [n_occ + 1, n_cols]


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


def _buckets(
    rows: np.ndarray, col: np.ndarray, n_cols: int, n_keys: int, seekers: SeekerArrays, prep: Prepared
) -> Buckets:
    key = (seekers.occupation[rows].astype(np.int64) + 1) * n_cols + col
    inf_ref = np.where(prep.s_ref > 0, prep.s_ref, np.inf)
    inf_loc = np.where(prep.s_local > 0, prep.s_local, np.inf)
    order = np.lexsort((rows, inf_ref[rows], -prep.s_prio[rows], key))
    members = rows[order].astype(np.int32)
    keys = key[order]
    start, box, smax, smin = _bucket_stats(
        keys, seekers.lat[members].astype(np.float64), seekers.lon[members].astype(np.float64),
        prep.s_prio[members][None, :].copy(), np.stack([inf_ref[members], inf_loc[members]]), 1, 2,
    )  # fmt: skip
    suf = np.concatenate([smax, smin])
    maxlat = np.maximum(np.abs(box[0]), np.abs(box[1]))
    box = np.concatenate([box, (KM_PER_DEG_LON * np.cos(np.radians(maxlat)))[None, :] * (1 - 1e-9)])
    seg = np.repeat(np.arange(len(start) - 1), np.diff(start))
    bskor = np.zeros(len(start) - 1, np.uint64)
    np.bitwise_or.at(bskor, seg, seekers.skills[members])
    table = np.full(n_keys * n_cols, -1, np.int32)
    table[keys[start[:-1]]] = np.arange(len(start) - 1, dtype=np.int32)
    return Buckets(members, suf, start, box, bskor, table.reshape(-1, n_cols))


def build_seek_index(
    seekers: SeekerArrays, post_town: np.ndarray, post_lat: np.ndarray, post_lon: np.ndarray,
    n_city: int, n_occ: int, rcomp: tuple[np.ndarray, np.ndarray], prep: Prepared,
) -> SeekIndex:  # fmt: skip
    n_town = int(max(seekers.town.max(initial=-1), post_town.max(initial=-1))) + 1
    all_rows = np.arange(len(seekers), dtype=np.int64)
    town = _buckets(all_rows, seekers.town.astype(np.int64), n_town, n_occ + 1, seekers, prep)
    out = np.flatnonzero(seekers.scope == SCOPE_OUT)
    dcol = (seekers.destination[out].astype(np.int64) + 1).clip(0, n_city)
    dest = _buckets(out, dcol, n_city + 1, n_occ + 1, seekers, prep)
    n_keys = town.table.shape[0]
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
    sbox = _town_boxes(seekers.town, seekers.lat.astype(np.float64), seekers.lon.astype(np.float64), n_town)
    pbox = _town_boxes(post_town, post_lat.astype(np.float64), post_lon.astype(np.float64), n_town)
    t_order, t_lb = _order(pbox, sbox[:, active], active)
    return SeekIndex(town, dest, okey, oskor, tprov, t_order, t_lb, rcomp[0], rcomp[1])


@nb.njit(cache=True, nogil=True, inline="always", **NO_NRT)
def _scan(j, B, b, in_dest, other_prov, k, cnt, top_p, top_s, S, P, w, compat):
    mid = P.mid[j]
    if in_dest:
        dmax = w[W_DISTANCE]
    else:
        plat = np.float64(P.lat[j])
        plon = np.float64(P.lon[j])
        glat = max(0.0, B.box[0, b] - plat, plat - B.box[1, b])
        glon = max(0.0, B.box[2, b] - plon, plon - B.box[3, b])
        dmax = distance_term(w, km_between(0.0, 0.0, B.box[4, b], glat, glon))
    skb = w[W_SKILLS] if (P.skills[j] & B.bskor[b]) != 0 and P.nskill[j] > 0 else 0.0
    prov = P.prov[j]
    for m in range(B.bstart[b], B.bstart[b + 1]):
        if cnt == k:
            bound = dmax + wage_income_term(w, mid, B.suf[1, m]) + wage_local_term(w, mid, B.suf[2, m])
            bound = bound + P.board[j] + skb + P.key[j] + B.suf[0, m]
            if bound + EPS < top_s[k - 1]:
                break
        s = B.members[m]
        if (S.prov[s] != prov) != other_prov:
            continue
        ok, sc = pair_score(s, j, S, P, w, compat)
        if ok:
            cnt = insert(k, top_p, top_s, cnt, s, sc)
    return cnt


@nb.njit(cache=True, nogil=True, **NO_NRT)
def search_posting(j, k, top_p, top_s, S, P, R, w, compat, ptown):
    """Exact top-k seekers of posting ``j``; returns how many were found."""
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
    n_dcol = R.dest.table.shape[1]
    c = P.city[j] + 1
    for ri in range(r0, r1):
        o = R.rcomp_indices[ri]
        if o >= R.dest.table.shape[0]:
            continue
        if 0 < c < n_dcol and R.dest.table[o, c] >= 0:
            cnt = _scan(j, R.dest, R.dest.table[o, c], True, True, k, cnt, top_p, top_s, S, P, w, compat)
        if R.dest.table[o, 0] >= 0:
            cnt = _scan(j, R.dest, R.dest.table[o, 0], True, True, k, cnt, top_p, top_s, S, P, w, compat)
    u = ptown[j]
    for i in range(R.t_order.shape[1]):
        if cnt == k and distance_term(w, R.t_lb[u, i]) + nbnd + EPS < top_s[k - 1]:
            break
        t = R.t_order[u, i]
        if R.tprov[t] != P.prov[j] and R.tprov[t] != -2:
            continue
        for ri in range(r0, r1):
            o = R.rcomp_indices[ri]
            if o < R.town.table.shape[0] and R.town.table[o, t] >= 0:
                b = R.town.table[o, t]
                cnt = _scan(j, R.town, b, False, False, k, cnt, top_p, top_s, S, P, w, compat)
    return cnt


@nb.njit(cache=True, nogil=True, **NO_NRT)
def top_candidates_chunk(seq, k, S, P, R, w, compat, ptown, out_s, out_v, top_p, top_s):
    for j in seq:
        cnt = search_posting(j, k, top_p, top_s, S, P, R, w, compat, ptown)
        for r in range(k):
            out_s[j, r] = top_p[r] if r < cnt else -1
            out_v[j, r] = np.float32(top_s[r]) if r < cnt else -np.inf
