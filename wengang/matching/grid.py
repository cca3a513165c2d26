"""The posting index the forward search walks: buckets by (compatibility class, grid cell).

- *Classes*: posting occupations accepted by exactly the same seeker occupations share a class (the five
  general-labour occupations are one class), so a seeker looks up one bucket per class, not per occupation.
- *Grid*: square cells of ``cell_km`` over every open posting and seeker; a seeker visits cells in order of
  a lower bound of the km to them (one offset list for everybody), nearest first.
- Inside a bucket, postings are sorted by a typical score without distance, with suffix maxima of the pay,
  of the pay-independent terms and of those terms without skills, so a scan stops when the rest cannot win.
- The same postings are bucketed again by (class, city) for seekers with a named out-of-province destination.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .arrays import PostingArrays, SeekerArrays
from .index import _bucket_stats, compat_csr
from .scoring import KM_PER_DEG_LAT, KM_PER_DEG_LON, Prepared
from .weights import Weights


class Buckets(NamedTuple):
    members: np.ndarray  # int32 posting ids by bucket, best first
    suf: (
        np.ndarray
    )  # float64 [3, n]: suffix max of pay (middle), of board + skills bound + key, of board + key
    bstart: np.ndarray  # int64 [nb + 1]
    box: np.ndarray  # float64 [4, nb]: lat0, lat1, lon0, lon1
    bskor: np.ndarray  # uint64 [nb] OR of wanted skills
    table: np.ndarray  # int32 [n_class, n_cols] bucket id or -1


class PostIndex(NamedTuple):
    grid: Buckets  # columns: grid cells
    city: Buckets  # columns: city ids
    occ_class: np.ndarray  # int32 [n_occ]
    comp_indptr: np.ndarray  # int64 CSR seeker occupation + 1 → classes
    comp_indices: np.ndarray  # int32
    cmax: np.ndarray  # float64 [3, n_class] the same maxima per class (for the stop test)
    cskor: np.ndarray  # uint64 [n_class]
    geo: np.ndarray  # float64 [lat0, lon0, dlat, dlon] of the grid
    shape: np.ndarray  # int64 [nx, ny]
    off: np.ndarray  # int32 [2, n_off] cell offsets (dx, dy), nearest first
    off_lb: np.ndarray  # float64 [n_off] lower bound of the km to a cell at that offset
    reach: np.ndarray  # float64 [2, 4, n] boxes of the open postings of each county (0) and province (1)


def _classes(comp: tuple[np.ndarray, np.ndarray], n_occ: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    indptr, indices = comp
    m = np.zeros((len(indptr) - 1, n_occ), np.bool_)
    m[np.repeat(np.arange(len(indptr) - 1), np.diff(indptr)), indices] = True
    _, occ_class = np.unique(m.T, axis=0, return_inverse=True)
    occ_class = occ_class.ravel().astype(np.int32)
    rows = [np.unique(occ_class[indices[indptr[i] : indptr[i + 1]]]) for i in range(len(indptr) - 1)]
    cptr = np.zeros(len(rows) + 1, np.int64)
    cptr[1:] = np.cumsum([len(r) for r in rows])
    return occ_class, cptr, np.concatenate(rows).astype(np.int32)


def _buckets(
    keys: np.ndarray, rank: np.ndarray, ids: np.ndarray, cols: int, n_class: int,
    postings: PostingArrays, static: np.ndarray, bk: np.ndarray, mid: np.ndarray,
) -> Buckets:  # fmt: skip
    order = np.lexsort((ids, -rank, keys))
    members = ids[order].astype(np.int32)
    keys = keys[order]
    start, box, suf, _ = _bucket_stats(
        keys, postings.lat[members].astype(np.float64), postings.lon[members].astype(np.float64),
        np.stack([mid[members], static[members], bk[members]]), np.zeros((0, len(members))), 3, 0,
    )  # fmt: skip
    seg = np.repeat(np.arange(len(start) - 1), np.diff(start))
    bskor = np.zeros(len(start) - 1, np.uint64)
    np.bitwise_or.at(bskor, seg, postings.skills[members])
    table = np.full(n_class * cols, -1, np.int32)
    table[keys[start[:-1]]] = np.arange(len(start) - 1, dtype=np.int32)
    return Buckets(members, suf, start, box, bskor, table.reshape(n_class, cols))


def _boxes(group: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    n = int(group.max(initial=-1)) + 1
    box = np.stack([np.full(n, np.inf), np.full(n, -np.inf), np.full(n, np.inf), np.full(n, -np.inf)])
    np.minimum.at(box[0], group, lat)
    np.maximum.at(box[1], group, lat)
    np.minimum.at(box[2], group, lon)
    np.maximum.at(box[3], group, lon)
    return box


def build_post_index(
    seekers: SeekerArrays, postings: PostingArrays, n_occ: int, comp: tuple[np.ndarray, np.ndarray],
    prep: Prepared, weights: Weights, extent: np.ndarray, cell_km: float = 4.0,
) -> PostIndex:  # fmt: skip
    """``extent`` = [lat0, lat1, lon0, lon1] of the seekers (computed once, reused by updates)."""
    occ_class, cptr, cidx = _classes(comp, n_occ)
    n_class = int(occ_class.max(initial=-1)) + 1
    kept = np.flatnonzero(postings.is_open & (postings.places > 0)).astype(np.int64)
    plat = postings.lat.astype(np.float64)
    plon = postings.lon.astype(np.float64)
    lat0 = min(extent[0], plat[kept].min(initial=np.inf))
    lat1 = max(extent[1], plat[kept].max(initial=-np.inf))
    lon0 = min(extent[2], plon[kept].min(initial=np.inf))
    lon1 = max(extent[3], plon[kept].max(initial=-np.inf))
    if not np.isfinite(lat0):
        lat0, lat1, lon0, lon1 = 0.0, 0.0, 0.0, 0.0
    kxmin = KM_PER_DEG_LON * np.cos(np.radians(max(abs(lat0), abs(lat1))))
    dlat = cell_km / KM_PER_DEG_LAT
    dlon = cell_km / max(kxmin, 1e-6)
    nx = int((lon1 - lon0) / dlon) + 1
    ny = int((lat1 - lat0) / dlat) + 1
    cx = ((plon[kept] - lon0) / dlon).astype(np.int64).clip(0, nx - 1)
    cy = ((plat[kept] - lat0) / dlat).astype(np.int64).clip(0, ny - 1)
    skill_b = np.where(prep.p_nskill > 0, weights.skills, 0.0)
    bk = prep.p_board + prep.p_key
    static = prep.p_board + skill_b + prep.p_key
    typical = np.median(prep.s_ref[prep.s_ref > 0]) if (prep.s_ref > 0).any() else 4000.0
    rank = static + weights.wage_income * np.clip((prep.p_mid / typical - weights.wage_low)
                                                  / (weights.wage_high - weights.wage_low), 0, 1)  # fmt: skip
    cls = occ_class[postings.occupation[kept]].astype(np.int64)
    args = (postings, static, bk, prep.p_mid)
    grid = _buckets(cls * (nx * ny) + cy * nx + cx, rank[kept], kept, nx * ny, n_class, *args)
    n_city = int(postings.city.max(initial=-1)) + 1
    city = _buckets(cls * n_city + postings.city[kept], rank[kept], kept, n_city, n_class, *args)
    cmax = np.zeros((3, n_class))
    for r, v in enumerate((prep.p_mid, static, bk)):
        np.maximum.at(cmax[r], cls, v[kept])
    cskor = np.zeros(n_class, np.uint64)
    np.bitwise_or.at(cskor, cls, postings.skills[kept])
    dx, dy = np.meshgrid(np.arange(-nx + 1, nx), np.arange(-ny + 1, ny))
    gx = np.maximum(0, np.abs(dx) - 1) * dlon * kxmin
    gy = np.maximum(0, np.abs(dy) - 1) * dlat * KM_PER_DEG_LAT
    lb = np.sqrt(gx * gx + gy * gy).ravel() * (1 - 1e-9)
    o = np.argsort(lb, kind="stable")
    off = np.stack([dx.ravel()[o], dy.ravel()[o]]).astype(np.int32)
    areas = (postings.county, postings.province, seekers.county, seekers.province)
    reach = np.full((2, 4, max(int(a.max(initial=0)) for a in areas) + 1), np.nan)
    for r, col in enumerate((postings.county, postings.province)):
        b = _boxes(col[kept], plat[kept], plon[kept])
        reach[r, :, : b.shape[1]] = b
    return PostIndex(
        grid, city, occ_class, cptr, cidx, cmax, cskor, np.array([lat0, lon0, dlat, dlon]),
        np.array([nx, ny], np.int64), off, lb[o], reach,
    )  # fmt: skip


def seeker_extent(seekers: SeekerArrays) -> np.ndarray:
    if not len(seekers):
        return np.array([np.inf, -np.inf, np.inf, -np.inf])
    lat, lon = seekers.lat, seekers.lon
    return np.array([lat.min(), lat.max(), lon.min(), lon.max()], np.float64)


__all__ = ["Buckets", "PostIndex", "build_post_index", "compat_csr", "seeker_extent"]
