"""The score, twice: scalar numba helpers for the kernels and a vectorised NumPy version for pairs.

Both compute every term in float64 with the same operations in the same order (the per-posting and
per-seeker parts are prepared once by :func:`prepare`), so the kernels' scores equal the NumPy ones bit for
bit and the brute-force check can compare rankings exactly, ties included (ties go to the lower index).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from .arrays import (
    BOARD_LODGING,
    BOARD_MEALS,
    SCOPE_COUNTY,
    SCOPE_LOCAL,
    SCOPE_OUT,
    PostingArrays,
    SeekerArrays,
)
from .weights import (
    W_DISTANCE,
    W_HALF_KM,
    W_HIGH,
    W_INCOME,
    W_LOCAL,
    W_LOCAL_KM,
    W_LOW,
    W_SKILLS,
    Weights,
)

KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320  # at the equator; times cos(latitude)


@dataclass
class Prepared:
    """Per-row parts of the score computed once in NumPy (shared by kernels and the brute force)."""

    s_kx: np.ndarray  # float64 km per degree of longitude at the seeker's latitude
    s_ref: np.ndarray  # float64 the income the pay is compared with (last income, else local average)
    s_local: np.ndarray  # float64 local average wage
    s_prio: np.ndarray  # float64 the priority term
    p_mid: np.ndarray  # float64 middle of the posting's monthly pay
    p_board: np.ndarray  # float64 board term
    p_key: np.ndarray  # float64 key-enterprise term
    p_nskill: np.ndarray  # float64 number of skills the posting wants


def prepare(seekers: SeekerArrays, postings: PostingArrays, weights: Weights) -> Prepared:
    lat = seekers.lat.astype(np.float64)
    wmin = postings.wage_min.astype(np.float64)
    wmax = postings.wage_max.astype(np.float64)
    board = postings.board
    meals = ((board & BOARD_MEALS) != 0).astype(np.float64)
    lodging = ((board & BOARD_LODGING) != 0).astype(np.float64)
    share = weights.meals_share
    income = seekers.last_income.astype(np.float64)
    local = seekers.local_wage.astype(np.float64)
    return Prepared(
        s_kx=KM_PER_DEG_LON * np.cos(np.radians(lat)),
        s_ref=np.where(income > 0, income, local),
        s_local=local,
        s_prio=np.where(seekers.priority != 0, weights.priority, 0.0),
        p_mid=np.where(wmax > 0, (wmin + wmax) / 2.0, wmin),
        p_board=weights.board * (share * meals + (1.0 - share) * lodging),
        p_key=np.where(postings.key, weights.key_enterprise, 0.0),
        p_nskill=np.bitwise_count(postings.skills).astype(np.float64),
    )


# --- scalar helpers for the kernels ---------------------------------------------------------------------


@nb.njit(cache=True, nogil=True, inline="always")
def km_between(slat: float, slon: float, kx: float, plat: float, plon: float) -> float:
    dx = (plon - slon) * kx
    dy = (plat - slat) * KM_PER_DEG_LAT
    return np.sqrt(dx * dx + dy * dy)


@nb.njit(cache=True, nogil=True, inline="always")
def distance_term(w: np.ndarray, km: float) -> float:
    return w[W_DISTANCE] / (1.0 + km / w[W_HALF_KM])


@nb.njit(cache=True, nogil=True, inline="always")
def ramp(w: np.ndarray, ratio: float) -> float:
    x = (ratio - w[W_LOW]) / (w[W_HIGH] - w[W_LOW])
    return max(0.0, min(1.0, x))  # np.clip's value for any finite x, without branches


@nb.njit(cache=True, nogil=True, inline="always")
def wage_income_term(w: np.ndarray, mid: float, ref: float) -> float:
    if mid > 0.0 and ref > 0.0:
        return w[W_INCOME] * ramp(w, mid / ref)
    return 0.0


@nb.njit(cache=True, nogil=True, inline="always")
def wage_local_term(w: np.ndarray, mid: float, local: float) -> float:
    if mid > 0.0 and local > 0.0:
        return w[W_LOCAL] * ramp(w, mid / local)
    return 0.0


@nb.njit(cache=True, nogil=True, inline="always")
def popcount(x: np.uint64) -> int:
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@nb.njit(cache=True, nogil=True, inline="always")
def skills_term(w: np.ndarray, s_skills: np.uint64, p_skills: np.uint64, p_nskill: float) -> float:
    if p_nskill > 0.0:
        return w[W_SKILLS] * (popcount(s_skills & p_skills) / p_nskill)
    return 0.0


# --- vectorised pairs -----------------------------------------------------------------------------------


@dataclass
class Terms:
    """Every term of the score for pairs (arrays broadcast from the seeker and posting indices)."""

    feasible: np.ndarray
    km: np.ndarray  # the geodesic km (what the reason shows)
    in_destination: np.ndarray  # the posting is in the seeker's named out-of-province destination
    distance: np.ndarray
    wage_income: np.ndarray
    wage_local: np.ndarray
    board: np.ndarray
    skills: np.ndarray
    skills_matched: np.ndarray  # how many of the wanted skills the seeker has
    key: np.ndarray
    priority: np.ndarray
    total: np.ndarray


def compat_matrix(taxonomy_compat: tuple[np.ndarray, np.ndarray], n_occ: int) -> np.ndarray:
    """Dense bool [n_occ + 1, n_occ]: row ``o + 1`` = posting occupations seeker occupation ``o`` matches."""
    indptr, indices = taxonomy_compat
    m = np.zeros((len(indptr) - 1, n_occ), np.bool_)
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    m[rows, indices] = True
    return m


def pair_terms(
    seekers: SeekerArrays,
    postings: PostingArrays,
    weights: Weights,
    prep: Prepared,
    compat: np.ndarray,
    s: np.ndarray,
    p: np.ndarray,
) -> Terms:
    """The terms for seekers ``s`` and postings ``p`` (integer arrays that broadcast together)."""
    w = weights.vector()
    slat = seekers.lat[s].astype(np.float64)
    slon = seekers.lon[s].astype(np.float64)
    dx = (postings.lon[p].astype(np.float64) - slon) * prep.s_kx[s]
    dy = (postings.lat[p].astype(np.float64) - slat) * KM_PER_DEG_LAT
    km = np.sqrt(dx * dx + dy * dy)
    scope = seekers.scope[s]
    dest = seekers.destination[s]
    same_prov = postings.province[p] == seekers.province[s]
    in_dest = (scope == SCOPE_OUT) & (dest >= 0) & (postings.city[p] == dest) & ~same_prov
    place_ok = np.where(
        scope == SCOPE_LOCAL,
        km <= w[W_LOCAL_KM],
        np.where(
            scope == SCOPE_COUNTY,
            postings.county[p] == seekers.county[s],
            same_prov | ((scope == SCOPE_OUT) & ((dest < 0) | in_dest)),
        ),
    )
    age = seekers.age[s]
    feasible = (
        compat[seekers.occupation[s] + 1, postings.occupation[p]]
        & (postings.age_min[p] <= age)
        & (age <= postings.age_max[p])
        & ((postings.certificates[p] & ~seekers.certificates[s]) == 0)
        & postings.is_open[p]
        & (postings.places[p] > 0)
        & place_ok
    )
    distance = w[W_DISTANCE] / (1.0 + np.where(in_dest, 0.0, km) / w[W_HALF_KM])
    mid = prep.p_mid[p]

    def ramp_np(ratio: np.ndarray) -> np.ndarray:
        return np.clip((ratio - w[W_LOW]) / (w[W_HIGH] - w[W_LOW]), 0.0, 1.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        ref = prep.s_ref[s]
        local = prep.s_local[s]
        inc = np.where((mid > 0) & (ref > 0), w[W_INCOME] * ramp_np(mid / ref), 0.0)
        loc = np.where((mid > 0) & (local > 0), w[W_LOCAL] * ramp_np(mid / local), 0.0)
        matched = np.bitwise_count(seekers.skills[s] & postings.skills[p]).astype(np.float64)
        nskill = prep.p_nskill[p]
        skills = np.where(nskill > 0, w[W_SKILLS] * (matched / nskill), 0.0)
    board = prep.p_board[p]
    key = prep.p_key[p]
    prio = prep.s_prio[s]
    total = distance + inc + loc + board + skills + key + prio
    return Terms(feasible, km, in_dest, distance, inc, loc, board, skills, matched, key, prio, total)


def brute_force_top(
    seekers: SeekerArrays,
    postings: PostingArrays,
    weights: Weights,
    compat: np.ndarray,
    sample: np.ndarray,
    k: int,
    block: int = 128,
) -> tuple[np.ndarray, np.ndarray]:
    """Exhaustive NumPy scoring of the seekers in ``sample`` against every posting: (index, score) [n, k]."""
    prep = prepare(seekers, postings, weights)
    n = len(sample)
    out_p = np.full((n, k), -1, np.int32)
    out_s = np.full((n, k), -np.inf, np.float32)
    allp = np.arange(len(postings))[None, :]
    for lo in range(0, n, block):
        rows = sample[lo : lo + block][:, None]
        t = pair_terms(seekers, postings, weights, prep, compat, rows, allp)
        score = np.where(t.feasible, t.total, -np.inf)
        kk = min(k, score.shape[1])
        if kk == 0:
            continue
        kth = -np.partition(-score, kk - 1, axis=1)[:, kk - 1]
        for i in range(score.shape[0]):
            cand = np.flatnonzero((score[i] >= kth[i]) & np.isfinite(score[i]))
            cand = cand[np.argsort(-score[i, cand], kind="stable")][:k]
            out_p[lo + i, : len(cand)] = cand
            out_s[lo + i, : len(cand)] = score[i, cand]
    return out_p, out_s
