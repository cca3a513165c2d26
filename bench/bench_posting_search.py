"""The public job board's search (``/board/``) on seeded postings: p95 of ~200 representative searches.

Postings come from ``wengang.jobs.seed.seed_postings`` (what ``wengang seed-postings`` runs). Each search is
requested anonymously through ``django.test.Client`` — middleware, form, selector, paginator (a COUNT and a
page of 20), area names, template — and timed; ``search_p95_ms`` is the p95 over all of them.

The peer, in the same run: the same searches written the obvious way — ``icontains`` over the joined title,
enterprise name, occupation name and synonyms, ``area_code__startswith`` for the county, then ``count()``
and the page through the ORM, no view or template — so the peer is the naive query's database time alone.

Scale: small = 5,000 postings; city = 50,000.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.db import connection
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.test import Client
from django.utils import timezone

from bench.bench_audit_verify import in_child

NAME = "posting_search"
PEER = (
    "The same searches as naive ORM queries in the same run, without view or template: icontains over the "
    "joined title, enterprise name, occupation name and synonyms, area_code__startswith for the county, "
    "then count() and the page of 20 with select_related."
)
POSTINGS = {"small": 5_000, "city": 50_000}
SEED = 2026
SEARCHES = 200
ROUNDS = 2
WARMUP = 20
KEYWORDS = (
    "焊工",
    "电焊工",
    "普工",
    "保安",
    "厨师",
    "快递",
    "急招",
    "长白班",
    "华宇",
    "纺织",
    "包吃住",
    "电工",
)


def setup() -> dict[str, Any]:
    from wengang.regions.services import luoyang_load

    luoyang_load()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("TRUNCATE jobs_posting CASCADE")
        else:
            cur.execute("DELETE FROM jobs_posting")
    return {}


def seed(count: int) -> dict[str, Any]:
    from wengang.employers.models import Enterprise
    from wengang.jobs.models import Posting
    from wengang.jobs.seed import seed_postings

    started = time.perf_counter()
    created = seed_postings(count, seed=SEED)
    seconds = time.perf_counter() - started
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for table in ("jobs_posting", "employers_enterprise", "jobs_occupation", "regions_region"):
                cur.execute(f"VACUUM ANALYZE {table}")
        else:
            cur.execute("ANALYZE")
    from wengang.portal.selectors import public_postings

    return {
        "postings": Posting.objects.count(),
        "postings_created": created,
        "public_postings": public_postings().count(),
        "enterprises": Enterprise.objects.count(),
        "seed_seconds": round(seconds, 1),
        "seed_postings_per_s": round(created / seconds) if seconds else None,
    }


def searches() -> list[tuple[str, str]]:
    """(category, query string): a fixed, reproducible mix of what people search for."""
    from wengang.portal.selectors import county_choices, occupation_choices

    rng = random.Random(SEED)
    occupations = [code for code, _name in occupation_choices()]
    counties = [code for code, _name in county_choices()] + ["outside"]
    boards = ["both", "lodging", "meals"]
    pays = [3000, 4000, 5000, 6000, 8000]
    out: list[tuple[str, str]] = []
    makers = [
        ("no_filter", lambda: {}),
        ("keyword", lambda: {"q": rng.choice(KEYWORDS)}),
        ("occupation", lambda: {"occupation": rng.choice(occupations)}),
        ("county", lambda: {"county": rng.choice(counties)}),
        ("min_pay", lambda: {"min_pay": rng.choice(pays), "sort": "pay"}),
        ("board", lambda: {"board": rng.choice(boards)}),
        (
            "combined",
            lambda: {
                "q": rng.choice(KEYWORDS[:6]),
                "county": rng.choice(counties),
                "min_pay": rng.choice(pays[:3]),
                "board": rng.choice(boards),
            },
        ),
        ("deep_page", lambda: {"page": rng.choice((10, 50, 100, 200)), "sort": rng.choice(("new", "pay"))}),
    ]
    for i in range(SEARCHES):
        category, make = makers[i % len(makers)]
        out.append((category, urlencode(make())))
    return out


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def _stats(samples: list[float]) -> dict[str, Any]:
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(_pct(samples, 95), 1),
        "max_ms": round(max(samples), 1),
    }


def measure_pages(cases: list[tuple[str, str]]) -> dict[str, Any]:
    client = Client(HTTP_HOST="127.0.0.1")
    for _category, query in cases[:WARMUP]:
        client.get(f"/board/?{query}")
    samples: dict[str, list[float]] = {}
    for _round in range(ROUNDS):
        for category, query in cases:
            started = time.perf_counter()
            response = client.get(f"/board/?{query}")
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"/board/?{query} answered {response.status_code}")
            samples.setdefault(category, []).append(elapsed)
    return {"all": _stats([s for v in samples.values() for s in v])} | {
        k: _stats(v) for k, v in samples.items()
    }


def _naive(params: dict[str, str]) -> Any:
    """The search as one would write it first: joins and icontains everywhere."""
    from wengang.jobs.models import Posting

    today = timezone.localdate()
    qs = Posting.objects.filter(status="published").filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
    if q := params.get("q"):
        qs = qs.filter(
            Q(title__icontains=q)
            | Q(enterprise__name__icontains=q)
            | Q(occupation__name__icontains=q)
            | Q(occupation__synonyms__icontains=q)
        )
    if occupation := params.get("occupation"):
        qs = qs.filter(occupation_id=occupation)
    county = params.get("county")
    if county == "outside":
        qs = qs.exclude(area_code__startswith="4103")
    elif county:
        qs = qs.filter(area_code__startswith=county)
    if pay := params.get("min_pay"):
        qs = qs.filter(Q(monthly_max__gte=int(pay)) | Q(monthly_max__isnull=True, monthly_min__gte=int(pay)))
    if board := params.get("board"):
        qs = qs.filter(
            board__in={"both": ["both"], "lodging": ["lodging", "both"], "meals": ["meals", "both"]}[board]
        )
    pay = Coalesce("monthly_max", "monthly_min").desc(nulls_last=True)
    order = [pay, "-id"] if params.get("sort") == "pay" else ["-published_at", "-id"]
    return qs.select_related("enterprise", "occupation").order_by(*order)


def _filters(params: dict[str, str]) -> Any:
    from wengang.portal.selectors import BoardFilters

    pay = params.get("min_pay")
    return BoardFilters(
        q=params.get("q", ""),
        occupation=params.get("occupation", ""),
        county=params.get("county", ""),
        min_pay=int(pay) if pay else None,
        board=params.get("board", ""),
        sort=params.get("sort", "new"),
    )


def _ours_page(params: dict[str, str], page: int) -> None:
    from wengang.portal.selectors import board_page

    list(board_page(_filters(params), page).object_list)


def _peer_page(params: dict[str, str], page: int) -> None:
    qs = _naive(params)
    total = qs.count()
    offset = min((page - 1) * 20, max(total - 1, 0) // 20 * 20)
    list(qs[offset : offset + 20])


def measure_queries(cases: list[tuple[str, str]]) -> dict[str, Any]:
    """Database time alone: our selector's COUNT + page (ids, then rows), and the naive peer's."""
    out: dict[str, Any] = {}
    for label, fetch in (("ours", _ours_page), ("peer", _peer_page)):
        parsed = []
        for category, query in cases:
            params = dict(parse_qsl(query))
            parsed.append((category, params, int(params.pop("page", "1"))))
        for _category, params, page in parsed[:WARMUP]:
            fetch(params, page)
        samples: dict[str, list[float]] = {}
        for _round in range(ROUNDS):
            for category, params, page in parsed:
                started = time.perf_counter()
                fetch(params, page)
                samples.setdefault(category, []).append((time.perf_counter() - started) * 1000)
        out[label] = {"all": _stats([s for v in samples.values() for s in v])} | {
            k: _stats(v) for k, v in samples.items()
        }
    return out


def explain(query: str) -> dict[str, Any]:
    from wengang.portal.selectors import board_search

    params = dict(parse_qsl(query))
    params.pop("page", None)
    qs = board_search(_filters(params)).values_list("pk", flat=True)
    options: dict[str, Any] = {"analyze": True, "buffers": True} if connection.vendor == "postgresql" else {}
    return {
        "query": query,
        "page_sql": str(qs[:20].query),
        "page_plan": qs[:20].explain(**options).splitlines(),
        "count_plan": qs.order_by().explain(**options).splitlines(),
    }


def run(scale: str) -> dict[str, Any]:
    count = POSTINGS[scale]
    in_child(setup)
    figures: dict[str, Any] = in_child(seed, count)
    cases = in_child(searches)
    pages = in_child(measure_pages, cases)
    queries = in_child(measure_queries, cases)
    worst = max((k for k in pages if k != "all"), key=lambda k: pages[k]["p95_ms"])
    figures |= {
        "searches": len(cases) * ROUNDS,
        "search_p95_ms": pages["all"]["p95_ms"],
        "search_p50_ms": pages["all"]["p50_ms"],
        "search_max_ms": pages["all"]["max_ms"],
        "worst_category": worst,
        "categories": {k: v for k, v in pages.items() if k != "all"},
        "db_p95_ms": queries["ours"]["all"]["p95_ms"],
        "db_categories": {k: v for k, v in queries["ours"].items() if k != "all"},
        "peer_search_p95_ms": queries["peer"]["all"]["p95_ms"],
        "peer_search_p50_ms": queries["peer"]["all"]["p50_ms"],
        "peer_categories": {k: v for k, v in queries["peer"].items() if k != "all"},
        "example_queries": dict(cases[:8]),
    }
    keyword_case = next(q for c, q in cases if c == "combined")
    figures["explain"] = [in_child(explain, q) for q in ("", "sort=pay", keyword_case)]
    return figures


def summary(f: dict[str, Any], scale: str) -> str:
    return (
        f"Job board search ({scale}, {f['postings']:,} postings, {f['public_postings']:,} public, seeded in "
        f"{f['seed_seconds']} s): {f['searches']} searches p95 {f['search_p95_ms']} ms, p50 "
        f"{f['search_p50_ms']} ms through the test client (worst category {f['worst_category']}); our "
        f"queries alone p95 {f['db_p95_ms']} ms; naive icontains/startswith peer p95 "
        f"{f['peer_search_p95_ms']} ms."
    )
