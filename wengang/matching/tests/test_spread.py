"""Capacity spreading: levels when demand exceeds the places, and the rule checked against a brute force."""

from __future__ import annotations

import numpy as np
import pytest

from wengang.matching import engine, spreading, synthetic
from wengang.matching.arrays import PRIORITY_THREE_WITHOUT
from wengang.matching.scoring import pair_terms

from .helpers import TAXONOMY, postings, seekers


def test_demand_over_capacity_is_spread_level_by_level():
    s = seekers(*({"priority": PRIORITY_THREE_WITHOUT if i == 29 else 0} for i in range(30)))
    p = postings({"north_km": 1.0, "places": 2}, {"north_km": 10.0, "places": 2})
    ctx = engine.make_context(s, p, TAXONOMY)
    recs = engine.top_postings(s, p, TAXONOMY, context=ctx, threads=1)
    assert (recs.index[:, 0] == 0).all()
    out = engine.spread(recs, ctx)
    first = out.recommendations.index[:, 0]
    # level 1: 6 + 6 (3 × 2 places each); level 2 (caps doubled): 6 + 6 more; level 3: the last 6 to A
    assert (first == 0).sum() == 18
    assert (first == 1).sum() == 12
    assert first[29] == 0  # the priority person is served first
    assert out.fallback.sum() == 18  # placed over a cap because nothing feasible had room
    assert out.stats["spread_levels"] == 3
    assert out.stats["max_first_choice_load"] == pytest.approx(9.0)
    assert out.stats["max_first_choice_load_before"] == pytest.approx(15.0)
    assert out.stats["demand_over_capacity"] == pytest.approx(2.5)
    assert out.stats["capacity_violations"] == 0


@pytest.fixture(scope="module")
def crowded():
    """More seekers than 3 × the places: most postings fill up."""
    tax = synthetic.taxonomy(30)
    s = synthetic.seekers(3000, 30, seed=21)
    p = synthetic.postings(100, 30, seed=22)
    ctx = engine.make_context(s, p, tax)
    recs = engine.top_postings(s, p, tax, context=ctx)
    return s, p, tax, ctx, recs


def test_the_capacity_rule_holds_against_a_brute_force(crowded):
    s, p, tax, ctx, recs = crowded
    out = engine.spread(recs, ctx)
    assert out.stats["capacity_violations"] == 0
    assert out.stats["demand_over_capacity"] > 1
    t = pair_terms(
        s, p, ctx.weights, ctx.prep, ctx.compat, np.arange(len(s))[:, None], np.arange(len(p))[None, :]
    )
    first = out.recommendations.index[:, 0]
    has = first >= 0
    assert (has == (recs.index[:, 0] >= 0)).all()
    # every first choice is feasible and keeps its exact score
    assert t.feasible[np.flatnonzero(has), first[has]].all()
    assert np.array_equal(
        out.recommendations.score[has, 0], t.total[np.flatnonzero(has), first[has]].astype(np.float32)
    )
    places = np.where(p.is_open, p.places, 0)
    cap = np.floor(3 * places)
    load = np.bincount(first[has], minlength=len(p))
    # whoever sits over a cap has no feasible posting left under its cap
    over = np.flatnonzero(out.fallback)
    assert len(over) > 0
    under = load < cap
    assert not (t.feasible[over][:, under]).any()
    # and the over-cap first choices are spread: no posting takes more than its share of them
    assert out.stats["max_first_choice_load"] < out.stats["max_first_choice_load_before"]


def test_spreading_costs_score_and_is_reported(crowded):
    s, p, tax, ctx, recs = crowded
    out = engine.spread(recs, ctx)
    has = recs.index[:, 0] >= 0
    change = out.recommendations.score[has, 0].astype(np.float64) - recs.score[has, 0]
    assert (change <= 0).all()  # nobody gets a better first choice than their own best
    assert out.stats["mean_score_change"] == pytest.approx(change.mean())


def test_feasibility_groups_are_exactly_the_equal_feasible_sets():
    tax = synthetic.taxonomy(12)
    s = synthetic.seekers(3000, 12, seed=31)
    # duplicates of a few homes, so that "local only" seekers share groups too
    s.lat[::3] = s.lat[0]
    s.lon[::3] = s.lon[0]
    s.age[::2] = 30
    p = synthetic.postings(300, 12, seed=32)
    ctx = engine.make_context(s, p, tax)
    group = spreading.feasibility_groups(ctx.S)
    t = pair_terms(
        s, p, ctx.weights, ctx.prep, ctx.compat, np.arange(len(s))[:, None], np.arange(len(p))[None, :]
    )
    rows = np.packbits(t.feasible, axis=1)
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        assert (rows[members] == rows[members[0]]).all()  # one group: one feasible set
    assert len(np.unique(group)) < len(s)  # and the grouping does merge seekers


def test_the_failure_shortcut_changes_nothing(crowded):
    s, p, tax, ctx, recs = crowded
    places = np.where(p.is_open, p.places, 0).clip(0, None)
    cap = np.floor(3 * places).astype(np.int64)
    seq = np.lexsort((np.arange(len(s)), -recs.score[:, 0], -ctx.prep.s_prio))
    args = (seq, recs.k, ctx.S, ctx.F, ctx.w, recs.index, recs.score, cap, engine.MAX_LEVEL)
    grouped = spreading.spread_first(*args)
    alone = spreading.spread_first(*args, group=np.arange(len(s)))
    for a, b in zip(grouped, alone, strict=True):
        assert np.array_equal(a, b)
    assert (grouped[2] > 1).sum() > 0  # some seekers did fail a level


def test_threads_do_not_change_the_spread(crowded):
    s, p, tax, ctx, recs = crowded
    one = engine.spread(recs, ctx, threads=1)
    two = engine.spread(recs, ctx, threads=2)
    assert np.array_equal(one.recommendations.index, two.recommendations.index)
    assert np.array_equal(one.recommendations.score, two.recommendations.score)
    assert np.array_equal(one.fallback, two.fallback)


def test_twins_share_a_list_and_nothing_changes():
    """Registry-like seekers (homes at a few points, incomes in hundreds): many are equal in every input."""
    tax = synthetic.taxonomy(12)
    s = synthetic.seekers(6000, 12, seed=51)
    rng = np.random.default_rng(52)
    pick = rng.choice(len(s), 8, replace=False)[rng.integers(0, 8, len(s))]
    for name in ("lat", "lon", "town", "county", "province"):
        getattr(s, name)[:] = getattr(s, name)[pick]
    s.local_wage[:] = s.local_wage[pick]
    s.last_income[:] = rng.choice([0.0, 3500.0], len(s)).astype(np.float32)
    s.age[:] = rng.choice([25, 40], len(s)).astype(np.int16)
    s.skills[:] = 0
    s.certificates[:] = 0
    p = synthetic.postings(150, 12, seed=53)
    ctx = engine.make_context(s, p, tax)
    recs = engine.top_postings(s, p, tax, context=ctx)
    rows = spreading.twin_rows(spreading.twin_groups(ctx.S), len(s))
    assert (rows >= 0).mean() > 0.5
    places = np.where(p.is_open, p.places, 0).clip(0, None)
    cap = np.floor(3 * places).astype(np.int64)
    seq = np.lexsort((np.arange(len(s)), -recs.score[:, 0], -ctx.prep.s_prio))
    args = (seq, recs.k, ctx.S, ctx.F, ctx.w, recs.index, recs.score, cap, engine.MAX_LEVEL)
    off = np.full(len(s), -1, np.int64)
    alone = spreading.spread_first(*args, group=np.arange(len(s)), twin_row=off)
    for threads in (1, 2):
        shared = spreading.spread_first(*args, threads=threads)
        for a, b in zip(shared, alone, strict=True):
            assert np.array_equal(a, b)
    assert (alone[2] > 1).sum() > 0
    assert (alone[2] == 1).sum() > 0
    out = engine.spread(recs, ctx)
    assert out.stats["capacity_violations"] == 0


def _greedy_oracle(score, feasible, seq, first, cap, max_level):
    """The spreading rule spelt out on the whole score matrix: level by level, each pending seeker in order
    takes their best feasible posting with room (ties: the lower index)."""
    n, n_post = score.shape
    new_p = np.full(n, -1)
    level = np.zeros(n, np.int64)
    load = np.zeros(n_post, np.int64)
    pending = [s for s in seq if first[s] >= 0]
    limit = cap.astype(np.int64)
    for lv in range(1, max_level + 1):
        if not pending:
            break
        failed = []
        for s in pending:
            ok = feasible[s] & (load < limit)
            if not ok.any():
                failed.append(s)
                continue
            j = int(np.argmax(np.where(ok, score[s], -np.inf)))  # the first maximum: the lower index
            new_p[s], level[s] = j, lv
            load[j] += 1
        pending = failed
        limit = limit * 2
    for s in pending:
        new_p[s], level[s] = first[s], max_level + 1
    return new_p, level


def _against_the_oracle(s, p, ctx, recs, threads):
    """(the oracle's first choices, spread_first's, and its levels), after checking they are equal."""
    t = pair_terms(
        s, p, ctx.weights, ctx.prep, ctx.compat, np.arange(len(s))[:, None], np.arange(len(p))[None, :]
    )
    places = np.where(p.is_open, p.places, 0).clip(0, None)
    cap = np.floor(3 * places).astype(np.int64)
    seq = np.lexsort((np.arange(len(s)), -recs.score[:, 0], -ctx.prep.s_prio))
    want_p, want_level = _greedy_oracle(t.total, t.feasible, seq, recs.index[:, 0], cap, engine.MAX_LEVEL)
    args = (seq, recs.k, ctx.S, ctx.F, ctx.w, recs.index, recs.score, cap, engine.MAX_LEVEL)
    new_p, _new_s, level, _load = spreading.spread_first(*args, threads=threads)
    assert np.array_equal(level, want_level)
    assert np.array_equal(new_p, want_p)
    return want_p, new_p, level


@pytest.mark.parametrize("threads", [1, 2])
def test_spreading_equals_the_rule_spelt_out(crowded, threads):
    s, p, tax, ctx, recs = crowded
    want_p, new_p, level = _against_the_oracle(s, p, ctx, recs, threads)
    assert (level > 1).sum() > 0
    # and through the engine, whose spreading rebuilds the index as postings fill
    out = engine.spread(recs, ctx, threads=threads)
    assert np.array_equal(out.recommendations.index[:, 0], want_p)


@pytest.mark.parametrize(("threads", "width"), [(1, 2), (2, 2), (1, 5), (2, 128)])
def test_seekers_equal_but_for_age_share_a_list_and_the_rule_holds(threads, width, monkeypatch):
    """Registry-like seekers (homes at a few points) of several ages per group, postings with age limits:
    the list a group shares is made for all its ages, and each takes the first that takes their own age.
    Short lists (``width``) are used up and made again often; long ones hardly ever."""
    monkeypatch.setattr(spreading, "LIST", width)
    tax = synthetic.taxonomy(12)
    s = synthetic.seekers(5000, 12, seed=61)
    rng = np.random.default_rng(62)
    pick = rng.choice(len(s), 6, replace=False)[rng.integers(0, 6, len(s))]
    for name in ("lat", "lon", "town", "county", "province"):
        getattr(s, name)[:] = getattr(s, name)[pick]
    s.local_wage[:] = s.local_wage[pick]
    s.last_income[:] = rng.choice([0.0, 3500.0], len(s)).astype(np.float32)
    s.age[:] = rng.choice([19, 30, 44, 52, 58], len(s)).astype(np.int16)
    s.skills[:] = 0
    s.certificates[:] = 0
    p = synthetic.postings(160, 12, seed=63)
    p.age_min[:] = rng.choice([16, 16, 25, 40], len(p)).astype(p.age_min.dtype)
    p.age_max[:] = rng.choice([45, 45, 55, 60, 200], len(p)).astype(p.age_max.dtype)
    ctx = engine.make_context(s, p, tax)
    recs = engine.top_postings(s, p, tax, context=ctx)
    rows = spreading.twin_rows(spreading.twin_groups(ctx.S, age=False), len(s))
    shared = rows >= 0
    assert shared.mean() > 0.9
    assert len(np.unique(s.age[shared])) == 5
    want_p, new_p, level = _against_the_oracle(s, p, ctx, recs, threads)
    assert (level == 1).sum() > 0
    assert (level > 1).sum() > 0
    # members of one group placed on postings that only some of its ages may take
    young_only = p.age_max[new_p[level == 1]] < 50
    assert young_only.any()
    assert not young_only.all()
    out = engine.spread(recs, ctx, threads=threads)
    assert np.array_equal(out.recommendations.index[:, 0], want_p)
    assert out.stats["capacity_violations"] == 0


def test_the_rule_check_searches_one_seeker_per_feasibility_group(crowded):
    s, p, tax, ctx, recs = crowded
    places = np.where(p.is_open, p.places, 0).clip(0, None)
    room = np.where(np.arange(len(p)) % 3 == 0, places, 0)  # a third of the postings keep room
    rooms = spreading.rooms(room, ctx.F)
    group = spreading.feasibility_groups(ctx.S)
    seq = np.arange(len(s))
    alone = spreading.still_fits(seq, ctx.S, ctx.F, ctx.w, room, *rooms)
    grouped = spreading.still_fits(seq, ctx.S, ctx.F, ctx.w, room, *rooms, group=group)
    t = pair_terms(
        s, p, ctx.weights, ctx.prep, ctx.compat, np.arange(len(s))[:, None], np.arange(len(p))[None, :]
    )
    want = int((t.feasible & (room > 0)[None, :]).any(axis=1).sum())
    assert alone == grouped == want
    assert 0 < want < len(s)
    assert len(np.unique(group)) < len(s)
