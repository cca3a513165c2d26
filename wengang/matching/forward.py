"""The forward search (seeker → postings): exact branch and bound over (class, township) buckets.

Index (:func:`build_forward_index`):

- *Classes*: posting occupations accepted by exactly the same seeker occupations share a class (see
  :func:`.index.classes`), so a seeker looks up one bucket per class and township, not per occupation.
- *Buckets*: the open postings with places, grouped by (class, township of the work place), contiguous in
  bucket order (the columns are copied: the scan reads memory in sequence, not by posting id). Inside a
  bucket, spatial *blocks* of ``BLOCK`` postings (Morton order), grouped by ``SUPER`` into super-blocks;
  bucket, super-block and block each carry a box and the maxima of the score terms without distance (pay,
  board + skills bound + key, board + key) in one 64-byte record. Inside a block postings come best first by
  a typical score without distance, with suffix maxima. Every score term is bounded (see
  :meth:`.weights.Weights.bounds`; a new term needs its maximum here too).
- *Township order*: for each seeker cell (about ``CELL_KM`` square), the posting townships nearest first
  with a lower bound of the km between the boxes. A township lies in one county, province and city, so the
  place filter of the seeker's intent is decided per township (the local radius is checked per posting).

Search of one seeker: first the postings of the last list of a seeker with the same occupation (seekers come
by cell, then occupation: a good k-th score at once); a seeker with a named out-of-province destination then
scans that city's townships (0 km there); then the posting townships are walked nearest first. The walk
stops when the distance term at the township's lower bound plus the best the other terms can reach in the
seeker's classes cannot beat the k-th best; a bucket, super-block, block or posting is skipped when the
distance term at the km to its box (to the posting) plus its maxima cannot. The distance test compares
squares (no root, no division: :func:`_beaten`). Pruning is strict with a margin (a bound equal to the k-th
score is still scanned), and scores are computed with the very operations of :mod:`.scoring`, so the lists
equal the brute force's bit for bit, ties included (the lower posting index first).
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from .arrays import SCOPE_COUNTY, SCOPE_LOCAL, SCOPE_OUT, SCOPE_PROVINCE, PostingArrays, SeekerArrays
from .index import ROWS_AT_A_TIME, _bucket_stats, _order, _town_boxes, classes
from .kernels import EPS, NO_NRT, insert
from .scoring import (
    KM_PER_DEG_LAT,
    KM_PER_DEG_LON,
    Prepared,
    distance_term,
    km_between,
    skills_term,
    wage_income_term,
    wage_local_term,
)
from .weights import W_DISTANCE, W_HALF_KM, W_HIGH, W_INCOME, W_LOCAL, W_LOCAL_KM, W_LOW, Weights

BLOCK = 4  # postings per spatial block inside a bucket
SUPER = 4  # blocks per super-block
CELL_KM = 6.0  # seeker cells that get their own township order
MAX_ORDER = 8_000_000  # entries of that order table at most (the cells grow to stay under)


class FwdIndex(NamedTuple):
    occ_class: np.ndarray  # int32 [n_occ]
    comp_indptr: np.ndarray  # int64 CSR seeker occupation + 1 → classes
    comp_indices: np.ndarray  # int32
    cmax: np.ndarray  # float64 [3, n_class]: max pay (middle), board + skills bound + key, board + key
    cskor: np.ndarray  # uint64 [n_class] OR of wanted skills
    table: np.ndarray  # int32 [n_class, n_ptown] bucket id or -1
    bb: np.ndarray  # int64 [n_bucket + 1] bucket → its super-blocks
    kg: np.ndarray  # float64 [n_bucket, 8]: lat0, lat1, lon0, lon1, max pay, max board + skills + key,
    #                 max board + key, max age_max (one cache line per bucket)
    kskor: np.ndarray  # uint64 [n_bucket] OR of wanted skills
    kcand: np.ndarray  # uint64 [n_bucket] AND of required certificates (what every member requires)
    sstart: np.ndarray  # int64 [n_super + 1] super-block → its blocks
    sg: np.ndarray  # float64 [n_super, 8] the same per super-block
    sskor: np.ndarray  # uint64 [n_super]
    scand: np.ndarray  # uint64 [n_super]
    bstart: np.ndarray  # int64 [n_block + 1] block → its members
    bg: np.ndarray  # float64 [n_block, 8] the same per block
    bskor: np.ndarray  # uint64 [n_block]
    bcand: np.ndarray  # uint64 [n_block]
    # members, in bucket order
    pid: np.ndarray  # int32 posting index
    mf: np.ndarray  # float64 [n, 9]: lat, lon, pay middle, board term, key term, number of skills wanted,
    #                 suffix max (inside the block) of the pay, of board + skills bound + key, of board + key
    mu: np.ndarray  # uint64 [n, 2]: skills wanted, certificates required
    age_min: np.ndarray  # int16
    age_max: np.ndarray  # int16
    mclass: np.ndarray  # int32 [n] class of the member
    mtown: np.ndarray  # int32 [n] township of the member
    mpos: np.ndarray  # int32 [n_postings] position of a posting among the members (-1: not indexed)
    # posting townships
    tcounty: np.ndarray  # int32 [n_ptown] (-1: no open posting)
    tprov: np.ndarray  # int32
    tcity: np.ndarray  # int32
    city_ptr: np.ndarray  # int64 CSR city → posting townships
    city_towns: np.ndarray  # int32
    scell: np.ndarray  # int32 [n_seekers] the seeker's cell
    # seeker cell → posting townships nearest first
    t_order: np.ndarray  # int32 [n_cells, n_active_ptown]
    t_lb: np.ndarray  # float64 lower bound of the km between the boxes


def _morton(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Interleave the bits of two non-negative int64 arrays (< 2**20): nearby points get nearby codes."""
    code = np.zeros(len(x), np.int64)
    for bit in range(20):
        code |= ((x >> bit) & 1) << (2 * bit)
        code |= ((y >> bit) & 1) << (2 * bit + 1)
    return code


def build_forward_index(
    seekers: SeekerArrays, postings: PostingArrays, n_occ: int, comp: tuple[np.ndarray, np.ndarray],
    prep: Prepared, weights: Weights, block: int = BLOCK, cell_km: float = CELL_KM,
    reuse: FwdIndex | None = None,
) -> FwdIndex:  # fmt: skip
    """The index of the open postings with places. ``reuse``: an index of the same seekers over a superset of
    these postings whose seeker cells and township order are kept (the lower bounds stay valid)."""
    occ_class, cptr, cidx = classes(comp, n_occ)
    n_class = int(occ_class.max(initial=-1)) + 1
    kept = np.flatnonzero(postings.is_open & (postings.places > 0)).astype(np.int64)
    n_ptown = max(int(postings.town.max(initial=-1)) + 1, 1)
    skill_b = np.where(prep.p_nskill > 0, weights.skills, 0.0)
    bk = prep.p_board + prep.p_key
    static = prep.p_board + skill_b + prep.p_key
    pos = prep.s_ref > 0
    typical = float(np.median(prep.s_ref[pos])) if pos.any() else 4000.0
    ramp = np.clip((prep.p_mid / typical - weights.wage_low) / (weights.wage_high - weights.wage_low), 0, 1)
    rank = static + weights.wage_income * ramp
    cls = occ_class[postings.occupation[kept]].astype(np.int64)
    bkey = cls * n_ptown + postings.town[kept]
    plat = postings.lat.astype(np.float64)
    plon = postings.lon.astype(np.float64)
    # inside a bucket: spatial blocks of ``block`` postings (Morton order on a ~1 km grid)
    qx = ((plon[kept] - plon[kept].min(initial=0.0)) * 90).astype(np.int64).clip(0, 2**20 - 1)
    qy = ((plat[kept] - plat[kept].min(initial=0.0)) * 110).astype(np.int64).clip(0, 2**20 - 1)
    order = np.lexsort((kept, _morton(qx, qy), bkey))
    kept, bkey = kept[order], bkey[order]
    first = np.r_[True, bkey[1:] != bkey[:-1]]
    bstart_m = np.flatnonzero(first)
    pos_in = np.arange(len(kept)) - np.repeat(bstart_m, np.diff(np.r_[bstart_m, len(kept)]))
    blk_key = np.cumsum(first | (pos_in % block == 0)) - 1  # block id, increasing
    order = np.lexsort((kept, -rank[kept], blk_key))  # inside a block: best first
    m, blk_key, bkey = kept[order], blk_key[order], bkey[order]
    lat, lon = plat[m], plon[m]
    start, box, suf, _ = _bucket_stats(
        blk_key, lat, lon, np.stack([prep.p_mid[m], static[m], bk[m]]), np.zeros((0, len(m))), 3, 0
    )
    n_blk = len(start) - 1
    seg = np.repeat(np.arange(n_blk), np.diff(start))
    bskor = np.zeros(n_blk, np.uint64)
    np.bitwise_or.at(bskor, seg, postings.skills[m])
    bcand = np.full(n_blk, np.uint64(2**64 - 1), np.uint64)  # certificates every member requires
    np.bitwise_and.at(bcand, seg, postings.certificates[m])
    bage = np.zeros(n_blk)  # the oldest age any member accepts
    np.maximum.at(bage, seg, postings.age_max[m].astype(np.float64))
    bvals = np.concatenate([suf[:, start[:-1]], bage[None, :]])
    blk_bucket_key = bkey[start[:-1]]
    bfirst = np.r_[True, blk_bucket_key[1:] != blk_bucket_key[:-1]] if n_blk else np.zeros(0, np.bool_)
    # super-blocks: ``SUPER`` consecutive blocks of one bucket (one more level of boxes and maxima)
    b_pos = np.arange(n_blk) - np.repeat(
        np.flatnonzero(bfirst), np.diff(np.r_[np.flatnonzero(bfirst), n_blk])
    )
    sfirst = bfirst | (b_pos % SUPER == 0)
    sstart = np.r_[np.flatnonzero(sfirst), n_blk].astype(np.int64)  # super → its blocks
    n_sup = len(sstart) - 1
    sup_of_blk = np.repeat(np.arange(n_sup), np.diff(sstart))
    supbox, smax, sskor, scand = _group_stats(sup_of_blk, n_sup, box, bvals, bskor, bcand)
    sup_first = bfirst[sstart[:-1]]
    bb = np.r_[np.flatnonzero(sup_first), n_sup].astype(np.int64)  # bucket → its super-blocks
    n_bkt = len(bb) - 1
    table = np.full(n_class * n_ptown, -1, np.int32)
    table[blk_bucket_key[sstart[bb[:-1]]]] = np.arange(n_bkt, dtype=np.int32)
    bucket_of_sup = np.repeat(np.arange(n_bkt), np.diff(bb))
    kbox, kmax, kskor, kcand = _group_stats(bucket_of_sup, n_bkt, supbox, smax, sskor, scand)
    cls = occ_class[postings.occupation[kept]].astype(np.int64)
    cmax = np.zeros((3, n_class))
    for r, v in enumerate((prep.p_mid, static, bk)):
        np.maximum.at(cmax[r], cls, v[kept])
    cskor = np.zeros(n_class, np.uint64)
    np.bitwise_or.at(cskor, cls, postings.skills[kept])
    # posting townships (one county, province and city each: PostingArrays.validate checks it)
    tcounty = np.full(n_ptown, -1, np.int32)
    tprov = np.full(n_ptown, -1, np.int32)
    tcity = np.full(n_ptown, -1, np.int32)
    pt = postings.town[kept]
    tcounty[pt] = postings.county[kept]
    tprov[pt] = postings.province[kept]
    tcity[pt] = postings.city[kept]
    active = np.unique(pt).astype(np.int32)
    n_city = int(postings.city.max(initial=-1)) + 1
    by_city = active[np.argsort(tcity[active], kind="stable")]
    city_ptr = np.zeros(n_city + 1, np.int64)
    city_ptr[1:] = np.cumsum(np.bincount(tcity[active], minlength=n_city))
    mpos = np.full(len(postings), -1, np.int32)
    mpos[m] = np.arange(len(m), dtype=np.int32)
    # seeker cells: each has its own order of posting townships (tighter than the seeker's township box)
    if reuse is not None:
        scell, t_order, t_lb = reuse.scell, reuse.t_order, reuse.t_lb
    else:
        scell, n_scell = _seeker_cells(seekers, cell_km, len(active))
        sbox = _town_boxes(scell, seekers.lat, seekers.lon, n_scell)
        pbox = _town_boxes(pt, plat[kept], plon[kept], n_ptown)
        if len(active) and n_scell:
            t_order, t_lb = _order(sbox, pbox[:, active], active)
        else:
            t_order, t_lb = np.zeros((n_scell, 0), np.int32), np.zeros((n_scell, 0))
    mf = np.column_stack([lat, lon, prep.p_mid[m], prep.p_board[m], prep.p_key[m], prep.p_nskill[m], suf.T])
    mu = np.column_stack([postings.skills[m], postings.certificates[m]])
    return FwdIndex(
        occ_class, cptr, cidx, cmax, cskor, table.reshape(n_class, n_ptown), bb, _pack(kbox, kmax), kskor,
        kcand, sstart, _pack(supbox, smax), sskor, scand, start, _pack(box, bvals), bskor, bcand,
        m.astype(np.int32), np.ascontiguousarray(mf), np.ascontiguousarray(mu), postings.age_min[m],
        postings.age_max[m], occ_class[postings.occupation[m]].astype(np.int32),
        postings.town[m].astype(np.int32), mpos, tcounty, tprov, tcity, city_ptr, by_city.astype(np.int32),
        scell, np.ascontiguousarray(t_order), np.ascontiguousarray(t_lb),
    )  # fmt: skip


def _pack(box: np.ndarray, vmax: np.ndarray) -> np.ndarray:
    """One 64-byte record per group (a bounds check reads one cache line): box, maxima."""
    out = np.zeros((box.shape[1], 8))
    out[:, :4] = box.T
    out[:, 4:8] = vmax.T
    return out


def _group_stats(
    group: np.ndarray, n: int, box: np.ndarray, vmax: np.ndarray, skor: np.ndarray, cand: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Union of boxes, maxima, OR of skills wanted and AND of certificates required per group."""
    gbox = np.stack([np.full(n, np.inf), np.full(n, -np.inf), np.full(n, np.inf), np.full(n, -np.inf)])
    for r, fn in ((0, np.minimum), (1, np.maximum), (2, np.minimum), (3, np.maximum)):
        fn.at(gbox[r], group, box[r])
    gmax = np.zeros((vmax.shape[0], n))
    for r in range(vmax.shape[0]):
        np.maximum.at(gmax[r], group, vmax[r])
    gskor = np.zeros(n, np.uint64)
    np.bitwise_or.at(gskor, group, skor)
    gcand = np.full(n, np.uint64(2**64 - 1), np.uint64)
    np.bitwise_and.at(gcand, group, cand)
    return gbox, gmax, gskor, gcand


def _seeker_cells(seekers: SeekerArrays, cell_km: float, n_ptown: int) -> tuple[np.ndarray, int]:
    """A square cell of about ``cell_km`` for every seeker (larger when the order table would grow past
    ``MAX_ORDER`` entries); returns (cell per seeker, number of cells), cells numbered densely in the order
    of their code. A chunk of seekers at a time (a province has tens of millions: no float64 copies)."""
    n = len(seekers)
    if not n:
        return np.zeros(0, np.int32), 0
    lat0 = np.float64(seekers.lat.min())
    lon0 = np.float64(seekers.lon.min())
    kx = KM_PER_DEG_LON * np.cos(np.radians(float(np.abs(seekers.lat).max())))
    step = ROWS_AT_A_TIME
    while True:
        cx = np.empty(n, np.int64)
        cy = np.empty(n, np.int64)
        for lo in range(0, n, step):
            part = slice(lo, lo + step)
            lon = seekers.lon[part].astype(np.float64)
            lat = seekers.lat[part].astype(np.float64)
            cx[part] = ((lon - lon0) * kx / cell_km).astype(np.int64)
            cy[part] = ((lat - lat0) * KM_PER_DEG_LAT / cell_km).astype(np.int64)
        width = int(cx.max()) + 1
        n_codes = (int(cy.max()) + 1) * width
        if n_codes <= n + (1 << 24):  # few codes: a presence table instead of sorting every seeker
            cy *= width
            cy += cx
            del cx
            seen = np.zeros(n_codes, np.bool_)
            seen[cy] = True
            rank = (np.cumsum(seen, dtype=np.int64) - 1).astype(np.int32)
            n_cells = int(seen.sum())
            cell = np.empty(n, np.int32)
            for lo in range(0, n, step):
                cell[lo : lo + step] = rank[cy[lo : lo + step]]
        else:
            uniq, inverse = np.unique(cy * width + cx, return_inverse=True)
            n_cells, cell = len(uniq), inverse.ravel().astype(np.int32)
        if n_cells * max(n_ptown, 1) <= MAX_ORDER or cell_km > 1e4:
            return cell, n_cells
        cell_km *= 1.5


@nb.njit(cache=True, nogil=True, **NO_NRT, inline="always")
def _box_km2(s_lat, s_lon, kx, g, b):
    """The squared km from the seeker to the box of group record ``g[b]`` (a lower bound for every point
    inside)."""
    glat = max(0.0, g[b, 0] - s_lat, s_lat - g[b, 1])
    glon = max(0.0, g[b, 2] - s_lon, s_lon - g[b, 3])
    dx = glon * kx
    dy = glat * KM_PER_DEG_LAT
    return dx * dx + dy * dy


@nb.njit(cache=True, nogil=True, **NO_NRT, inline="always")
def _beaten(w, km2, need):
    """True when the distance term at ``sqrt(km2)`` km or more is below ``need`` (the score still needed
    from distance): ``w_d / (1 + km / h) < need`` ⇔ ``km · need > h · (w_d − need)``, squared — no square
    root, no division (``need`` already carries the EPS margin, far above the rounding here). Without
    branches: the outcome of each comparison is data-dependent, and mispredicted branches cost more than
    computing all three (measured: −17 % of the search with :func:`_nd_bound`'s clamps)."""
    wd = w[W_DISTANCE]
    r = w[W_HALF_KM] * (wd - need)
    return (need > 0.0) & ((need > wd) | (km2 * need * need > r * r))


@nb.njit(cache=True, nogil=True, **NO_NRT, inline="always")
def _nd_bound(w, mm, ai, al, b0, st):
    """Bound of the terms without distance at pay ``mm``: the wage ramps with the seeker's reciprocals
    ``ai``/``al`` (multiplications; rounding differs from the score's division by far less than EPS)."""
    x = mm * ai - b0
    y = mm * al - b0
    x = max(0.0, min(1.0, x))  # clamps without branches (see _beaten)
    y = max(0.0, min(1.0, y))
    return w[W_INCOME] * x + w[W_LOCAL] * y + st


@nb.njit(cache=True, nogil=True, **NO_NRT, inline="always")
def _recips(w, ref, local):
    """(ai, al, b0) for :func:`_nd_bound`: 1 / (ref · span), 1 / (local · span) (0 when unknown) and
    low / span."""
    span = w[W_HIGH] - w[W_LOW]
    ai = 1.0 / (ref * span) if ref > 0.0 else 0.0
    al = 1.0 / (local * span) if local > 0.0 else 0.0
    return ai, al, w[W_LOW] / span


@nb.njit(cache=True, nogil=True, **NO_NRT, inline="always")
def _scan(s, F, q, in_dest, k, cnt, top_p, top_s, S, w, room, broom, use_room, seed, ns, alo, ahi):
    """Scan bucket ``q`` for seeker ``s`` (the place filter is already decided for its township) and the
    ages ``alo``–``ahi`` (a posting qualifies when its age range meets them: for one seeker, their age)."""
    if use_room and broom[q] <= 0:
        return cnt
    scope = S.scope[s]
    slat = np.float64(S.lat[s])
    slon = np.float64(S.lon[s])
    kx = S.kx[s]
    ref = S.ref[s]
    local = S.local[s]
    prio = S.prio[s]
    sk = S.skills[s]
    local_km = w[W_LOCAL_KM]
    ai, al, b0 = _recips(w, ref, local)
    l2 = local_km * local_km * (1 + 1e-9) + 1e-9  # squared local radius, never below the exact test's
    if in_dest:
        km2 = 0.0
    else:
        km2 = _box_km2(slat, slon, kx, F.kg, q)
        if scope == SCOPE_LOCAL and km2 > l2:
            return cnt
    if cnt == k:
        st = F.kg[q, 5] if (sk & F.kskor[q]) != 0 else F.kg[q, 6]
        if _beaten(w, km2, top_s[k - 1] - _nd_bound(w, F.kg[q, 4], ai, al, b0, st) - prio - EPS):
            return cnt
    certs = S.certs[s]
    if alo > F.kg[q, 7] or (F.kcand[q] & ~certs) != 0:  # nobody here takes this seeker
        return cnt
    n_bkt = F.bb.shape[0] - 1
    n_sup = F.sstart.shape[0] - 1
    for g2 in range(F.bb[q], F.bb[q + 1]):
        if use_room and broom[n_bkt + g2] <= 0:
            continue
        if alo > F.sg[g2, 7] or (F.scand[g2] & ~certs) != 0:
            continue
        if not in_dest:
            km2 = _box_km2(slat, slon, kx, F.sg, g2)
            if scope == SCOPE_LOCAL and km2 > l2:
                continue
        if cnt == k:
            st = F.sg[g2, 5] if (sk & F.sskor[g2]) != 0 else F.sg[g2, 6]
            if _beaten(w, km2, top_s[k - 1] - _nd_bound(w, F.sg[g2, 4], ai, al, b0, st) - prio - EPS):
                continue
        for g in range(F.sstart[g2], F.sstart[g2 + 1]):
            if use_room and broom[n_bkt + n_sup + g] <= 0:
                continue
            if alo > F.bg[g, 7] or (F.bcand[g] & ~certs) != 0:
                continue
            if not in_dest:
                km2 = _box_km2(slat, slon, kx, F.bg, g)
                if scope == SCOPE_LOCAL and km2 > l2:
                    continue
            srow = 7 if (sk & F.bskor[g]) != 0 else 8
            cnt = _members(
                s, F, g, in_dest, km2, srow, k, cnt, top_p, top_s, S, w, room, use_room, ai, al, b0, seed, ns,
                alo, ahi,
            )  # fmt: skip
    return cnt


@nb.njit(cache=True, nogil=True, **NO_NRT, inline="always")
def _members(
    s, F, g, in_dest, bkm2, srow, k, cnt, top_p, top_s, S, w, room, use_room, ai, al, b0, seed, ns, alo, ahi
):
    """Score the members of block ``g`` (``bkm2``: the squared km to its box; 0 in the destination city)."""
    scope = S.scope[s]
    slat = np.float64(S.lat[s])
    slon = np.float64(S.lon[s])
    kx = S.kx[s]
    ref = S.ref[s]
    local = S.local[s]
    prio = S.prio[s]
    sk = S.skills[s]
    local_km = w[W_LOCAL_KM]
    certs = S.certs[s]
    for m in range(F.bstart[g], F.bstart[g + 1]):
        need = 0.0
        if cnt == k:
            need = top_s[k - 1] - _nd_bound(w, F.mf[m, 6], ai, al, b0, F.mf[m, srow]) - prio - EPS
            if _beaten(w, bkm2, need):
                break  # the rest of the block (best first) cannot win either
        if ahi < F.age_min[m] or alo > F.age_max[m] or (F.mu[m, 1] & ~certs) != 0:
            continue
        j = F.pid[m]
        if use_room and room[j] <= 0:
            continue
        if in_dest:
            d = distance_term(w, 0.0)
        else:
            dx = (F.mf[m, 1] - slon) * kx
            dy = (F.mf[m, 0] - slat) * KM_PER_DEG_LAT
            km2 = dx * dx + dy * dy
            if cnt == k and _beaten(w, km2, need):
                continue
            km = np.sqrt(km2)  # = km_between(...) bit for bit
            if scope == SCOPE_LOCAL and km > local_km:
                continue
            d = distance_term(w, km)
        seeded = False
        for r in range(ns):
            if seed[r] == j:
                seeded = True
        if seeded:
            continue
        mid = F.mf[m, 2]
        sc = d + wage_income_term(w, mid, ref) + wage_local_term(w, mid, local) + F.mf[m, 3]
        sc = sc + skills_term(w, sk, F.mu[m, 0], F.mf[m, 5]) + F.mf[m, 4] + prio
        cnt = insert(k, top_p, top_s, cnt, j, sc)
    return cnt


@nb.njit(cache=True, nogil=True, **NO_NRT)
def _hint_score(s, j, S, F, w, c0, c1, room, use_room, alo, ahi):
    """(feasible, score) of seeker ``s`` for posting ``j`` from the index's columns (the same arithmetic as
    the scan and the brute force)."""
    m = F.mpos[j]
    if m < 0 or (use_room and room[j] <= 0):
        return False, 0.0
    c = F.mclass[m]
    ok = False
    for ci in range(c0, c1):
        if F.comp_indices[ci] == c:
            ok = True
    if not ok or ahi < F.age_min[m] or alo > F.age_max[m] or (F.mu[m, 1] & ~S.certs[s]) != 0:
        return False, 0.0
    t = F.mtown[m]
    scope = S.scope[s]
    dest = S.dest[s]
    sprov = S.prov[s]
    in_dest = scope == SCOPE_OUT and dest >= 0 and F.tcity[t] == dest and F.tprov[t] != sprov
    km = km_between(np.float64(S.lat[s]), np.float64(S.lon[s]), S.kx[s], F.mf[m, 0], F.mf[m, 1])
    if scope == SCOPE_LOCAL:
        ok = km <= w[W_LOCAL_KM]
    elif scope == SCOPE_COUNTY:
        ok = F.tcounty[t] == S.county[s]
    else:
        ok = F.tprov[t] == sprov or (scope == SCOPE_OUT and (dest < 0 or in_dest))
    if not ok:
        return False, 0.0
    mid = F.mf[m, 2]
    d = distance_term(w, 0.0 if in_dest else km)
    sc = d + wage_income_term(w, mid, S.ref[s]) + wage_local_term(w, mid, S.local[s]) + F.mf[m, 3]
    sc = sc + skills_term(w, S.skills[s], F.mu[m, 0], F.mf[m, 5]) + F.mf[m, 4] + S.prio[s]
    return True, sc


@nb.njit(cache=True, nogil=True, **NO_NRT)
def search(s, k, top_p, top_s, S, F, w, room, broom, oroom, use_room, hint, seed, alo, ahi):
    """Exact top-k postings of seeker ``s`` into ``top_p``/``top_s``; returns how many were found.
    With ``use_room``, only postings with ``room[j] > 0`` count (``broom``: room per bucket, then per
    super-block, then per block — see :mod:`.spreading`; ``oroom``: per class). ``hint`` [n_occ + 1, k]:
    postings to score first (the last list of a seeker of the same occupation — nearby, as seekers come by
    cell): a good k-th score early prunes more; they are scored exactly and skipped by the walk (``seed``
    holds them). ``alo``–``ahi``: the ages to search for — the seeker's own age for their list; a range for
    the list of seekers equal in all but age (a posting counts when its age range meets the range)."""
    so = S.occ[s] + 1
    c0 = F.comp_indptr[so]
    c1 = F.comp_indptr[so + 1]
    ref = S.ref[s]
    local = S.local[s]
    sk = S.skills[s]
    ai, al, b0 = _recips(w, ref, local)
    nbnd = -1.0
    for ci in range(c0, c1):
        c = F.comp_indices[ci]
        if use_room and oroom[c] <= 0:
            continue
        st = F.cmax[1, c] if (sk & F.cskor[c]) != 0 else F.cmax[2, c]
        nbnd = max(nbnd, _nd_bound(w, F.cmax[0, c], ai, al, b0, st))
    if nbnd < 0.0:
        return 0
    cnt = 0
    ns = 0
    if so < hint.shape[0]:
        for r in range(hint.shape[1]):
            j = hint[so, r]
            if j < 0:
                break
            ok, sc = _hint_score(s, j, S, F, w, c0, c1, room, use_room, alo, ahi)
            if ok:
                seed[ns] = j
                ns += 1
                cnt = insert(k, top_p, top_s, cnt, j, sc)
    scope = S.scope[s]
    dest = S.dest[s]
    prio = S.prio[s]
    sprov = S.prov[s]
    scounty = S.county[s]
    n_city = F.city_ptr.shape[0] - 1
    if scope == SCOPE_OUT and 0 <= dest < n_city:
        for ti in range(F.city_ptr[dest], F.city_ptr[dest + 1]):
            t = F.city_towns[ti]
            if F.tprov[t] == sprov:
                continue
            for ci in range(c0, c1):
                q = F.table[F.comp_indices[ci], t]
                if q >= 0:
                    cnt = _scan(
                        s, F, q, True, k, cnt, top_p, top_s, S, w, room, broom, use_room, seed, ns, alo, ahi
                    )
    u = F.scell[s]
    local_km = w[W_LOCAL_KM]
    for i in range(F.t_order.shape[1]):
        lb = F.t_lb[u, i]
        if scope == SCOPE_LOCAL and lb > local_km:
            break
        if cnt == k and distance_term(w, lb) + nbnd + prio + EPS < top_s[k - 1]:
            break
        t = F.t_order[u, i]
        if scope == SCOPE_COUNTY:
            if F.tcounty[t] != scounty:
                continue
        elif scope == SCOPE_PROVINCE or (scope == SCOPE_OUT and dest >= 0):
            if F.tprov[t] != sprov:
                continue
        for ci in range(c0, c1):
            q = F.table[F.comp_indices[ci], t]
            if q >= 0:
                cnt = _scan(
                    s, F, q, False, k, cnt, top_p, top_s, S, w, room, broom, use_room, seed, ns, alo, ahi
                )
    return cnt


@nb.njit(cache=True, nogil=True, **NO_NRT)
def top_chunk(seq, k, S, F, w, out_p, out_s, top_p, top_s, room, broom, oroom, hint, seed):
    """Top-k postings of the seekers ``seq`` (rows of ``out_p``/``out_s``). No allocation and no reference
    counting inside: the caller passes the work buffers (:func:`buffers`)."""
    for s in seq:
        age = S.age[s]
        cnt = search(s, k, top_p, top_s, S, F, w, room, broom, oroom, False, hint, seed, age, age)
        so = S.occ[s] + 1
        for r in range(k):
            out_p[s, r] = top_p[r] if r < cnt else -1
            out_s[s, r] = np.float32(top_s[r]) if r < cnt else -np.inf
        if so < hint.shape[0]:
            for r in range(min(k, hint.shape[1])):
                hint[so, r] = top_p[r] if r < cnt else -1


def buffers(k: int, n_occ: int) -> tuple[np.ndarray, ...]:
    """Work buffers for :func:`top_chunk` (one set per thread): top-k, empty rooms, hints, seeds."""
    e = np.zeros(0, np.int64)
    hint = np.full((n_occ + 1, k), -1, np.int32)
    return np.empty(k, np.int32), np.empty(k, np.float64), e, e.copy(), e.copy(), hint, np.empty(k, np.int32)


__all__ = ["SCOPE_PROVINCE", "FwdIndex", "build_forward_index", "buffers", "search", "top_chunk"]
