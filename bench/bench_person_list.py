"""The registry list page (``/registry/``) with three filters, on a seeded population.

People come from ``wengang.registry.seed.seed_population`` (what ``manage.py seed`` runs). The page is then
requested through ``django.test.Client`` — middleware, view, form, selector, the page (51 rows, then a count
capped at 10,000 and bounded in time), the audit row the view writes, the template — as the city admin
(scope 410300) and as a county admin (嵩县, 410329), for several three-filter combinations; p50 and p95 of
each, and ``list_p95_ms`` is the worst. ``deep_cases`` times a page 20,000 rows down by its keyset cursor.

The peer, in the same run: what the page ran before keyset pages and the capped count — a full ``COUNT(*)``
and the first 50 rows with their households through the ORM, no view, template or audit write — and, for
the deep page, the same 50 rows fetched with ``OFFSET 20001``.

Scale: small = 100,000 people; city = 2,500,000 wanted, seeded for at most ``BENCH_SEED_BUDGET_S`` seconds
(default 300): batches already committed stay, so the population is the largest that fits the budget and the
figures name it. Nothing is extrapolated. ``BENCH_KEEP_PEOPLE=1`` keeps the population an earlier run seeded
(the seed is deterministic and resumable, so it only tops it up): a 2,500,000-person population can be built
over several runs, and a re-measure after a code change costs no reseed.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from django.db import connection
from django.test import Client

from bench.bench_audit_verify import in_child
from wengang.registry.models import EmploymentEvent, Household, IntentRecord, LedgerImport, Person

NAME = "person_list"
PEER = (
    "The same page's two queries through the ORM in the same run, without middleware, view, template or "
    "audit write: person_list(user, filters).count() and list(qs[:50]) with households."
)
PEOPLE = {"small": 100_000, "city": 2_500_000}
SEED = 2026
BACKEND = "wengang.accounts.backends.StaffBackend"
REQUESTS = 50
WARMUP = 2
MAX_SECONDS_PER_CASE = 25  # fewer than REQUESTS requests if one case would take longer (the count is kept)
QUERIES = {
    "status+age+poverty": "status=employed_out_of_province&age_min=25&age_max=45&poverty_category=general",
    "status+intent+three_without": "status=unemployed_seeking&intent=go_out&three_without=0",
    "poverty+intent+age": "poverty_category=out_of_poverty&intent=go_out&age_min=16&age_max=30",
}
DEEP_ROW = 20_000
USERS = {"city_admin": ("bench_city", "410300"), "county_admin": ("bench_county", "410329")}


class BudgetSpent(Exception):
    pass


def setup() -> None:
    from wengang.accounts.models import User
    from wengang.accounts.tests.factories import make_user
    from wengang.regions.services import luoyang_load

    luoyang_load()
    for role, (username, scope) in USERS.items():
        if not User.objects.filter(username=username).exists():  # kept from an earlier run
            make_user(username, role, scope)


def empty_registry() -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            tables = [
                m._meta.db_table for m in (EmploymentEvent, IntentRecord, Household, Person, LedgerImport)
            ]
            cur.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            cur.execute(f"UPDATE {Household._meta.db_table} SET head_id = NULL")  # noqa: S608
            for model in (EmploymentEvent, IntentRecord, Person, Household, LedgerImport):
                cur.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608


def seed(wanted: int, budget: float) -> dict[str, Any]:
    from wengang.registry.seed import seed_population

    keep = os.environ.get("BENCH_KEEP_PEOPLE") == "1"
    before = Person.objects.count() if keep else 0
    if not keep:
        empty_registry()
    started = time.perf_counter()
    state = {"done": 0}

    def progress(done: int, _wanted: int) -> None:
        state["done"] = done
        if time.perf_counter() - started > budget:
            raise BudgetSpent

    try:
        seed_population(persons=wanted, seed=SEED, progress=progress)
        stopped = False
    except BudgetSpent:
        stopped = True
    seconds = time.perf_counter() - started
    people = Person.objects.count()
    analyze_started = time.perf_counter()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for model in (Person, Household, EmploymentEvent, IntentRecord):
                cur.execute(f"VACUUM ANALYZE {model._meta.db_table}")
        else:
            cur.execute("ANALYZE")
    return {
        "people": people,
        "people_kept_from_earlier_runs": before,
        "people_wanted": wanted,
        "seed_stopped_by_budget": stopped,
        "seed_seconds": round(seconds, 1),
        "seed_people_per_s": round((people - before) / seconds) if seconds else 0,
        "analyze_seconds": round(time.perf_counter() - analyze_started, 1),
        "households": Household.objects.count(),
    }


def _pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def _stats(samples: list[float]) -> dict[str, Any]:
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(_pct(samples, 95), 1),
        "max_ms": round(max(samples), 1),
    }


def _time_case(fn: Any) -> list[float]:
    for _ in range(WARMUP):
        fn()
    samples: list[float] = []
    case_started = time.perf_counter()
    while len(samples) < REQUESTS and (
        len(samples) < 10 or time.perf_counter() - case_started < MAX_SECONDS_PER_CASE
    ):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure_pages() -> dict[str, Any]:
    from django.http import QueryDict

    from wengang.accounts.models import User
    from wengang.registry.forms import PersonFilterForm
    from wengang.registry.selectors import person_list
    from wengang.registry.views import _filters

    out: dict[str, Any] = {"cases": {}, "peer_cases": {}, "deep_cases": {}}
    for role, (username, _scope) in USERS.items():
        user = User.objects.get(username=username)
        client = Client(HTTP_HOST="127.0.0.1")  # in the default WENGANG_ALLOWED_HOSTS
        client.force_login(user, backend=BACKEND)
        for label, query in QUERIES.items():
            url = f"/registry/?{query}"

            def page(url: str = url, client: Client = client) -> None:
                response = client.get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}")

            key = f"{role}:{label}"
            out["cases"][key] = _stats(_time_case(page))
            form = PersonFilterForm(QueryDict(query))
            qs = person_list(user=user, filters=_filters(form))
            out["cases"][key]["matches"] = qs.count()

            def queries(qs: Any = qs) -> None:
                qs.count()
                list(qs[:50])

            out["peer_cases"][key] = _stats(_time_case(queries))
        out["deep_cases"] |= _deep(client, user, role)
    return out


def _deep(client: Client, user: Any, role: str) -> dict[str, Any]:
    """A page DEEP_ROW rows down the first query's list: by keyset cursor through the page (what its "next"
    links carry), against the same rows fetched with OFFSET (the old paginator's way)."""
    from django.http import QueryDict

    from wengang.registry.forms import PersonFilterForm
    from wengang.registry.selectors import cursor_of, person_list
    from wengang.registry.views import _filters

    label, query = next(iter(QUERIES.items()))
    qs = person_list(user=user, filters=_filters(PersonFilterForm(QueryDict(query))))
    row = qs[DEEP_ROW : DEEP_ROW + 1].first()
    if row is None:
        return {}
    url = f"/registry/?{query}&after={cursor_of(row)}"

    def page() -> None:
        if client.get(url).status_code != 200:
            raise RuntimeError(url)

    def offset() -> None:
        list(qs[DEEP_ROW + 1 : DEEP_ROW + 51])

    return {
        f"{role}:{label}:after_row_{DEEP_ROW}": _stats(_time_case(page)),
        f"peer_offset:{role}:{label}:rows_{DEEP_ROW + 1}_{DEEP_ROW + 50}": _stats(_time_case(offset)),
    }


def explain(role: str, label: str) -> dict[str, Any]:
    from django.http import QueryDict

    from wengang.accounts.models import User
    from wengang.registry.forms import PersonFilterForm
    from wengang.registry.selectors import person_list
    from wengang.registry.views import _filters

    user = User.objects.get(username=USERS[role][0])
    qs = person_list(user=user, filters=_filters(PersonFilterForm(QueryDict(QUERIES[label]))))
    options: dict[str, Any] = {"analyze": True, "buffers": True} if connection.vendor == "postgresql" else {}
    return {
        "case": f"{role}:{label}",
        "page_sql": str(qs[:50].query),
        "page_plan": qs[:50].explain(**options).splitlines(),
        "count_plan": qs.order_by().explain(**options).splitlines(),
    }


def run(scale: str) -> dict[str, Any]:
    wanted = PEOPLE[scale]
    budget = float(os.environ.get("BENCH_SEED_BUDGET_S", "300")) if scale == "city" else 1e9
    in_child(setup)
    figures: dict[str, Any] = in_child(seed, wanted, budget)
    pages = in_child(measure_pages)
    worst = max(pages["cases"], key=lambda k: pages["cases"][k]["p95_ms"])
    worst_peer = max(pages["peer_cases"].values(), key=lambda c: c["p95_ms"])
    figures |= {
        "list_p95_ms": pages["cases"][worst]["p95_ms"],
        "list_p50_ms": pages["cases"][worst]["p50_ms"],
        "worst_case": worst,
        "peer_list_p95_ms": worst_peer["p95_ms"],
        "peer_list_p50_ms": worst_peer["p50_ms"],
        "cases": pages["cases"],
        "peer_cases": pages["peer_cases"],
        "deep_cases": pages["deep_cases"],
        "queries": QUERIES,
    }
    role, label = worst.split(":", 1)
    figures["explain"] = in_child(explain, role, label)
    return figures


def summary(f: dict[str, Any], scale: str) -> str:
    seeded = f"{f['people']:,} people" + (
        " (seed stopped by its time budget)" if f["seed_stopped_by_budget"] else ""
    )
    return (
        f"Registry list ({scale}, {seeded}, seeded in {f['seed_seconds']} s): worst three-filter case "
        f"{f['worst_case']} p95 {f['list_p95_ms']} ms (p50 {f['list_p50_ms']} ms) through the test client; "
        f"its two queries alone (peer) p95 {f['peer_list_p95_ms']} ms."
    )
