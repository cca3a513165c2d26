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

from . import reasons
from .engine import Context, Recommendations, make_context, spread, top_candidates, top_postings
from .loading import Loaded, _prefix_q, load_arrays
from .models import MatchRun, Recommendation, RunStatus
from .scoring import pair_terms
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


def _distance_phrase(loaded: Loaded, first: str, s: int, j: int, km: float, in_destination: bool) -> str:
    """Where only county centres are known, say so rather than "less than 1 km from home"."""
    if in_destination or not loaded.seeker_coarse[s]:
        return first
    if loaded.seekers.county[s] == loaded.postings.county[j]:
        return "在您所在的县（区）内"
    return f"距家约 {round(km):d} 公里（按县区中心估算）"


def _rows(run: MatchRun, loaded: Loaded, ctx: Context, recs: Recommendations) -> list[Recommendation]:
    """Recommendation rows with reasons, computed for all pairs at once."""
    s_idx, rank_idx = np.nonzero(recs.index >= 0)
    p_idx = recs.index[s_idx, rank_idx]
    if not len(s_idx):
        return []
    t = pair_terms(ctx.seekers, ctx.postings, ctx.weights, ctx.prep, ctx.compat, s_idx, p_idx)
    post = ctx.postings
    last = ctx.seekers.last_income
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
        if phrases:
            phrases[0] = _distance_phrase(loaded, phrases[0], s, j, e.km, e.in_destination)
        out.append(
            Recommendation(
                run=run,
                person_id=int(loaded.person_ids[s]),
                posting_id=int(loaded.posting_ids[j]),
                rank=int(rank_idx[n]) + 1,
                score=round(float(recs.score[s, rank_idx[n]]), 3),
                reasons=reasons.SEP.join(phrases)[:300],
                terms={k: round(v, 2) for k, v in terms.items()} | {"km": round(e.km, 1)},
                is_current=True,
            )
        )
    return out


def _compute(
    loaded: Loaded, weights: Weights
) -> tuple[Context | None, Recommendations | None, dict[str, Any]]:
    """Rank and spread (None when there is nobody or nothing to match)."""
    if not len(loaded.seekers) or not len(loaded.postings):
        return None, None, {}
    ctx = make_context(loaded.seekers, loaded.postings, loaded.taxonomy, weights)
    recs = top_postings(loaded.seekers, loaded.postings, loaded.taxonomy, k=K, context=ctx)
    candidates = top_candidates(loaded.seekers, loaded.postings, loaded.taxonomy, k=K, context=ctx)
    result = spread(recs, ctx, candidates=candidates)
    return ctx, result.recommendations, result.stats


def _store(run: MatchRun, rows: list[Recommendation], progress: Progress | None) -> None:
    """Replace the area's current recommendations with ``rows`` in one transaction."""
    prefixes = area_prefixes(run.scope_code)
    with transaction.atomic():
        Recommendation.objects.filter(is_current=True).filter(person__in=_person_pks(prefixes)).update(
            is_current=False
        )
        for start in range(0, len(rows), BATCH):
            Recommendation.objects.bulk_create(rows[start : start + BATCH], batch_size=BATCH)
            if progress is not None:
                progress.update(done=min(start + BATCH, len(rows)), total=len(rows))


def _without_dismissed(run: MatchRun, rows: list[Recommendation]) -> list[Recommendation]:
    """Drop the pairs a worker marked “不感兴趣” on their pages: never recommended to them again."""
    if not rows:
        return rows
    from django.apps import apps  # the worker pages sit above matching; read their table by name

    dismissal = apps.get_model("workers", "Dismissal")
    dismissed = set(
        dismissal.objects.filter(
            _prefix_q("person__village_code", area_prefixes(run.scope_code))
        ).values_list("person_id", "posting_id")
    )
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
        ctx, recs, stats = _compute(loaded, weights)
        timings["engine_s"] = round(time.perf_counter() - mark, 3)
        mark = time.perf_counter()
        rows = _rows(run, loaded, ctx, recs) if ctx is not None and recs is not None else []
        rows = _without_dismissed(run, rows)
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
