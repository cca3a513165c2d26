"""Match runs: start one for an area (a background task), execute it, and store its recommendations.

A run reads the area's job seekers and every open posting (:mod:`.loading`), ranks the top 3 postings of
each seeker, spreads first choices over the postings' places (:func:`.engine.spread`), and writes the
recommendations with their Chinese reasons. In the same transaction the area's previous current
recommendations stop being current, so a page never shows half of two runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import Counter
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.accounts.scoping import area_prefixes, code_in_scope
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.background.services import Progress, background_task_start
from wengang.regions.models import Region

from . import storing
from .engine import Context, Recommendations, make_context, spread, top_candidates, top_postings
from .loading import Loaded, _prefix_q, load_arrays
from .models import MatchRun, Recommendation, RunStatus
from .weights import Weights

BATCH = 5000
K = 3
STALE_AFTER = 3600  # seconds after which a run that never finished no longer blocks a new one


def match_weights() -> Weights:
    """The weights in force (settings ``WENGANG_MATCHING_WEIGHTS`` override the defaults)."""
    from django.conf import settings

    return Weights(**getattr(settings, "WENGANG_MATCHING_WEIGHTS", {}))


def _check_start(actor: Any, scope_code: str) -> None:
    if not actor.can("matching.run") or not code_in_scope(actor, scope_code):
        raise PermissionDenied(_("You may start match runs only for your own area."))
    if not Region.objects.filter(code=scope_code).exists():
        raise ValidationError({"scope_code": _("Area code %(code)s is unknown.") % {"code": scope_code}})
    since = timezone.now() - dt.timedelta(seconds=STALE_AFTER)
    busy = MatchRun.objects.filter(
        status__in=[RunStatus.QUEUED, RunStatus.RUNNING], created_at__gte=since
    ).values_list("scope_code", flat=True)
    for other in busy:
        if other.startswith(scope_code) or scope_code.startswith(other):
            raise ValidationError(
                _("A match run for %(code)s is already in progress; wait for it to finish.") % {"code": other}
            )


def match_run_create(*, actor: Any, scope_code: str, request: HttpRequest | None = None) -> MatchRun:
    """Record a queued run (audited); ``match_run_start`` also schedules it, the command runs it in place."""
    with transaction.atomic():
        run = MatchRun.objects.create(
            scope_code=scope_code,
            weights=dataclasses.asdict(match_weights()),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            action=Action.CREATE,
            actor=actor,
            object_type="matching.run",
            object_id=run.pk,
            changes={"scope_code": scope_code},
            request=request,
        )
    return run


def match_run_start(*, actor: Any, scope_code: str, request: HttpRequest | None = None) -> MatchRun:
    """Start a full match run for an area in the user's scope; progress shows on the task's page."""
    scope_code = (scope_code or "").strip()
    _check_start(actor, scope_code)
    with transaction.atomic():
        run = match_run_create(actor=actor, scope_code=scope_code, request=request)
        run.task = background_task_start(kind="matching.run", user=actor, params={"run_id": run.pk})
        run.save(update_fields=["task"])
    return run


def _columns(loaded: Loaded, ctx: Context | None, recs: Recommendations | None) -> storing.Columns:
    """The rows of ``recs`` with their reasons (all pairs at once, see :mod:`.storing`)."""
    if ctx is None or recs is None:
        return storing.Columns.empty()
    return storing.build(loaded, ctx, recs)


def _rows(run: MatchRun, loaded: Loaded, ctx: Context, recs: Recommendations) -> list[Recommendation]:
    """Recommendation instances with reasons (incremental updates: a few people at a time)."""
    return storing.instances(run.pk, storing.build(loaded, ctx, recs))


def _compute(
    loaded: Loaded, weights: Weights, timings: dict[str, float] | None = None
) -> tuple[Context | None, Recommendations | None, dict[str, Any]]:
    """Rank and spread (None when there is nobody or nothing to match); each step's seconds go in
    ``timings`` (``rank_s``, ``candidates_s``, ``spread_s``)."""
    if not len(loaded.seekers) or not len(loaded.postings):
        return None, None, {}
    clock = {} if timings is None else timings
    mark = time.perf_counter()
    ctx = make_context(loaded.seekers, loaded.postings, loaded.taxonomy, weights)
    recs = top_postings(loaded.seekers, loaded.postings, loaded.taxonomy, k=K, context=ctx)
    clock["rank_s"], mark = round(time.perf_counter() - mark, 3), time.perf_counter()
    candidates = top_candidates(loaded.seekers, loaded.postings, loaded.taxonomy, k=K, context=ctx)
    clock["candidates_s"], mark = round(time.perf_counter() - mark, 3), time.perf_counter()
    result = spread(recs, ctx, candidates=candidates)
    clock["spread_s"] = round(time.perf_counter() - mark, 3)
    return ctx, result.recommendations, result.stats


def _store(run: MatchRun, cols: storing.Columns, progress: Progress | None) -> None:
    """Replace the area's recommendations with ``cols`` in one transaction. The rows they replace are
    deleted, not kept: flipping millions of rows to "not current" rewrote every row and index entry (the
    slowest part of a nightly run at city scale), and a row per person and run would grow the table by
    millions a night. What a run recommended stays in its statistics; what reached a person, in the messages,
    referrals and 131 records."""
    prefixes = area_prefixes(run.scope_code)

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress.update(done=done, total=total)

    with transaction.atomic():
        Recommendation.objects.filter(person__in=_person_pks(prefixes)).delete()
        storing.write(run.pk, cols, report)
        storing.drop_vanished(run.pk, cols)


def _dismissed(run: MatchRun) -> set[tuple[int, int]]:
    """The (person, posting) pairs a worker marked “不感兴趣” on their pages: never recommended again."""
    from django.apps import apps  # the worker pages sit above matching; read their table by name

    dismissal = apps.get_model("workers", "Dismissal")
    return set(
        dismissal.objects.filter(
            _prefix_q("person__village_code", area_prefixes(run.scope_code))
        ).values_list("person_id", "posting_id")
    )


def _without_dismissed(run: MatchRun, rows: list[Recommendation]) -> list[Recommendation]:
    """Drop the pairs a worker marked “不感兴趣” on their pages: never recommended to them again."""
    if not rows:
        return rows
    dismissed = _dismissed(run)
    return [r for r in rows if (r.person_id, r.posting_id) not in dismissed] if dismissed else rows


def _person_pks(prefixes: list[str]) -> Any:
    from wengang.registry.models import Person

    return Person.objects.filter(_prefix_q("village_code", prefixes)).values("pk")


def match_run_execute(*, run_id: int, progress: Progress | None = None) -> MatchRun:
    """Run a queued run to the end (safe to call twice: a run already claimed or finished is returned)."""
    claimed = MatchRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    run = MatchRun.objects.get(pk=run_id)
    if not claimed:
        return run
    timings: dict[str, float] = {}
    try:
        weights = Weights(**run.weights) if run.weights else match_weights()
        started = time.perf_counter()
        if progress is not None:
            progress.update(done=0, message=_("Reading job seekers and postings"), force=True)
        loaded = load_arrays(run.scope_code)
        timings["load_s"] = round(time.perf_counter() - started, 3)
        if progress is not None:
            progress.update(done=0, message=_("Ranking postings"), force=True)
        mark = time.perf_counter()
        ctx, recs, stats = _compute(loaded, weights, timings)
        timings["engine_s"] = round(time.perf_counter() - mark, 3)
        mark = time.perf_counter()
        rows = _columns(loaded, ctx, recs)
        if len(rows):
            rows = storing.without_pairs(rows, _dismissed(run))
        timings["reasons_s"] = round(time.perf_counter() - mark, 3)
        if progress is not None:
            progress.update(done=0, total=len(rows), message=_("Saving recommendations"), force=True)
        mark = time.perf_counter()
        _store(run, rows, progress)
        timings["write_s"] = round(time.perf_counter() - mark, 3)
        timings["total_s"] = round(time.perf_counter() - started, 3)
    except Exception as exc:
        MatchRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), message=str(exc)[:500], timings=timings
        )
        raise
    per_seeker = (recs.index >= 0).sum(axis=1) if recs is not None else np.zeros(len(loaded.seekers), int)
    by_county: Counter[str] = Counter()
    for area, n in zip(loaded.person_areas, per_seeker.tolist(), strict=True):
        by_county[area[:6]] += n
    stats = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in stats.items()}
    stats.update(
        by_county=dict(sorted(by_county.items())),
        coordinates=loaded.precision,
        seekers_without=int((per_seeker == 0).sum()),
    )
    MatchRun.objects.filter(pk=run_id).update(
        status=RunStatus.DONE,
        finished_at=timezone.now(),
        seekers=len(loaded.seekers),
        postings=len(loaded.postings),
        recommendations=len(rows),
        stats=stats,
        timings=timings,
        notes=loaded.notes,
    )
    run.refresh_from_db()
    return run
