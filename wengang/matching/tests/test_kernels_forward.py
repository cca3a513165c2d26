"""The forward index and search: exact for any block size, cell size and k; the squared distance test."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from wengang.matching import engine, forward, synthetic
from wengang.matching.scoring import brute_force_top, distance_term


@pytest.fixture(scope="module")
def data():
    tax = synthetic.taxonomy(30)
    s = synthetic.seekers(2500, 30, seed=31)
    p = synthetic.postings(1200, 30, seed=32)
    return s, p, tax, engine.make_context(s, p, tax)


@pytest.mark.parametrize(("block", "cell_km"), [(1, 0.5), (3, 6.0), (16, 40.0), (64, 1e5)])
def test_exact_for_any_block_and_cell(data, block, cell_km):
    s, p, tax, ctx = data
    F = forward.build_forward_index(
        s, p, tax.n_occupations, ctx.comp, ctx.prep, ctx.weights, block=block, cell_km=cell_km
    )
    other = dataclasses.replace(ctx, F=F)
    recs = engine.top_postings(s, p, tax, context=other, threads=1)
    sample = np.random.default_rng(block).choice(len(s), 400, replace=False)
    bp, bs = brute_force_top(s, p, ctx.weights, ctx.compat, sample, 3)
    assert (recs.index[sample] == bp).all()
    assert np.array_equal(recs.score[sample], bs)


def test_exact_for_a_long_list_without_hints(data):
    s, p, tax, ctx = data
    k = 12
    out_p = np.full((len(s), k), -1, np.int32)
    out_s = np.full((len(s), k), -np.inf, np.float32)
    bufs = list(forward.buffers(k, tax.n_occupations))
    bufs[5] = np.zeros((0, k), np.int32)  # no hints
    forward.top_chunk(np.arange(len(s)), k, ctx.S, ctx.F, ctx.w, out_p, out_s, *bufs)
    hinted = engine.top_postings(s, p, tax, k=k, context=ctx)
    assert (hinted.index == out_p).all()
    sample = np.arange(0, len(s), 7)
    bp, bs = brute_force_top(s, p, ctx.weights, ctx.compat, sample, k)
    assert (out_p[sample] == bp).all()
    assert np.array_equal(out_s[sample], bs)


def test_the_squared_distance_test_never_prunes_a_winner():
    w = engine.make_context(*_tiny()).w
    rng = np.random.default_rng(3)
    km = np.concatenate([rng.exponential(15, 20_000), [0.0, 10.0, 1e-9]])
    need = rng.uniform(-5, 45, len(km))
    need[-3:] = [distance_term(w, 0.0), distance_term(w, 10.0), 0.0]
    for x, n in zip(km, need, strict=True):
        if forward._beaten(w, x * x, n):
            assert distance_term(w, x) < n
        elif n > 0 and distance_term(w, x) < n * (1 - 1e-6):
            pytest.fail(f"not pruned: km {x}, need {n}")


def _tiny():
    tax = synthetic.taxonomy(10)
    return synthetic.seekers(50, 10, seed=1), synthetic.postings(20, 10, seed=2), tax
