"""Every write on accounts: login and its failures, second factor, user creation and disabling, tokens.

Each service changes the rows and writes the audit event in one transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth import login as django_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.audit.models import Action, Result
from wengang.audit.services import audit_record, client_ip
from wengang.core import crypto
from wengang.core.masking import mask_phone
from wengang.core.text import normalize_code

from .models import ApiToken, LoginFailure, User, UserSession, validate_roles, validate_scope_code
from .roles import STAFF_ROLES, Role, grantable_by
from .scoping import code_in_scope

# --- login -----------------------------------------------------------------------------------------------


def _normal_username(username: str) -> str:
    return username.strip().lower()[:150]


def login_is_locked(*, username: str) -> bool:
    """True when the name typed has failed too often lately. Unknown names lock out the same way."""
    since = timezone.now() - timedelta(minutes=settings.WENGANG_LOCKOUT_MINUTES)
    failures = LoginFailure.objects.filter(username=_normal_username(username), created_at__gte=since).count()
    return failures >= settings.WENGANG_LOCKOUT_FAILURES


def login_failure_record(*, username: str, request: HttpRequest | None, stage: str = "password") -> bool:
    """Record a failed attempt; returns True if this failure locked the account name."""
    with transaction.atomic():
        LoginFailure.objects.create(username=_normal_username(username), ip=client_ip(request))
        audit_record(
            action=Action.LOGIN_FAILED,
            actor_username=_normal_username(username),
            object_type="accounts.user",
            changes={"stage": stage},
            request=request,
            result=Result.FAILURE,
        )
        locked = login_is_locked(username=username)
        if locked:
            audit_record(
                action=Action.LOCKOUT,
                actor_username=_normal_username(username),
                object_type="accounts.user",
                request=request,
                result=Result.DENIED,
                changes={"minutes": settings.WENGANG_LOCKOUT_MINUTES},
            )
    return locked


@dataclass(frozen=True)
class PasswordCheck:
    user: User | None
    locked: bool


def login_check_password(*, username: str, password: str, request: HttpRequest | None) -> PasswordCheck:
    """First login step for staff. Failure says nothing about whether the name exists."""
    if login_is_locked(username=username):
        audit_record(
            action=Action.LOGIN_FAILED,
            actor_username=_normal_username(username),
            object_type="accounts.user",
            changes={"stage": "locked"},
            request=request,
            result=Result.DENIED,
        )
        return PasswordCheck(None, True)
    user = User.objects.filter(username__iexact=username.strip()).first()
    if user is None:
        # Spend the same time as a real check so timing does not reveal unknown names.
        User().set_password(password)
        ok = False
    else:
        ok = user.check_password(password) and user.is_active and user.is_staff_user
    if not ok:
        locked = login_failure_record(username=username, request=request)
        return PasswordCheck(None, locked)
    return PasswordCheck(user, False)


def needs_second_factor(user: User) -> bool:
    return any(role in settings.WENGANG_ADMIN_2FA_ROLES for role in user.roles)


def totp_secret(user: User) -> str:
    return crypto.decrypt(user.totp_secret_encrypted)


def totp_provision(*, user: User) -> str:
    """Give the user a new (unconfirmed) TOTP secret and return it."""
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = crypto.encrypt(secret)
    user.totp_confirmed_at = None
    user.save(update_fields=["totp_secret_encrypted", "totp_confirmed_at"])
    return secret


def totp_uri(user: User) -> str:
    return pyotp.TOTP(totp_secret(user)).provisioning_uri(name=user.username, issuer_name="Wengang")


def totp_check(*, user: User, code: str, request: HttpRequest | None) -> bool:
    """Second step. A wrong code counts towards the lockout like a wrong password."""
    secret = totp_secret(user)
    ok = bool(secret) and pyotp.TOTP(secret).verify(normalize_code(code), valid_window=1)
    if not ok:
        login_failure_record(username=user.username, request=request, stage="totp")
        return False
    if user.totp_confirmed_at is None:
        user.totp_confirmed_at = timezone.now()
        user.save(update_fields=["totp_confirmed_at"])
    return True


def login_complete(*, request: HttpRequest, user: User) -> None:
    """Log the user in: a new session id (Django cycles it), remembered for disabling, audited."""
    with transaction.atomic():
        django_login(request, user, backend="wengang.accounts.backends.StaffBackend")
        if request.session.session_key is None:
            request.session.save()
        UserSession.objects.update_or_create(
            session_key=request.session.session_key, defaults={"user": user, "ip": client_ip(request)}
        )
        LoginFailure.objects.filter(username=_normal_username(user.username)).delete()
        audit_record(
            action=Action.LOGIN, actor=user, object_type="accounts.user", object_id=user.pk, request=request
        )


def logout_record(*, request: HttpRequest, user: User) -> None:
    with transaction.atomic():
        if request.session.session_key:
            UserSession.objects.filter(session_key=request.session.session_key).delete()
        audit_record(
            action=Action.LOGOUT, actor=user, object_type="accounts.user", object_id=user.pk, request=request
        )


# --- user management -------------------------------------------------------------------------------------


def _check_can_manage(actor: User, *, roles: list[str], scope_code: str) -> None:
    if not actor.can("users.manage"):
        raise PermissionDenied(_("You may not manage accounts."))
    too_high = sorted(set(roles) - grantable_by(actor.roles))
    if too_high:
        labels = dict(Role.choices)
        raise PermissionDenied(
            _("You may not grant the role: %(roles)s")
            % {"roles": "、".join(str(labels[r]) for r in too_high)}
        )
    if not code_in_scope(actor, scope_code):
        raise PermissionDenied(_("The scope %(code)s is outside your own.") % {"code": scope_code})


def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    roles: list[str],
    scope_code: str,
    full_name: str = "",
    phone: str = "",
    enterprise_id: int | None = None,
    request: HttpRequest | None = None,
) -> User:
    """Create an account. ``actor=None`` is the operator's command line (trusted, still audited)."""
    scope_code = normalize_code(scope_code)
    username = username.strip()
    validate_roles(roles)
    validate_scope_code(scope_code)
    if actor is not None:
        _check_can_manage(actor, roles=roles, scope_code=scope_code)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("The username %(u)s is taken.") % {"u": username}})
    if Role.EMPLOYER in roles and enterprise_id is None:
        raise ValidationError({"enterprise": _("An enterprise HR account needs its enterprise.")})
    user = User(
        username=username,
        roles=sorted(set(roles)),
        scope_code=scope_code,
        full_name=full_name,
        enterprise_id=enterprise_id,
    )
    if any(r in STAFF_ROLES for r in roles):
        validate_password(password, user)
    user.set_password(password)
    if phone:
        user.phone_encrypted = crypto.encrypt(phone)
        user.phone_hash = crypto.blind_index(phone)
    with transaction.atomic():
        user.save()
        audit_record(
            action=Action.CREATE,
            actor=actor,
            actor_username="" if actor else "cli",
            object_type="accounts.user",
            object_id=user.pk,
            request=request,
            changes={
                "username": username,
                "roles": user.roles,
                "scope_code": scope_code,
                "phone": mask_phone(phone),
            },
        )
    return user


def user_disable(
    *, actor: User | None, user: User, reason: str = "", request: HttpRequest | None = None
) -> User:
    """Disable an account and end every session it holds."""
    if actor is not None:
        _check_can_manage(actor, roles=user.roles, scope_code=user.scope_code)
        if actor.pk == user.pk:
            raise PermissionDenied(_("You cannot disable your own account."))
    with transaction.atomic():
        keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
        Session.objects.filter(session_key__in=keys).delete()
        UserSession.objects.filter(user=user).delete()
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        user.is_active = False
        user.disabled_at = timezone.now()
        user.save(update_fields=["is_active", "disabled_at"])
        audit_record(
            action=Action.DISABLE,
            actor=actor,
            actor_username="" if actor else "cli",
            object_type="accounts.user",
            object_id=user.pk,
            reason=reason,
            request=request,
            changes={"is_active": [True, False], "sessions_ended": len(keys)},
        )
    return user


def password_change(*, user: User, old_password: str, new_password: str, request: HttpRequest) -> None:
    """Change one's own password; other sessions of the account end, this one continues."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("The current password is wrong.")})
    validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        keep = request.session.session_key
        others = list(
            UserSession.objects.filter(user=user)
            .exclude(session_key=keep)
            .values_list("session_key", flat=True)
        )
        Session.objects.filter(session_key__in=others).delete()
        UserSession.objects.filter(session_key__in=others).delete()
        audit_record(
            action=Action.UPDATE,
            actor=user,
            object_type="accounts.user",
            object_id=user.pk,
            changes={"password": "changed", "other_sessions_ended": len(others)},
            request=request,
        )
    update_session_auth_hash(request, user)


def user_second_factor_reset(
    *, actor: User, user: User, reason: str, request: HttpRequest | None = None
) -> User:
    """Clear an account's TOTP secret (a lost phone); it enrols a new one at its next login."""
    _check_can_manage(actor, roles=user.roles, scope_code=user.scope_code)
    if actor.pk == user.pk:
        raise PermissionDenied(_("Ask another administrator to reset your own second factor."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    with transaction.atomic():
        user.totp_secret_encrypted = ""
        user.totp_confirmed_at = None
        user.save(update_fields=["totp_secret_encrypted", "totp_confirmed_at"])
        audit_record(
            action=Action.TWO_FACTOR,
            actor=actor,
            object_type="accounts.user",
            object_id=user.pk,
            changes={"second_factor": "reset"},
            reason=reason.strip(),
            request=request,
        )
    return user


def field_unmask(
    *,
    actor: User,
    object_type: str,
    object_id: str | int,
    field: str,
    area_code: str,
    ciphertext: str,
    reason: str,
    request: HttpRequest | None = None,
    perm: str = "users.unmask",
) -> str:
    """Reveal one encrypted field in full. Needs the unmask permission, the row in scope and a reason.

    Every attempt is audited, refused ones included. Later apps (the registry's ID numbers and phones) reveal
    their fields through this one function.
    """
    reason = reason.strip()

    def record(result: str) -> None:
        audit_record(
            action=Action.UNMASK,
            actor=actor,
            object_type=object_type,
            object_id=object_id,
            changes={"field": field},
            reason=reason,
            request=request,
            result=result,
        )

    if not actor.can(perm) or not code_in_scope(actor, area_code):
        record(Result.DENIED)
        raise PermissionDenied(_("You may not see this number in full."))
    if len(reason) < 4:
        raise ValidationError({"reason": _("Give a reason of at least 4 characters.")})
    record(Result.SUCCESS)
    return crypto.decrypt(ciphertext)


def user_phone_unmask(*, actor: User, user: User, reason: str, request: HttpRequest | None = None) -> str:
    """Reveal an account's full phone number."""
    return field_unmask(
        actor=actor,
        object_type="accounts.user",
        object_id=user.pk,
        field="phone",
        area_code=user.scope_code,
        ciphertext=user.phone_encrypted,
        reason=reason,
        request=request,
    )


# --- API tokens ------------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, user: User, name: str = "", actor: User | None = None) -> str:
    """Issue an API token for ``user`` and return it; only its hash is kept."""
    if not user.is_active:
        raise ValidationError(_("The account is disabled."))
    token = "wg_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        row = ApiToken.objects.create(user=user, name=name, prefix=token[:8], key_hash=_token_hash(token))
        audit_record(
            action=Action.TOKEN_CREATE,
            actor=actor,
            actor_username="" if actor else "cli",
            object_type="accounts.apitoken",
            object_id=row.pk,
            changes={"user": user.username},
        )
    return token


def token_authenticate(token: str) -> User | None:
    row = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_token_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def user_phone_display(user: User) -> str:
    return mask_phone(crypto.decrypt(user.phone_encrypted)) if user.phone_encrypted else ""
