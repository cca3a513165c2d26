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
