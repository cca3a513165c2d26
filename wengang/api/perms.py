from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja.errors import HttpError


def require(request: Any, perm: str) -> Any:
    """Return the authenticated user, or raise 403 if their roles lack ``perm``."""
    user = request.auth
    if not user.can(perm):
        raise HttpError(403, _("Your roles do not allow this."))
    return user


def read_body(request: Any, schema: Any, hint: str | None = None) -> Any:
    """The JSON body as ``schema``, read after the role and scope checks (so a caller without the right
    sees 403 or 404 before any 400). ``hint`` is the 400 message; by default it lists the schema's fields."""
    try:
        return schema.model_validate_json(request.body or b"{}")
    except ValueError as exc:
        if hint is None:
            fields = "、".join(f"“{name}”" for name in schema.model_fields)
            hint = _("The body must be JSON with the fields %(fields)s.") % {"fields": fields}
        raise HttpError(400, hint) from exc


def body_schema(schema: Any) -> dict[str, Any]:
    """``openapi_extra`` documenting a body that the handler reads itself with :func:`read_body`."""
    return {"requestBody": {"content": {"application/json": {"schema": schema.model_json_schema()}}}}
