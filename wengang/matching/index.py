"""Helpers shared by the indexes: compatibility lists and classes, bucket statistics, township boxes and
orders.

The forward (seeker → postings) index is :mod:`.forward`; the reverse one (posting → seekers)
:mod:`.reverse`, which walks seeker townships nearest first from the posting's township.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .arrays import SeekerArrays, Taxonomy
from .scoring import KM_PER_DEG_LAT, KM_PER_DEG_LON


def compat_csr(taxonomy: Taxonomy) -> tuple[np.ndarray, np.ndarray]:
    """Row 0: general-labour occupations (no stated occupation); row o + 1: o and its related ones."""
    rows = [np.flatnonzero(taxonomy.general).astype(np.int32)]
    rows += [taxonomy.compatible(o) for o in range(taxonomy.n_occupations)]
    indptr = np.zeros(len(rows) + 1, np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    return indptr, np.concatenate(rows).astype(np.int32)


@nb.njit(cache=True, nogil=True)
def _bucket_stats(keys, lat, lon, vals_max, vals_min, n_max, n_min):
    """Bucket boundaries of sorted ``keys``, bounding boxes, and suffix max/min of value columns."""
    n = len(keys)
    nbk = 0
    for i in range(n):
        if i == 0 or keys[i] != keys[i - 1]:
            nbk += 1
    start = np.empty(nbk + 1, np.int64)
    box = np.empty((4, nbk), np.float64)
    suf_max = vals_max.copy()
    suf_min = vals_min.copy()
    b = -1
    for i in range(n):
        if i == 0 or keys[i] != keys[i - 1]:
            b += 1
            start[b] = i
            box[0, b] = box[1, b] = lat[i]
            box[2, b] = box[3, b] = lon[i]
        box[0, b] = min(box[0, b], lat[i])
        box[1, b] = max(box[1, b], lat[i])
        box[2, b] = min(box[2, b], lon[i])
        box[3, b] = max(box[3, b], lon[i])
    start[nbk] = n
    for b in range(nbk):
        for i in range(start[b + 1] - 2, start[b] - 1, -1):
            for c in range(n_max):
                suf_max[c, i] = max(suf_max[c, i], suf_max[c, i + 1])
            for c in range(n_min):
                suf_min[c, i] = min(suf_min[c, i], suf_min[c, i + 1])
    return start, box, suf_max, suf_min


def dense_groups(cols: tuple[np.ndarray, ...]) -> np.ndarray:
    """A dense id per row: equal ids ⇔ equal in every column."""
    n = len(cols[0]) if cols else 0
    order = np.lexsort(cols)
    new = np.zeros(n, np.bool_)
    if n:
        new[0] = True
        for col in cols:
            c = np.asarray(col)[order]
            new[1:] |= c[1:] != c[:-1]
    gid = np.empty(n, np.int64)
    gid[order] = np.cumsum(new) - 1
    return gid


ROWS_AT_A_TIME = 1 << 20  # rows converted to float64 at a time (a province's seekers, without copies)


def _town_boxes(town: np.ndarray, lat: np.ndarray, lon: np.ndarray, n_town: int) -> np.ndarray:
    """[4, n_town] lat0, lat1, lon0, lon1 of each town's rows (NaN where a town has none). ``lat``/``lon`` in
    any float type, read a chunk at a time (the float64 box of float32 points is the same either way)."""
    box = np.full((4, n_town), np.nan)
    for lo in range(0, len(town), ROWS_AT_A_TIME):
        part = slice(lo, lo + ROWS_AT_A_TIME)
        t = town[part]
        for row, fn, col in ((0, np.fmin, lat), (1, np.fmax, lat), (2, np.fmin, lon), (3, np.fmax, lon)):
            fn.at(box[row], t, col[part].astype(np.float64))
    return box


def _order(src: np.ndarray, dst: np.ndarray, dst_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each source town: destination towns nearest first, with a lower bound of the km between boxes.
    Row blocks at a time: the table can have millions of entries, and each needs a few float64 temporaries."""
    n_src, n_dst = src.shape[1], dst.shape[1]
    order = np.empty((n_src, n_dst), np.int32)
    lbs = np.empty((n_src, n_dst))
    step = max(1, ROWS_AT_A_TIME // max(n_dst, 1))
    for lo in range(0, n_src, step):
        order[lo : lo + step], lbs[lo : lo + step] = _order_rows(src[:, lo : lo + step], dst, dst_ids)
    return order, lbs


def _order_rows(src: np.ndarray, dst: np.ndarray, dst_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    glat = np.maximum(0.0, np.maximum(dst[0][None, :] - src[1][:, None], src[0][:, None] - dst[1][None, :]))
    glon = np.maximum(0.0, np.maximum(dst[2][None, :] - src[3][:, None], src[2][:, None] - dst[3][None, :]))
    maxlat = np.maximum(
        np.maximum(np.abs(src[0]), np.abs(src[1]))[:, None],
        np.maximum(np.abs(dst[0]), np.abs(dst[1]))[None, :],
    )
    kx = KM_PER_DEG_LON * np.cos(np.radians(np.nan_to_num(maxlat, nan=89.0)))
    lb = np.sqrt((glon * kx) ** 2 + (glat * KM_PER_DEG_LAT) ** 2)
    lb = np.nan_to_num(lb, nan=0.0) * (1 - 1e-9)  # rounding can only lower a lower bound
    order = np.argsort(lb, axis=1, kind="stable")
    return dst_ids[order].astype(np.int32), np.take_along_axis(lb, order, axis=1)


def classes(comp: tuple[np.ndarray, np.ndarray], n_occ: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Posting occupations accepted by exactly the same seeker occupations share a class (the general-labour
    occupations are one): (class of each occupation, CSR seeker occupation + 1 → classes)."""
    indptr, indices = comp
    m = np.zeros((len(indptr) - 1, n_occ), np.bool_)
    m[np.repeat(np.arange(len(indptr) - 1), np.diff(indptr)), indices] = True
    _, occ_class = np.unique(m.T, axis=0, return_inverse=True)
    occ_class = occ_class.ravel().astype(np.int32)
    rows = [np.unique(occ_class[indices[indptr[i] : indptr[i + 1]]]) for i in range(len(indptr) - 1)]
    cptr = np.zeros(len(rows) + 1, np.int64)
    cptr[1:] = np.cumsum([len(r) for r in rows])
    return occ_class, cptr, np.concatenate(rows).astype(np.int32)


def seeker_extent(seekers: SeekerArrays) -> np.ndarray:
    if not len(seekers):
        return np.array([np.inf, -np.inf, np.inf, -np.inf])
    lat, lon = seekers.lat, seekers.lon
    return np.array([lat.min(), lat.max(), lon.min(), lon.max()], np.float64)
