"""Authentication backend: our own login views do the checks, this only restores users from sessions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class StaffBackend(ModelBackend):
    """Session users must still be active; inactive accounts are logged out on their next request."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        # Logins go through wengang.accounts.services (lockout, audit, second factor), never through here.
        return None
