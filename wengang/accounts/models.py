"""Staff and worker accounts, their sessions, login failures and API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from wengang.core.models import TimeStampedModel

from .roles import STAFF_ROLES, Role, roles_have


def validate_roles(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise ValidationError(_("Roles must be a list of role codes."), code="invalid_roles")
    unknown = sorted(set(value) - set(Role.values))
    if unknown:
        raise ValidationError(
            _("Unknown role: %(roles)s"), params={"roles": ", ".join(unknown)}, code="unknown_role"
        )
    if Role.AUDITOR in value and len(set(value)) > 1:
        raise ValidationError(
            _("The auditor role cannot be combined with any other role in one account."),
            code="auditor_exclusive",
        )


def validate_scope_code(value: str) -> None:
    if not value.isdigit() or len(value) not in (6, 9, 12):
        raise ValidationError(_("Scope must be an area code of 6, 9 or 12 digits."), code="invalid_scope")


class WengangUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        from django.conf import settings

        extra.setdefault("roles", [Role.CITY_ADMIN.value])
        extra.setdefault("scope_code", settings.WENGANG_CITY_CODE)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """An account. ``roles`` is a list of role codes; ``scope_code`` is the area the user sees."""

    roles = models.JSONField(_("roles"), default=list, validators=[validate_roles])
    scope_code = models.CharField(
        _("scope"), max_length=12, blank=True, db_index=True, validators=[validate_scope_code]
    )
    enterprise = models.ForeignKey(
        "employers.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    # A worker's account is their registry record's: set when they first log in with their phone.
    person = models.OneToOneField(
        "registry.Person",
        verbose_name=_("registry person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="worker_account",
    )
    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone_encrypted = models.TextField(_("phone (encrypted)"), blank=True)
    phone_hash = models.CharField(_("phone (keyed hash)"), max_length=64, blank=True, db_index=True)
    totp_secret_encrypted = models.TextField(_("TOTP secret (encrypted)"), blank=True)
    totp_confirmed_at = models.DateTimeField(_("second factor confirmed at"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)

    objects = WengangUserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def can(self, perm: str) -> bool:
        return bool(self.is_active) and roles_have(self.roles, perm)

    @property
    def is_staff_user(self) -> bool:
        return any(role in STAFF_ROLES for role in self.roles)

    @property
    def role_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels.get(r, r)) for r in self.roles]


class LoginFailure(models.Model):
    """One failed login, kept by the username typed, so unknown names lock out exactly like real ones."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.username} @ {self.created_at:%Y-%m-%d %H:%M}"


class UserSession(models.Model):
    """The session keys a user holds, so disabling a user ends every one of them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="session_records")
    session_key = models.CharField(max_length=40, unique=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user_id}:{self.session_key[:6]}…"


class ApiToken(TimeStampedModel):
    """A bearer token for integrations. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
