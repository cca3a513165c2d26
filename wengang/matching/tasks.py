"""Background kinds and Celery tasks of matching.

``matching.posting_changed`` and ``matching.person_changed`` are sent by name, on commit, from the jobs and
registry services (which sit below matching and do not import it). They are safe to run twice: each
recomputes the current lists of the people concerned from the database.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from wengang.background.models import BackgroundTask
from wengang.background.services import Progress, task_kind

logger = logging.getLogger(__name__)


@task_kind("matching.run")
def run_match(task: BackgroundTask, progress: Progress) -> dict[str, Any]:
    from .runs import match_run_execute

    run = match_run_execute(run_id=task.params["run_id"], progress=progress)
    return {"run_id": run.pk, "seekers": run.seekers, "recommendations": run.recommendations}


@shared_task(name="matching.posting_changed")
def posting_changed(posting_id: int) -> None:
    """A posting was published, changed, paused, closed or filled: update the lists it concerns."""
    from .incremental import covered, recommendations_refresh_for_posting

    if not covered(posting=True):
        return
    done = recommendations_refresh_for_posting(posting_id)
    logger.info("posting %s: %s seekers re-ranked in %.3f s", posting_id, done.seekers, done.seconds)


@shared_task(name="matching.person_changed")
def person_changed(person_id: int) -> None:
    """A person's skills, certificates, status, intent or village changed: re-rank them alone."""
    from .incremental import recommendations_refresh_for_person

    done = recommendations_refresh_for_person(person_id)
    logger.info("person %s: re-ranked in %.3f s (%s rows)", person_id, done.seconds, done.rows)
