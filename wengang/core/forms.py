"""Form helpers shared by every app's views."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


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
