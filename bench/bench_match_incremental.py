"""Incremental match updates from the database (``wengang.matching.incremental``) after a full run.

Seeds people in 伊川县 (``wengang.registry.seed.seed_population``) and postings
(``wengang.jobs.seed.seed_postings``), runs a full match run for the county, then times what the Celery
task does after one posting changed: read the area's seekers and the open postings, find those the posting
reaches or who listed it, re-rank them with the engine, and replace their current recommendations.

- ``incremental_s`` — the median over 5 published postings (sampled) whose pay changed
  (``incremental_max_s`` the worst); ``incremental_seekers`` — how many seekers one such update re-ranked;
- ``incremental_most_listed_s`` — the same for the posting listed by the most people (the worst case: all
  their lists are rewritten); ``incremental_new_posting_s`` — a new posting published;
  ``incremental_close_s`` — that most-listed posting closed; ``incremental_person_s`` — one person stopped
  seeking;
- ``full_run_s`` — the full run of the county before (for comparison), with its seekers and postings.

Scale: small = 100,000 people × 5,000 postings; city = 2,500,000 × 50,000 (not run here).
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

NAME = "match_incremental"
PEER = "The full match run of the same area, which is what an update would cost without incremental updates."
SIZES = {"small": (100_000, 5_000), "city": (2_500_000, 50_000)}
SCOPE = "410329"
SEED = 2026


def setup(people: int, postings: int) -> dict[str, Any]:
    from wengang.jobs.seed import seed_postings
    from wengang.regions.services import luoyang_load
    from wengang.registry.seed import seed_population

    luoyang_load()
    started = time.perf_counter()
    seed_population(persons=people, seed=SEED, scope=SCOPE)
    seed_postings(postings, seed=SEED)
    return {"seed_s": round(time.perf_counter() - started, 1)}


def measure() -> dict[str, Any]:
    from django.db.models import Count
    from django.utils import timezone

    from wengang.jobs.choices import PostingStatus
    from wengang.jobs.models import Posting
    from wengang.matching.incremental import (
        recommendations_refresh_for_person,
        recommendations_refresh_for_posting,
    )
    from wengang.matching.models import Recommendation
    from wengang.matching.runs import match_run_create, match_run_execute
    from wengang.registry.models import Person

    started = time.perf_counter()
    run = match_run_execute(run_id=match_run_create(actor=None, scope_code=SCOPE).pk)
    full_s = time.perf_counter() - started
    out: dict[str, Any] = {
        "seekers": run.seekers,
        "postings": run.postings,
        "recommendations": run.recommendations,
        "full_run_s": round(full_s, 3),
        "full_run_timings": run.timings,
    }

    most = list(
        Recommendation.objects.filter(is_current=True)
        .values("posting_id")
        .annotate(n=Count("id"))
        .order_by("-n", "posting_id")
        .values_list("posting_id", flat=True)[:1]
    )
    published = list(
        Posting.objects.filter(status=PostingStatus.PUBLISHED).order_by("pk").values_list("pk", flat=True)
    )
    sample = random.Random(SEED).sample(published, 5)
    times, seekers = [], []
    for pk in sample:
        Posting.objects.filter(pk=pk).update(monthly_min=5500, monthly_max=7500, updated_at=timezone.now())
        done = recommendations_refresh_for_posting(pk)
        times.append(done.seconds)
        seekers.append(done.seekers)
    out.update(
        incremental_s=round(statistics.median(times), 3),
        incremental_max_s=round(max(times), 3),
        incremental_seekers=int(statistics.median(seekers)),
    )
    Posting.objects.filter(pk=most[0]).update(monthly_min=5600, monthly_max=7600, updated_at=timezone.now())
    done = recommendations_refresh_for_posting(most[0])
    out.update(incremental_most_listed_s=done.seconds, incremental_most_listed_seekers=done.seekers)

    template = Posting.objects.filter(status=PostingStatus.PUBLISHED).order_by("pk").first()
    assert template is not None
    template.pk = None
    template.title = "新发布的岗位"
    template.monthly_min, template.monthly_max = 9000, 12000
    template.filled_count = 0
    template.save()
    done = recommendations_refresh_for_posting(template.pk)
    out.update(incremental_new_posting_s=done.seconds, incremental_new_posting_seekers=done.seekers)

    Posting.objects.filter(pk=most[0]).update(status=PostingStatus.CLOSED)
    done = recommendations_refresh_for_posting(most[0])
    out.update(incremental_close_s=done.seconds, incremental_close_seekers=done.seekers)

    person = Recommendation.objects.filter(is_current=True).values_list("person_id", flat=True).first()
    Person.objects.filter(pk=person).update(status="not_seeking")
    done = recommendations_refresh_for_person(person)
    out.update(incremental_person_s=done.seconds)
    return out


def run(scale: str) -> dict[str, Any]:
    people, postings = SIZES[scale]
    figures = setup(people, postings)
    figures.update(measure())
    return figures


def summary(f: dict[str, Any], scale: str) -> str:
    return (
        f"match_incremental at {scale}: {f['seekers']:,} seekers × {f['postings']:,} postings; one posting "
        f"changed → {f['incremental_s']} s (worst of 5 {f['incremental_max_s']} s, "
        f"{f['incremental_seekers']} seekers re-ranked); most-listed posting "
        f"{f['incremental_most_listed_s']} s; new posting {f['incremental_new_posting_s']} s; closed "
        f"{f['incremental_close_s']} s; one person {f['incremental_person_s']} s; "
        f"full run {f['full_run_s']} s"
    )
