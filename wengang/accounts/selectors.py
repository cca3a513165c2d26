"""Reads on accounts, always scoped."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import User
from .roles import Role
from .scoping import area_q


def user_list(*, user: User, q: str = "", role: str = "", active: str = "") -> QuerySet[User]:
    """Accounts an admin may see: those whose scope lies inside the admin's own."""
    if not user.can("users.view"):
        return User.objects.none()
    qs = User.objects.filter(area_q(user, "scope_code")).select_related("enterprise")
    if Role.CITY_ADMIN not in user.roles:
        # County admins do not see the auditors (三权分立) nor accounts with a wider scope.
        qs = qs.exclude(roles__icontains=f'"{Role.AUDITOR.value}"')
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    if role:
        qs = qs.filter(roles__icontains=f'"{role}"')
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs.order_by("username")


def user_get(*, user: User, pk: Any) -> User:
    return user_list(user=user).get(pk=pk)
