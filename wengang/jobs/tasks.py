"""Periodic work on labour demand. Thin: call a service."""

from __future__ import annotations

from celery import shared_task

from .services import postings_close_expired


@shared_task(name="jobs.close_expired_postings")
def close_expired_postings() -> int:
    """Close open postings whose end date has passed (hourly on Celery beat)."""
    return postings_close_expired()
