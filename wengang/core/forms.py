"""Form helpers shared by every app's views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError

T = TypeVar("T")


def add_service_errors(form: Any, exc: ValidationError, *, fallback: str | None = None) -> None:
    """Show a service's ValidationError on the form: per field where it names one, else on ``fallback``.

    ``fallback`` is the field a plain (field-less) error belongs to, when that field is on the form; otherwise
    the error is shown above the form.
    """
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(fallback if fallback in form.fields else None, exc.messages)


def call_service(
    form: Any, service: Callable[..., T], /, *, fallback: str | None = None, **kwargs: Any
) -> tuple[bool, T | None]:
    """Run ``service(**kwargs)`` for a form: its refusals become the form's errors.

    Returns ``(True, result)``, or ``(False, None)`` after a ValidationError (shown per field, see
    :func:`add_service_errors`) or a PermissionDenied (shown above the form).
    """
    try:
        return True, service(**kwargs)
    except ValidationError as exc:
        add_service_errors(form, exc, fallback=fallback)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    return False, None
