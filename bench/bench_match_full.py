"""A full match run from the database (``wengang.matching.runs.match_run_execute``), and its peer.

Seeds people across Luoyang (``wengang.registry.seed.seed_population``) and postings
(``wengang.jobs.seed.seed_postings``), then runs the city's match run exactly as the background task does:
read the seekers and open postings (a handful of bulk queries, rows straight from the cursor), rank and
spread with the engine, render the reasons (once per distinct combination, ``wengang.matching.storing``) and
write the recommendations (``COPY … FROM STDIN`` on PostgreSQL, one ``executemany`` on SQLite). Figures:

- ``full_run_sqlite_s`` or ``full_run_pg_s`` (by the database the harness gave) — the whole run, with its
  parts ``load_s``, ``engine_s``, ``reasons_s``, ``write_s`` as the run recorded them, and
  ``write_rows_per_s``;
- ``rerun_s`` and ``rerun_write_s`` — the same run again, whose write also deletes the rows the first run
  stored (the steady state of a nightly run);
- peer: what a typical vendor writes — one SQL query per seeker against the indexed postings table (the hard
  filters in ``WHERE``: occupation among the compatible ones, age, open places, not ended, within the
  seeker's county or province; ``ORDER BY`` a wage-minus-distance score, ``LIMIT 3``), timed on 1,000 sampled
  seekers: ``peer_seekers_per_s``, and ``peer_ratio`` = the peer's time extrapolated to all seekers ÷ the
  run's ``engine_s``.

Scale: small = 100,000 people × 5,000 postings; city = 2,500,000 × 50,000.
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.db import connection

NAME = "match_full"
PEER = (
    "One SQL query per seeker against the indexed postings table (hard filters in WHERE, a "
    "wage-minus-distance ORDER BY, LIMIT 3), timed on 1,000 sampled seekers in the same run and "
    "extrapolated to all seekers."
)
SIZES = {"small": (100_000, 5_000), "city": (2_500_000, 50_000)}
SCOPE = "410300"
SEED = 2026
SAMPLE = 1_000


def setup(people: int, postings: int) -> dict[str, Any]:
    from wengang.jobs.seed import seed_postings
    from wengang.regions.services import luoyang_load
    from wengang.registry.seed import seed_population

    luoyang_load()
    started = time.perf_counter()
    seed_population(persons=people, seed=SEED)
    seed_postings(postings, seed=SEED)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for table in (
                "registry_person",
                "jobs_posting",
                "registry_employmentevent",
                "registry_intentrecord",
            ):
                cur.execute(f"VACUUM ANALYZE {table}")
        else:
            cur.execute("ANALYZE")
    return {"seed_s": round(time.perf_counter() - started, 1)}


def full_run() -> tuple[Any, dict[str, Any]]:
    from wengang.matching import engine, synthetic
    from wengang.matching.runs import match_run_create, match_run_execute

    # Compile (or load from the cache) the kernels first, as a worker that has run once has.
    tax = synthetic.taxonomy(20)
    ws, wp = synthetic.seekers(500, 20, seed=1), synthetic.postings(100, 20, seed=2)
    ctx = engine.make_context(ws, wp, tax)
    recs = engine.top_postings(ws, wp, tax, context=ctx)
    engine.spread(recs, ctx, candidates=engine.top_candidates(ws, wp, tax, context=ctx))

    started = time.perf_counter()
    run = match_run_execute(run_id=match_run_create(actor=None, scope_code=SCOPE).pk)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    rerun = match_run_execute(run_id=match_run_create(actor=None, scope_code=SCOPE).pk)
    rerun_seconds = time.perf_counter() - started
    key = "full_run_pg_s" if connection.vendor == "postgresql" else "full_run_sqlite_s"
    write_s = run.timings.get("write_s") or 0
    return run, {
        key: round(seconds, 2),
        "seekers": run.seekers,
        "postings": run.postings,
        "recommendations": run.recommendations,
        **{k: v for k, v in run.timings.items() if k != "total_s"},
        "write_rows_per_s": round(run.recommendations / write_s) if write_s else None,
        "rerun_s": round(rerun_seconds, 2),
        "rerun_write_s": rerun.timings.get("write_s"),
        "zero_rec_share": run.stats.get("zero_rec_share"),
        "max_first_choice_load": run.stats.get("max_first_choice_load"),
        "over_capacity_share": run.stats.get("over_capacity_share"),
    }


def peer(n_seekers_total: int) -> dict[str, Any]:
    """One SQL query per sampled seeker, as a vendor's matching would run."""
    from django.utils import timezone

    from wengang.matching.arrays import SCOPE_COUNTY, SCOPE_LOCAL, SCOPE_OUT
    from wengang.matching.loading import load_arrays, load_taxonomy

    loaded = load_arrays(SCOPE)
    _tax, index = load_taxonomy()
    codes = {i: code for code, i in index.items()}
    n = len(loaded.seekers)
    sample = sorted(random.Random(SEED).sample(range(n), min(SAMPLE, n)))
    today = timezone.localdate()
    s = loaded.seekers
    queries = []
    for i in sample:
        occ = [codes[int(o)] for o in loaded.taxonomy.compatible(int(s.occupation[i]))]
        area = ""
        if s.scope[i] in (SCOPE_COUNTY, SCOPE_LOCAL):
            area = str(int(s.county[i]))
        elif s.scope[i] != SCOPE_OUT:
            area = str(int(s.province[i]))
        queries.append((occ, int(s.age[i]), float(s.lat[i]), float(s.lon[i]), area))
    started = time.perf_counter()
    found = 0
    with connection.cursor() as cur:
        for occ, age, lat, lon, area in queries:
            placeholders = ", ".join(["%s"] * len(occ)) or "NULL"
            sql = (
                "SELECT id FROM jobs_posting WHERE status = 'published' "  # noqa: S608 (placeholders only)
                f"AND occupation_id IN ({placeholders}) AND headcount > filled_count "
                "AND (end_date IS NULL OR end_date >= %s) "
                "AND (age_min IS NULL OR age_min <= %s) AND (age_max IS NULL OR age_max >= %s) "
                "AND area_code LIKE %s "
                "ORDER BY COALESCE(monthly_max, monthly_min, 0) / 1000.0 "
                "- ((COALESCE(latitude, %s) - %s) * 111.0) * ((COALESCE(latitude, %s) - %s) * 111.0) / 1e3 "
                "- ((COALESCE(longitude, %s) - %s) * 92.0) * ((COALESCE(longitude, %s) - %s) * 92.0) / 1e3 "
                "DESC, id LIMIT 3"
            )
            cur.execute(sql, [*occ, today, age, age, area + "%", lat, lat, lat, lat, lon, lon, lon, lon])
            found += len(cur.fetchall())
    seconds = time.perf_counter() - started
    per_s = len(queries) / seconds if seconds else 0.0
    return {
        "peer_sample": len(queries),
        "peer_sample_s": round(seconds, 3),
        "peer_seekers_per_s": round(per_s, 1),
        "peer_extrapolated_s": round(n_seekers_total / per_s, 1) if per_s else None,
        "peer_rows_found": found,
    }


def run(scale: str) -> dict[str, Any]:
    people, postings = SIZES[scale]
    figures = setup(people, postings)
    _run_row, measured = full_run()
    figures.update(measured)
    figures.update(peer(figures["seekers"]))
    if figures.get("peer_extrapolated_s") and figures.get("engine_s"):
        figures["peer_ratio"] = round(figures["peer_extrapolated_s"] / figures["engine_s"], 1)
    return figures


def summary(f: dict[str, Any], scale: str) -> str:
    total = f.get("full_run_pg_s", f.get("full_run_sqlite_s"))
    return (
        f"match_full at {scale}: {f['seekers']:,} seekers × {f['postings']:,} postings → full run {total} s: "
        f"load {f['load_s']} s, engine {f['engine_s']} s, reasons {f['reasons_s']} s, write "
        f"{f['write_s']} s ({f['recommendations']:,} rows); re-run {f['rerun_s']} s (write "
        f"{f['rerun_write_s']} s); peer {f['peer_seekers_per_s']} seekers/s, ratio {f.get('peer_ratio')}×"
    )
