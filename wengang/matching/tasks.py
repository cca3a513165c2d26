"""Background kinds and Celery tasks of matching.

``matching.posting_changed`` and ``matching.person_changed`` are sent by name, on commit, from the jobs and
registry services (which sit below matching and do not import it). They are safe to run twice: each
recomputes the current lists of the people concerned from the database.

They are coalesced per id: sending one marks the id in the cache for a short window and schedules the task
at the end of it; further changes of the same id within the window send nothing, since the task, starting
after them, reads the latest state. The mark expires when the task becomes due, so this holds with a cache
that each process keeps to itself (local memory) too; the task also clears it on starting, which lets a
shared cache queue the next change sooner. ``WENGANG_MATCHING_DEBOUNCE_SECONDS`` (default 10; 0: off).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.core.cache import cache

from wengang.background.models import BackgroundTask
from wengang.background.services import Progress, task_kind

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 10


def debounce_seconds() -> int:
    """The coalescing window (settings ``WENGANG_MATCHING_DEBOUNCE_SECONDS`` override the default)."""
    return int(getattr(settings, "WENGANG_MATCHING_DEBOUNCE_SECONDS", DEBOUNCE_SECONDS))


def pending_key(task_name: str, object_id: int) -> str:
    return f"matching:pending:{task_name}:{object_id}"


class Coalesced(Task):
    """A task on one id that is not sent again while an earlier send for that id is still waiting."""

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        window = debounce_seconds()
        if window > 0 and args and "countdown" not in options and "eta" not in options:
            if not cache.add(pending_key(self.name, int(args[0])), 1, timeout=window):
                logger.debug("%s %s: already queued, coalesced", self.name, args[0])
                return None
            options["countdown"] = window  # due when the mark expires: later changes are read, never lost
        return super().apply_async(args, kwargs, **options)


def _started(task_name: str, object_id: int) -> None:
    """The task is reading the state now: a change from here on must queue it again."""
    cache.delete(pending_key(task_name, object_id))


@task_kind("matching.run")
def run_match(task: BackgroundTask, progress: Progress) -> dict[str, Any]:
    from .runs import match_run_execute

    run = match_run_execute(run_id=task.params["run_id"], progress=progress)
    return {"run_id": run.pk, "seekers": run.seekers, "recommendations": run.recommendations}


@shared_task(name="matching.posting_changed", base=Coalesced)
def posting_changed(posting_id: int) -> None:
    """A posting was published, changed, paused, closed or filled: update the lists it concerns."""
    from .incremental import covered, recommendations_refresh_for_posting

    _started("matching.posting_changed", posting_id)
    if not covered(posting=True):
        return
    done = recommendations_refresh_for_posting(posting_id)
    logger.info("posting %s: %s seekers re-ranked in %.3f s", posting_id, done.seekers, done.seconds)


@shared_task(name="matching.person_changed", base=Coalesced)
def person_changed(person_id: int) -> None:
    """A person's skills, certificates, status, intent or village changed: re-rank them alone."""
    from .incremental import recommendations_refresh_for_person

    _started("matching.person_changed", person_id)
    done = recommendations_refresh_for_person(person_id)
    logger.info("person %s: re-ranked in %.3f s (%s rows)", person_id, done.seconds, done.rows)


@shared_task(name="matching.postings_changed")
def postings_changed(posting_ids: list[int]) -> None:
    """Many postings changed at once (e.g. closed at expiry): one update re-ranks everyone they concern."""
    from .incremental import covered, recommendations_refresh_for_postings

    if not posting_ids or not covered(posting=True):
        return
    done = recommendations_refresh_for_postings(posting_ids)
    logger.info("%s postings: %s seekers re-ranked in %.3f s", len(posting_ids), done.seekers, done.seconds)
