"""Guards for the worker's pages: a logged-in worker account (never a staff one), linked to its person."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, overload
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from wengang.registry.models import Person

from .auth_services import is_worker_account

View = Callable[..., HttpResponse]


def staff_refusal(request: HttpRequest) -> HttpResponse:
    """A staff session on a worker page: tell them to log out first (the pages are for workers only)."""
    return render(request, "workers/login_staff.html", status=403)


@overload
def worker_required(view: View) -> View: ...
@overload
def worker_required(*, allow_unlinked: bool = False) -> Callable[[View], View]: ...


def worker_required(view: View | None = None, *, allow_unlinked: bool = False) -> Any:
    """Logged in with a worker account (else to /m/login/), linked to a registry person unless the view
    allows unlinked accounts (else to /m/link/). A staff session is refused with a page saying so."""

    def decorator(inner: View) -> View:
        @wraps(inner)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                login_url = reverse("workers:login")
                return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
            if not is_worker_account(user):
                return staff_refusal(request)
            if not allow_unlinked and getattr(user, "person_id", None) is None:
                return redirect("workers:link")
            return inner(request, *args, **kwargs)

        wrapped.worker_only = True  # type: ignore[attr-defined]
        return wrapped

    if view is not None:
        return decorator(view)
    return decorator


def current_person(request: HttpRequest) -> Person | None:
    """The registry person of the logged-in worker (None when not a linked worker)."""
    user = request.user
    if not is_worker_account(user):
        return None
    person: Person | None = getattr(user, "person", None)
    return person
