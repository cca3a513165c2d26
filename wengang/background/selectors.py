from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import BackgroundTask


def task_list(*, user: Any) -> QuerySet[BackgroundTask]:
    """A user sees the background tasks they started, nobody else's."""
    if not user.is_authenticated:
        return BackgroundTask.objects.none()
    return BackgroundTask.objects.filter(created_by=user)
