"""A run's rows as columns: reasons rendered once per combination equal the per-pair rendering, rounding is
Python's, and the bulk write (COPY on PostgreSQL, executemany on SQLite) stores exactly those rows."""

from __future__ import annotations

import random

import numpy as np
import pytest
from django.db import connection, transaction

from wengang.jobs.tests.factories import make_posting
from wengang.matching import engine, reasons, storing, synthetic
from wengang.matching.loading import Loaded
from wengang.matching.models import MatchRun, Recommendation, decode_terms, encode_terms
from wengang.matching.runs import match_run_create, match_run_execute

from .test_runs import _person


def _loaded(n_seekers: int = 3000, n_postings: int = 300) -> Loaded:
    tax = synthetic.taxonomy(40)
    seekers = synthetic.seekers(n_seekers, 40, seed=11)
    postings = synthetic.postings(n_postings, 40, seed=12)
    rng = np.random.default_rng(5)
    cities = sorted(set(postings.city.tolist()))
    return Loaded(
        seekers=seekers,
        postings=postings,
        taxonomy=tax,
        person_ids=np.arange(1, n_seekers + 1, dtype=np.int64) * 7,
        person_areas=["410329001001"] * n_seekers,
        seeker_coarse=rng.random(n_seekers) < 0.5,
        posting_ids=np.arange(1, n_postings + 1, dtype=np.int64) * 3,
        city_names={c: f"城市{c}" for c in cities[:-1]},  # one city without a name: an empty one
    )


def _reference(loaded: Loaded, ctx: engine.Context, recs: engine.Recommendations) -> list[tuple]:
    """The rows as the run rendered them pair by pair before (kept here as the yardstick)."""
    from wengang.matching.scoring import pair_terms

    s_idx, rank_idx = np.nonzero(recs.index >= 0)
    p_idx = recs.index[s_idx, rank_idx]
    t = pair_terms(ctx.seekers, ctx.postings, ctx.weights, ctx.prep, ctx.compat, s_idx, p_idx)
    post, last = ctx.postings, ctx.seekers.last_income
    out = []
    for n in range(len(s_idx)):
        s, j = int(s_idx[n]), int(p_idx[n])
        terms = {
            "distance": float(t.distance[n]),
            "wage_income": float(t.wage_income[n]),
            "wage_local": float(t.wage_local[n]),
            "board": float(t.board[n]),
            "skills": float(t.skills[n]),
            "key_enterprise": float(t.key[n]),
            "priority": float(t.priority[n]),
        }
        e = reasons.Explanation(
            feasible=bool(t.feasible[n]),
            km=float(t.km[n]),
            in_destination=bool(t.in_destination[n]),
            wage_min=float(post.wage_min[j]),
            wage_max=float(post.wage_max[j]),
            above_last_income=bool(last[s] > 0 and ctx.prep.p_mid[j] > last[s]),
            board=int(post.board[j]),
            key=bool(post.key[j]),
            skills_matched=int(t.skills_matched[n]),
            terms=terms,
            score=float(t.total[n]),
        )
        phrases = reasons.phrases(e, loaded.city_names.get(int(post.city[j]), ""))
        phrases[0] = storing._distance_phrase(loaded, phrases[0], s, j, e.km, e.in_destination)
        out.append(
            (
                int(loaded.person_ids[s]),
                int(loaded.posting_ids[j]),
                int(rank_idx[n]) + 1,
                round(float(recs.score[s, rank_idx[n]]), 3),
                reasons.SEP.join(phrases)[:300],
                {k: round(v, 2) for k, v in terms.items()} | {"km": round(e.km, 1)},
            )
        )
    return out


def _ranked(loaded: Loaded) -> tuple[engine.Context, engine.Recommendations]:
    ctx = engine.make_context(loaded.seekers, loaded.postings, loaded.taxonomy)
    recs = engine.top_postings(loaded.seekers, loaded.postings, loaded.taxonomy, k=3, context=ctx)
    return ctx, recs


def test_columns_equal_the_pair_by_pair_rendering():
    loaded = _loaded()
    ctx, recs = _ranked(loaded)
    cols = storing.build(loaded, ctx, recs)
    expected = _reference(loaded, ctx, recs)
    assert len(cols) == len(expected) > 1000
    assert cols.rows() == expected
    texts = {r[4] for r in expected}
    # the data exercise every kind of first phrase
    assert any("按县区中心估算" in x for x in texts)
    assert any(x.startswith("在您所在的县（区）内") for x in texts)
    assert any(x.startswith("位于您的意向务工地城市") for x in texts)
    assert any(x.startswith("距家约") and "估算" not in x.split(reasons.SEP)[0] for x in texts)
    # the stored text is what encode_terms gives for the dict, and reads back as it
    assert cols.terms_text() == [encode_terms(r[5]) for r in expected]
    assert [decode_terms(t) for t in cols.terms_text()] == [r[5] for r in expected]


def test_python_rounding_is_reproduced_exactly():
    rng = random.Random(3)
    values = [rng.uniform(-100, 100) for _ in range(20000)]
    values += [k / 1000 + 0.0005 for k in range(-3000, 3000)]  # halves at the third decimal
    values += [k / 200 for k in range(-2000, 2000)] + [0.0, -0.0, 2.675, 1.005, 0.125, 0.375]
    for digits in (1, 2, 3):
        got = storing.round_like_python(np.array(values), digits).tolist()
        assert got == [round(v, digits) for v in values]
    as_float32 = np.array(values, np.float32)
    assert storing.round_like_python(as_float32, 3).tolist() == [round(float(v), 3) for v in as_float32]


def test_dismissed_pairs_are_left_out():
    loaded = _loaded(400, 60)
    ctx, recs = _ranked(loaded)
    cols = storing.build(loaded, ctx, recs)
    first = (int(cols.person_id[0]), int(cols.posting_id[0]))
    kept = storing.without_pairs(cols, {first, (1, 1)})
    assert len(kept) == len(cols) - 1
    assert first not in set(zip(kept.person_id.tolist(), kept.posting_id.tolist(), strict=True))
    assert storing.without_pairs(cols, set()) is cols


@pytest.mark.django_db
def test_the_bulk_write_stores_the_rows_exactly(people):
    """COPY on PostgreSQL, executemany on SQLite: what is read back is what was built, odd characters too."""
    persons = [_person(people, seq, "19900101") for seq in range(1, 4)]
    posting = make_posting(people["employer"].enterprise, title="包装工")
    run = MatchRun.objects.create(scope_code="410329")
    odd = ["反斜杠 \\ 与制表符\t及换行\n", "回车\r · 月薪 4000–6000 元", "x" * 300]
    cols = storing.Columns(
        person_id=np.array([p.pk for p in persons], np.int64),
        posting_id=np.full(3, posting.pk, np.int64),
        rank=np.array([1, 2, 3], np.int64),
        score=np.array([66.436, -0.5, 1e-3]),
        reasons=np.array(odd, dtype=object),
        terms={k: np.array([1.25, -0.0, 3.0]) for k in (*storing.TERMS, "km")},
    )
    seen = []
    with transaction.atomic():
        storing.write(run.pk, cols, lambda done, total: seen.append((done, total)))
    assert seen == [(3, 3)]
    stored = list(
        Recommendation.objects.filter(run=run)
        .order_by("rank")
        .values_list("person_id", "posting_id", "rank", "score", "reasons", "term_values", "is_current")
    )
    assert stored == [
        (
            persons[n].pk,
            posting.pk,
            n + 1,
            cols.score[n],
            odd[n],
            ",".join([["1.25"] * 8, ["-0.0"] * 8, ["3.0"] * 8][n]),
            True,
        )
        for n in range(3)
    ]
    storing.write(run.pk, storing.Columns.empty())  # nothing to write: no statement
    assert Recommendation.objects.filter(run=run).count() == 3


@pytest.mark.django_db
def test_a_failed_write_leaves_the_previous_rows_current(people, monkeypatch):
    _person(people, 1, "19960301")
    make_posting(people["employer"].enterprise, title="包装工", board="both")
    good = match_run_execute(run_id=match_run_create(actor=None, scope_code="410329").pk)
    assert good.recommendations == 1
    real = storing.write

    def half_then_fail(run_id, cols, progress=None):
        real(run_id, cols, progress)  # the rows are in, the old ones already deleted …
        raise RuntimeError(f"{connection.vendor} 写入失败")  # … and the transaction rolls both back

    monkeypatch.setattr(storing, "write", half_then_fail)
    bad = match_run_create(actor=None, scope_code="410329")
    with pytest.raises(RuntimeError):
        match_run_execute(run_id=bad.pk)
    assert list(Recommendation.objects.values_list("run_id", "is_current")) == [(good.pk, True)]
    monkeypatch.setattr(storing, "write", real)
    old = Recommendation.objects.get()
    again = match_run_execute(run_id=match_run_create(actor=None, scope_code="410329").pk)
    current = Recommendation.objects.get()  # the rows it replaced are gone
    assert (current.run_id, current.is_current) == (again.pk, True)
    assert (current.reasons, current.terms) == (old.reasons, old.terms)


@pytest.mark.django_db
def test_a_rerun_deletes_the_replaced_rows_in_one_statement(people):
    from django.test.utils import CaptureQueriesContext

    _person(people, 1, "19960301")
    make_posting(people["employer"].enterprise, title="包装工", board="both")
    match_run_execute(run_id=match_run_create(actor=None, scope_code="410329").pk)
    with CaptureQueriesContext(connection) as queries:
        match_run_execute(run_id=match_run_create(actor=None, scope_code="410329").pk)
    table = connection.ops.quote_name(Recommendation._meta.db_table)
    sqls = [q["sql"].split(" ", 3) for q in queries.captured_queries]
    assert len([q for q in sqls if q[:3] == ["DELETE", "FROM", table]]) == 1
    assert not [q for q in sqls if q[0] == "SELECT" and q[1].startswith(table + ".")]  # no row is read back
    assert Recommendation.objects.count() == 1


@pytest.mark.django_db
def test_a_person_or_posting_deleted_during_a_run_leaves_no_row_behind(people, monkeypatch):
    from wengang.matching import runs
    from wengang.registry.models import Person

    kept, gone = _person(people, 1, "19960301"), _person(people, 2, "19960302")
    posting = make_posting(people["employer"].enterprise, title="包装工", board="both")
    other = make_posting(people["employer"].enterprise, title="包装工", board="both")
    real = runs.load_arrays

    def load_then_delete(scope_code):
        loaded = real(scope_code)  # the run has read them both …
        Person.objects.filter(pk=gone.pk).delete()  # … then staff delete one person and one posting
        type(other).objects.filter(pk=other.pk).delete()
        return loaded

    monkeypatch.setattr(runs, "load_arrays", load_then_delete)
    run = match_run_execute(run_id=match_run_create(actor=None, scope_code="410329").pk)
    assert run.status == "done"
    assert list(Recommendation.objects.values_list("person_id", "posting_id")) == [(kept.pk, posting.pk)]
