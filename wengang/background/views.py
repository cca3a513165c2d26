from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from wengang.accounts.permissions import require_perm

from .models import BackgroundTask
from .selectors import task_list


def _get(request: HttpRequest, pk: str) -> BackgroundTask:
    try:
        return task_list(user=request.user).get(pk=pk)
    except (BackgroundTask.DoesNotExist, ValidationError) as exc:
        raise Http404 from exc


@require_perm("tasks.view")
def task_detail_view(request: HttpRequest, pk: str) -> HttpResponse:
    return render(request, "background/task_detail.html", {"task": _get(request, pk)})


@require_perm("tasks.view")
def task_progress_view(request: HttpRequest, pk: str) -> HttpResponse:
    """The fragment htmx polls every second until the task ends."""
    return render(request, "background/_progress.html", {"task": _get(request, pk)})


@require_perm("tasks.view")
def task_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "background/task_list.html", {"tasks": task_list(user=request.user)[:50]})
