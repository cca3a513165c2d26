"""Periodic work of the 131 service. Thin: call a service (safe to run twice; see its docstring)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .services import cases_open_automatically


@shared_task(name="assistance.open_priority_cases")
def open_priority_cases(scope_code: str = "") -> dict[str, Any]:
    """Open cases for newly monitored households and three-without people (daily on Celery beat)."""
    return cases_open_automatically(scope_code=scope_code)
