"""The matching engine's API: arrays in, ranked lists out (no Django).

- :func:`top_postings` — exact top-k postings per seeker (branch and bound, see :mod:`.forward`);
- :func:`top_candidates` — exact top-k seekers per posting (see :mod:`.reverse`);
- :func:`spread` — capacity-aware first choices (see :mod:`.spreading`), with the statistics the benchmark
  reports;
- :func:`update_for_posting` — after one posting changed, re-rank only the seekers it could reach.

Kernels release the GIL; chunks of seekers (postings) run on ``threads`` Python threads (default: the CPUs
this process may use). Compiled kernels are cached on disk (``cache=True``) in ``NUMBA_CACHE_DIR``, which
:mod:`wengang.matching` points at a subdirectory of ``var/numba-cache`` (or of the directory the environment
names) keyed by a hash of the package's source, so an upgrade never loads kernels compiled from older helpers.
"""

from __future__ import annotations

import dataclasses
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import forward, kernels, reverse, spreading
from .arrays import PostingArrays, SeekerArrays, Taxonomy
from .index import compat_csr, seeker_extent
from .scoring import Prepared, compat_matrix, prepare
from .weights import Weights

CHUNK = 8192


@dataclass
class Recommendations:
    """Row i: the top-k of seeker i (postings) or of posting i (seekers); -1 / -inf pad a short list."""

    index: np.ndarray  # int32 [n, k]
    score: np.ndarray  # float32 [n, k]

    @property
    def k(self) -> int:
        return int(self.index.shape[1])


@dataclass
class Context:
    """Inputs prepared once (validated, per-row score parts, the posting index); reused across calls."""

    seekers: SeekerArrays
    postings: PostingArrays
    taxonomy: Taxonomy
    weights: Weights
    w: np.ndarray
    prep: Prepared
    S: kernels.SeekCols
    P: kernels.PostCols
    F: forward.FwdIndex
    compat: np.ndarray  # bool [n_occ + 1, n_occ]
    comp: tuple[np.ndarray, np.ndarray]  # CSR seeker occupation + 1 → posting occupations
    extent: np.ndarray  # the seekers' lat/lon box
    order: np.ndarray  # seekers by home cell, then occupation (the same buckets stay in cache)
    timings: dict[str, float] = field(default_factory=dict)
    seek_index: Any = None  # the reverse index (:func:`seek_index`), built on first use
    twins: Any = None  # twin group per seeker, or False when homes are scattered (:func:`twin_groups`)
    groups: Any = None  # score group per seeker (:func:`score_groups`), built on first use


def _cols(seekers: SeekerArrays, postings: PostingArrays, prep: Prepared) -> tuple[Any, Any]:
    s, p = seekers, postings
    S = kernels.SeekCols(
        s.occupation, s.age, s.certificates, s.skills, s.lat, s.lon, s.town, s.county, s.province, s.scope,
        s.destination, prep.s_kx, prep.s_ref, prep.s_local, prep.s_prio,
    )  # fmt: skip
    P = kernels.PostCols(
        p.occupation, p.age_min, p.age_max, p.certificates, p.skills, p.lat, p.lon, p.county, p.province,
        p.city, prep.p_mid, prep.p_board, prep.p_key, prep.p_nskill, p.is_open, p.places,
    )  # fmt: skip
    return S, P


def make_context(
    seekers: SeekerArrays, postings: PostingArrays, taxonomy: Taxonomy, weights: Weights | None = None
) -> Context:
    weights = weights or Weights()
    taxonomy.validate()
    seekers.validate(taxonomy)
    postings.validate(taxonomy)
    prep = prepare(seekers, postings, weights)
    extent = seeker_extent(seekers)
    comp = compat_csr(taxonomy)
    F = forward.build_forward_index(seekers, postings, taxonomy.n_occupations, comp, prep, weights)
    S, P = _cols(seekers, postings, prep)
    compat = compat_matrix(comp, taxonomy.n_occupations)
    order = np.lexsort((seekers.occupation, F.scell))
    return Context(
        seekers, postings, taxonomy, weights, weights.vector(), prep, S, P, F, compat, comp, extent, order
    )


def _threads(threads: int | None) -> int:
    if threads:
        return threads
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _run_chunks(fn: Any, seq: np.ndarray, threads: int | None) -> None:
    chunks = [seq[i : i + CHUNK] for i in range(0, len(seq), CHUNK)]
    n = _threads(threads)
    if n <= 1 or len(chunks) <= 1:
        for c in chunks:
            fn(c)
        return
    with ThreadPoolExecutor(max_workers=n) as pool:
        list(pool.map(fn, chunks))


def top_postings(
    seekers: SeekerArrays,
    postings: PostingArrays,
    taxonomy: Taxonomy,
    weights: Weights | None = None,
    k: int | None = None,
    *,
    threads: int | None = None,
    context: Context | None = None,
) -> Recommendations:
    """Exact top-k postings per seeker (by score, ties to the lower posting index)."""
    ctx = context or make_context(seekers, postings, taxonomy, weights)
    k = k or ctx.weights.k
    out_p = np.full((len(ctx.seekers), k), -1, np.int32)
    out_s = np.full((len(ctx.seekers), k), -np.inf, np.float32)

    n_occ = ctx.taxonomy.n_occupations

    def run(seq: np.ndarray) -> None:
        forward.top_chunk(seq, k, ctx.S, ctx.F, ctx.w, out_p, out_s, *forward.buffers(k, n_occ))

    rep_of = twin_representatives(ctx)
    if rep_of is None:
        _run_chunks(run, ctx.order, threads)
        return Recommendations(out_p, out_s)
    is_rep = rep_of == np.arange(len(rep_of))
    _run_chunks(run, ctx.order[is_rep[ctx.order]], threads)  # one search per set of twins
    return Recommendations(out_p[rep_of], out_s[rep_of])


def twin_groups(ctx: Context) -> np.ndarray | None:
    """Each seeker's twin group (twins: equal in every input, so equal lists; ``spreading.twin_groups``),
    or None when homes are too scattered for twins to be worth looking for (a registry puts homes at village
    or township centres: a few thousand points for a city). Computed once per context."""
    if ctx.twins is None:
        S = ctx.S
        n = len(S.occ)
        ctx.twins = False
        if n >= 2:
            points = np.asarray(S.lat, np.float32).view(np.int32).astype(np.int64)
            points <<= 32
            points |= np.asarray(S.lon, np.float32).view(np.uint32)
            points.sort()  # in place: a province has tens of millions of seekers
            if (1 + np.count_nonzero(points[1:] != points[:-1])) * 4 <= n:
                ctx.twins = spreading.twin_groups(S)
    return None if ctx.twins is False else ctx.twins


def twin_representatives(ctx: Context) -> np.ndarray | None:
    """Each seeker's twin with the lowest index, or None (see :func:`twin_groups`)."""
    gid = twin_groups(ctx)
    if gid is None:
        return None
    n = len(gid)
    first = np.full(int(gid.max()) + 1, n, np.int64)
    np.minimum.at(first, gid, np.arange(n))
    return first[gid]


def seek_index(ctx: Context) -> reverse.SeekIndex:
    """The reverse index (posting → seekers) of the context, built once and kept on it (``top_candidates``
    and ``spread``'s covering both search it)."""
    if ctx.seek_index is None:
        p = ctx.postings
        rows = ctx.comp[1]
        keys = np.repeat(np.arange(len(ctx.comp[0]) - 1), np.diff(ctx.comp[0]))
        by_q = np.lexsort((keys, rows))
        rindptr = np.zeros(ctx.taxonomy.n_occupations + 1, np.int64)
        rindptr[1:] = np.cumsum(np.bincount(rows, minlength=ctx.taxonomy.n_occupations))
        n_city = int(max(p.city.max(initial=-1), ctx.seekers.destination.max(initial=-1))) + 1
        ctx.seek_index = reverse.build_seek_index(
            ctx.seekers, p.town, p.lat, p.lon, n_city, ctx.taxonomy.n_occupations,
            (rindptr, keys[by_q].astype(np.int32)), ctx.prep, gid=score_groups(ctx),
        )  # fmt: skip
    return ctx.seek_index


def score_groups(ctx: Context) -> np.ndarray:
    """Each seeker's score group (equal in all but age: :func:`.reverse.score_groups`), computed once per
    context: the reverse index holds groups, and spreading shares a list per group."""
    if ctx.groups is None:
        ctx.groups = reverse.score_groups(ctx.seekers, ctx.prep)
    return ctx.groups


def top_candidates(
    seekers: SeekerArrays,
    postings: PostingArrays,
    taxonomy: Taxonomy,
    weights: Weights | None = None,
    k: int | None = None,
    *,
    threads: int | None = None,
    context: Context | None = None,
) -> Recommendations:
    """Exact top-k seekers per posting (priority people rank first; ties to the lower seeker index)."""
    ctx = context or make_context(seekers, postings, taxonomy, weights)
    k = k or ctx.weights.k
    p = ctx.postings
    R = seek_index(ctx)
    out_s = np.full((len(p), k), -1, np.int32)
    out_v = np.full((len(p), k), -np.inf, np.float32)

    def run(seq: np.ndarray) -> None:
        top = np.empty(k, np.int32), np.empty(k, np.float64)
        every = np.zeros(0, np.bool_)  # no mask: every seeker counts
        reverse.top_candidates_chunk(
            seq, k, ctx.S, ctx.P, R, ctx.w, ctx.compat, p.town, out_s, out_v, *top, every
        )

    _run_chunks(run, np.arange(len(p)), threads)
    return Recommendations(out_s, out_v)


@dataclass
class Spread:
    """Recommendations after spreading first choices, and what it cost."""

    recommendations: Recommendations
    fallback: np.ndarray  # bool [S]: first choice over its cap because no feasible posting had room left
    stats: dict[str, float]


MAX_LEVEL = 30  # spreading levels (each doubles the caps) before the rest keep their own best


def spread(
    recs: Recommendations,
    context: Context,
    *,
    candidates: Recommendations | None = None,
    threads: int | None = None,
) -> Spread:
    """Reassign first choices so that no posting is more than ``capacity_factor`` × its open places anyone's
    first choice while another feasible posting has room (:mod:`.spreading`: priority people first, then by
    best score; each takes their best feasible posting with room — their own list first, then the exact
    search with room; those for whom nothing fits are spread again level by level). With ``candidates``
    (``top_candidates``), an open posting that feasible seekers exist for but that nobody's list holds is
    put in the last slot of its best candidate whose last posting is listed elsewhere too (never over their
    first choice), and the statistics count what is left. ``threads``: the proposals are computed on threads
    and taken in order, so the result does not depend on it."""
    ctx = context
    started = time.perf_counter()
    k = recs.k
    places = np.where(ctx.postings.is_open, ctx.postings.places, 0).clip(0, None)
    cap = np.floor(ctx.weights.capacity_factor * places).astype(np.int64)
    first_s = recs.score[:, 0]
    seq = np.lexsort((np.arange(len(first_s)), -first_s, -ctx.prep.s_prio))
    n_occ = ctx.taxonomy.n_occupations

    def rebuild(room: np.ndarray) -> forward.FwdIndex:
        p = dataclasses.replace(ctx.postings, places=np.where(room > 0, ctx.postings.places, 0))
        return forward.build_forward_index(
            ctx.seekers, p, n_occ, ctx.comp, ctx.prep, ctx.weights, reuse=ctx.F
        )

    group = spreading.feasibility_groups(ctx.S)
    new_p, new_s, level, load = spreading.spread_first(
        seq,
        k,
        ctx.S,
        ctx.F,
        ctx.w,
        recs.index,
        recs.score,
        cap,
        MAX_LEVEL,
        rebuild,
        group=group,
        threads=_threads(threads),
        # seekers equal in all but age share lists, when homes sit at few points (as twins are looked for)
        twin_row=spreading.twin_rows(
            None if twin_groups(ctx) is None else score_groups(ctx), len(ctx.seekers)
        ),
    )
    # the new list: the assigned first choice, then the old list without it
    moved = np.argsort(recs.index == new_p[:, None], axis=1, kind="stable")
    rest_p = np.take_along_axis(recs.index, moved, axis=1)[:, : k - 1]
    rest_s = np.take_along_axis(recs.score, moved, axis=1)[:, : k - 1]
    out = Recommendations(
        np.concatenate([new_p[:, None], rest_p], 1), np.concatenate([new_s[:, None], rest_s], 1)
    )
    has_candidate = None
    if candidates is not None:
        has_candidate = candidates.index[:, 0] >= 0
        count = np.bincount(out.index[out.index >= 0], minlength=len(places))
        uncovered = np.flatnonzero((places > 0) & (count == 0) & has_candidate)
        reverse.cover(
            uncovered, ctx.S, ctx.P, seek_index(ctx), ctx.w, ctx.compat, ctx.postings.town, out.index,
            out.score, count,
        )  # fmt: skip
    seconds = time.perf_counter() - started
    # the rule: whoever was placed over a cap (level > 1) has no feasible posting left under its cap
    over = np.flatnonzero(level > 1)
    room_left = np.clip(cap - load, 0, None)
    violations = spreading.still_fits(
        over, ctx.S, ctx.F, ctx.w, room_left, *spreading.rooms(room_left, ctx.F), group=group
    )
    fallback = level > MAX_LEVEL
    stats = spread_stats(recs, out, places, ctx.weights.capacity_factor, has_candidate)
    served = level > 0
    stats.update(
        spread_s=round(seconds, 3),
        fallback_share=float(fallback.mean()) if len(fallback) else 0.0,
        over_cap_seeker_share=float((level > 1).sum() / max(int(served.sum()), 1)),
        demand_over_capacity=float(served.sum() / max(int(cap.sum()), 1)),
        spread_levels=int(level.max(initial=0)),
        capacity_violations=int(violations),
    )
    return Spread(out, level > 1, stats)


def spread_stats(
    before: Recommendations,
    after: Recommendations,
    places: np.ndarray,
    factor: float,
    has_candidate: np.ndarray | None = None,
) -> dict[str, float]:
    n_post = len(places)
    has_first = after.index[:, 0] >= 0
    load_b = np.bincount(before.index[:, 0][before.index[:, 0] >= 0], minlength=n_post)
    load_a = np.bincount(after.index[:, 0][has_first], minlength=n_post)
    open_ = places > 0
    ratio_b = np.where(open_, load_b / np.maximum(places, 1), 0.0)
    ratio_a = np.where(open_, load_a / np.maximum(places, 1), 0.0)
    listed = np.zeros(n_post, np.bool_)
    listed[after.index[after.index >= 0]] = True
    base = open_ if has_candidate is None else open_ & has_candidate
    old = before.score[:, 0][has_first].astype(np.float64)
    new = after.score[:, 0][has_first].astype(np.float64)
    return {
        "max_first_choice_load": float(ratio_a.max(initial=0.0)),
        "max_first_choice_load_before": float(ratio_b.max(initial=0.0)),
        "over_capacity_share": float((load_a > factor * places)[open_].mean()) if open_.any() else 0.0,
        "over_capacity_share_before": float((load_b > factor * places)[open_].mean()) if open_.any() else 0.0,
        "zero_rec_share": float((~listed[base]).mean()) if base.any() else 0.0,
        "mean_score_change": float((new - old).mean()) if len(old) else 0.0,
        "mean_first_score_before": float(old.mean()) if len(old) else 0.0,
        "changed_first_share": float((after.index[:, 0] != before.index[:, 0]).mean()) if len(old) else 0.0,
    }


def update_for_posting(recs: Recommendations, context: Context, postings: PostingArrays, j: int) -> tuple[
    Recommendations, Context, np.ndarray
]:  # fmt: skip
    """After posting ``j`` changed (``postings`` = the new arrays, same length), return the updated
    recommendations, the new context and the seekers that were re-ranked: those that listed ``j`` and those
    it now reaches with a score that could enter their list. Equal to a full recompute."""
    ctx = context
    postings.validate(ctx.taxonomy)
    prep = prepare_postings(ctx, postings)
    F = forward.build_forward_index(
        ctx.seekers, postings, ctx.taxonomy.n_occupations, ctx.comp, prep, ctx.weights
    )
    S, P = _cols(ctx.seekers, postings, prep)
    new = Context(ctx.seekers, postings, ctx.taxonomy, ctx.weights, ctx.w, prep, S, P, F, ctx.compat,
                  ctx.comp, ctx.extent, ctx.order)  # fmt: skip
    touched = np.flatnonzero(kernels.reached_by(j, S, P, ctx.w, ctx.compat, recs.index, recs.score))
    out_p, out_s = recs.index.copy(), recs.score.copy()
    n_occ = ctx.taxonomy.n_occupations
    forward.top_chunk(touched, recs.k, S, F, ctx.w, out_p, out_s, *forward.buffers(recs.k, n_occ))
    return Recommendations(out_p, out_s), new, touched


def prepare_postings(ctx: Context, postings: PostingArrays) -> Prepared:
    """``Prepared`` with the seeker parts of ``ctx`` kept and the posting parts recomputed."""
    one = prepare(ctx.seekers.take(np.zeros(0, np.int64)), postings, ctx.weights)
    p = ctx.prep
    return Prepared(p.s_kx, p.s_ref, p.s_local, p.s_prio, one.p_mid, one.p_board, one.p_key, one.p_nskill)
