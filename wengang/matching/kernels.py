"""Numba pieces shared by the searches (``@njit(cache=True, nogil=True)``): the column tuples, the sorted
top-k insert, one pair's score, and the seekers a changed posting can reach.

The forward search is :mod:`.forward`, the reverse one :mod:`.reverse`, the capacity spreading
:mod:`.spreading`. Hot kernels run without numba's reference counting (``_nrt=False``: they allocate
nothing) — the atomics on every array access were two thirds of the time.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numba as nb
import numpy as np

from .arrays import SCOPE_COUNTY, SCOPE_LOCAL, SCOPE_OUT
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
    age = S.age[s]
    if age < P.age_min[j] or age > P.age_max[j]:
        return False, 0.0
    return pair_score_any_age(s, j, S, P, w, compat)


@nb.njit(cache=True, nogil=True, **NO_NRT)
def pair_score_any_age(s, j, S, P, w, compat):
    """:func:`pair_score` without the age filter (the age is checked by the caller)."""
    if not compat[S.occ[s] + 1, P.occ[j]] or not P.is_open[j] or P.places[j] <= 0:
        return False, 0.0
    if (P.certs[j] & ~S.certs[s]) != 0:
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
