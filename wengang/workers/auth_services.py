"""The worker's login: SMS one-time codes, worker accounts, linking to the registry, sessions.

This is weaker than staff authentication by design (a documented ASVS deviation for low-privilege users:
one factor, possession of the phone). What keeps it safe enough is what a worker can reach — only their own
record, masked — and the limits below. The code itself is never stored readable (only a keyed hash), never
written to the outbox (the record there says only that a code was sent) and never logged; in demo mode only
it is printed on the console of the server process.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import login as django_login
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from wengang.accounts.models import LoginFailure, User, UserSession
from wengang.accounts.roles import Role
from wengang.audit.models import Action, Result
from wengang.audit.services import audit_record, client_ip
from wengang.core import crypto
from wengang.core.masking import mask_phone
from wengang.outreach import sms
from wengang.outreach.backends import ConsoleBackend, Outgoing, PermanentError, TransientError, backend_for
from wengang.outreach.choices import Channel, MessageState
from wengang.outreach.models import Message
from wengang.registry.models import Person

from .models import LoginCode

logger = logging.getLogger(__name__)

# The limits (issue 7). A code lives 5 minutes, is used once and dies after 3 wrong tries; a phone gets a new
# code at most once a minute and 5 a day; one IP address asks for at most 20 a day (a village office may share
# one); linking to the registry allows 5 wrong ID numbers a day.
CODE_TTL = timedelta(minutes=5)
RESEND_AFTER = timedelta(seconds=60)
MAX_TRIES = 3
PHONE_DAILY = 5
IP_DAILY = 20
LINK_DAILY_FAILURES = 5
SESSION_AGE = timedelta(days=30)

SESSION_KIND_KEY = "wengang_worker"
PENDING_PHONE_KEY = "wengang_login_phone"


def _today_start(now: dt.datetime) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(timezone.localtime(now).date(), dt.time.min), timezone.get_current_timezone()
    )


def phone_hash(phone: str) -> str:
    return crypto.blind_index(phone)


def worker_username(p_hash: str) -> str:
    """A worker account's username: derived from the phone's keyed hash, so it reveals nothing."""
    return "w_" + p_hash[:16]


def _code_hash(p_hash: str, code: str) -> str:
    return crypto.blind_index(f"worker-login-code:{p_hash}:{code}")


def sms_body(code: str) -> str:
    # The code comes last: SMSC delivery reports quote the first 20 characters of the text, and those reports
    # are stored and logged, so the code must not be among them.
    return f"稳岗就业平台登录验证码，5分钟内有效，请勿告诉他人：{code}"


REDACTED_BODY = "【验证码短信，内容不留存】"


# --- asking for a code ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeRequest:
    """What happened to a request for a code. ``status``: sent, wait, limited, failed."""

    status: str
    wait_seconds: int = 0


def login_code_request(
    *, phone: str, request: HttpRequest | None, now: dt.datetime | None = None
) -> CodeRequest:
    """Send a new code to ``phone`` (already normalised) unless a limit says no.

    Every phone is answered the same way, registered or not: a person not in the registry may register
    themselves after logging in, and the same answer for all reveals nothing about who is registered.
    """
    now = now or timezone.now()
    p_hash = phone_hash(phone)
    ip = client_ip(request)
    with transaction.atomic():
        last = LoginCode.objects.filter(phone_hash=p_hash).order_by("-created_at", "-id").first()
        if last is not None and now - last.created_at < RESEND_AFTER:
            wait = RESEND_AFTER - (now - last.created_at)
            return CodeRequest("wait", max(1, int(wait.total_seconds() + 0.999)))
        start = _today_start(now)
        if LoginCode.objects.filter(phone_hash=p_hash, created_at__gte=start).count() >= PHONE_DAILY or (
            ip and LoginCode.objects.filter(ip=ip, created_at__gte=start).count() >= IP_DAILY
        ):
            audit_record(
                action=Action.LOGIN_FAILED,
                actor_username=worker_username(p_hash),
                object_type="workers.logincode",
                changes={"stage": "sms_daily_cap"},
                request=request,
                result=Result.DENIED,
            )
            return CodeRequest("limited")
        code = f"{secrets.randbelow(1_000_000):06d}"
        row = LoginCode.objects.create(
            phone_hash=p_hash,
            code_hash=_code_hash(p_hash, code),
            ip=ip,
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    sent = _send_code(row=row, phone=phone, code=code, now=now)
    if not sent:
        # A code that did not leave cannot be used; it still counts towards the limits.
        LoginCode.objects.filter(pk=row.pk).update(used_at=now)
        return CodeRequest("failed")
    return CodeRequest("sent")


def _send_code(*, row: LoginCode, phone: str, code: str, now: dt.datetime) -> bool:
    """Send straight to the gateway (a delayed code is useless) and keep a redacted record in the outbox."""
    text = sms.sms_text(sms_body(code), essential=True)
    key = f"login:{row.pk}"
    if settings.WENGANG_DEMO:
        # Demo installs only: the console of `make demo`. Never in production settings.
        print(f"[演示] 手机 {mask_phone(phone)} 的登录验证码：{code}（5分钟内有效）", flush=True)
    backend = backend_for(Channel.SMS)
    state, gateway_ref, error = MessageState.SENT, "", ""
    try:
        if isinstance(backend, ConsoleBackend):
            # The console backend only logs what it sends; a code must never reach a log.
            gateway_ref = f"console-{key}"
        else:
            result = backend.send(
                Outgoing(message_id=0, key=key, channel=Channel.SMS, address=phone, body=text)
            )
            gateway_ref = result.gateway_ref
    except (TransientError, PermanentError) as exc:
        # Only the kind of error is kept: a gateway's answer may quote the text.
        state, error = MessageState.FAILED, type(exc).__name__
        logger.warning("login code to %s not sent: %s", mask_phone(phone), error)
    finally:
        backend.close()
    Message.objects.create(
        idempotency_key=key,
        channel=Channel.SMS,
        state=state,
        person=Person.objects.filter(phone_hash=row.phone_hash).order_by("pk").first(),
        address=mask_phone(phone),
        body=REDACTED_BODY,
        essential=True,
        urgent=True,
        segments=sms.segment_count(text),
        attempts=1,
        created_at=now,
        next_attempt_at=now,
        sent_at=now if state == MessageState.SENT else None,
        gateway_ref=gateway_ref[:100],
        last_error=error,
    )
    return state == MessageState.SENT


# --- checking a code -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    """``status``: ok (``user`` set), wrong, locked (3 wrong tries), expired (none valid)."""

    status: str
    user: User | None = None
    tries_left: int = 0


def login_code_check(
    *, phone: str, code: str, request: HttpRequest | None, now: dt.datetime | None = None
) -> CodeCheck:
    """Check the latest code sent to ``phone``; on success return the worker account (created if new)."""
    now = now or timezone.now()
    p_hash = phone_hash(phone)
    username = worker_username(p_hash)
    row = (
        LoginCode.objects.filter(phone_hash=p_hash, used_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None or row.expires_at <= now:
        _failure(username, request, "sms_code_expired")
        return CodeCheck("expired")
    # Each try is claimed before the code is compared, so parallel guesses cannot exceed the limit.
    if not LoginCode.objects.filter(pk=row.pk, tries__lt=MAX_TRIES, used_at__isnull=True).update(
        tries=F("tries") + 1
    ):
        _failure(username, request, "sms_code_locked")
        return CodeCheck("locked")
    tries = LoginCode.objects.values_list("tries", flat=True).get(pk=row.pk)
    good = code.isdigit() and len(code) == 6 and hmac.compare_digest(row.code_hash, _code_hash(p_hash, code))
    if not good:
        _failure(username, request, "sms_code")
        if tries >= MAX_TRIES:
            return CodeCheck("locked")
        return CodeCheck("wrong", tries_left=MAX_TRIES - tries)
    # Single use, even when two requests race: only the one that marks it used goes on.
    if not LoginCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now):
        return CodeCheck("expired")
    return CodeCheck("ok", user=worker_account_for(phone=phone, p_hash=p_hash))


def _failure(username: str, request: HttpRequest | None, stage: str) -> None:
    audit_record(
        action=Action.LOGIN_FAILED,
        actor_username=username,
        object_type="accounts.user",
        changes={"stage": stage},
        request=request,
        result=Result.FAILURE,
    )


def worker_account_for(*, phone: str, p_hash: str) -> User:
    """The worker account of this phone, created on first login. Never a staff account, even when a staff
    member's phone is the same: worker accounts have their own usernames and only the worker role."""
    username = worker_username(p_hash)
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    user = User(username=username, roles=[Role.WORKER.value], phone_hash=p_hash)
    user.phone_encrypted = crypto.encrypt(phone)
    user.set_unusable_password()
    with transaction.atomic():
        user.save()
        audit_record(
            action=Action.CREATE,
            actor_username="self",
            object_type="accounts.user",
            object_id=user.pk,
            changes={"username": username, "roles": user.roles, "phone": mask_phone(phone)},
        )
    return user


def is_worker_account(user: object) -> bool:
    roles = getattr(user, "roles", None) or []
    return bool(getattr(user, "is_authenticated", False)) and list(roles) == [Role.WORKER.value]


def worker_login(*, request: HttpRequest, user: User) -> None:
    """Log the worker in for 30 days on this device; the session is recorded so it can be ended."""
    if not is_worker_account(user) or not user.is_active:
        raise PermissionError("only active worker accounts log in here")
    with transaction.atomic():
        django_login(request, user, backend="wengang.accounts.backends.StaffBackend")
        request.session[SESSION_KIND_KEY] = True
        request.session.set_expiry(int(SESSION_AGE.total_seconds()))
        request.session.save()
        UserSession.objects.update_or_create(
            session_key=request.session.session_key, defaults={"user": user, "ip": client_ip(request)}
        )
        audit_record(
            action=Action.LOGIN,
            actor=user,
            object_type="accounts.user",
            object_id=user.pk,
            changes={"channel": "sms"},
            request=request,
        )


# --- sessions --------------------------------------------------------------------------------------------


def worker_sessions_end_others(*, user: User, request: HttpRequest) -> int:
    """End every session of the account except this one; returns how many ended."""
    keep = request.session.session_key
    with transaction.atomic():
        others = list(
            UserSession.objects.filter(user=user)
            .exclude(session_key=keep)
            .values_list("session_key", flat=True)
        )
        Session.objects.filter(session_key__in=others).delete()
        UserSession.objects.filter(session_key__in=others).delete()
        audit_record(
            action=Action.LOGOUT,
            actor=user,
            object_type="accounts.user",
            object_id=user.pk,
            changes={"other_sessions_ended": len(others)},
            request=request,
        )
    return len(others)


def worker_sessions(*, user: User) -> list[UserSession]:
    """The account's sessions that are still alive, newest first."""
    alive = set(
        Session.objects.filter(
            session_key__in=UserSession.objects.filter(user=user).values("session_key"),
            expire_date__gt=timezone.now(),
        ).values_list("session_key", flat=True)
    )
    return [
        s
        for s in UserSession.objects.filter(user=user).order_by("-created_at", "-id")
        if s.session_key in alive
    ]


# --- linking to the registry -------------------------------------------------------------------------------


def _link_failure_name(user: User) -> str:
    return f"link:{user.username}"[:150]


def link_is_locked(*, user: User, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        LoginFailure.objects.filter(
            username=_link_failure_name(user), created_at__gte=_today_start(now)
        ).count()
        >= LINK_DAILY_FAILURES
    )


@dataclass(frozen=True)
class LinkResult:
    """``status``: linked (``person`` set), wrong, locked."""

    status: str
    person: Person | None = None


def _id_matches(stored: str, typed: str) -> bool:
    if len(typed) == 18:
        return hmac.compare_digest(stored.upper(), typed)
    return len(typed) == 6 and hmac.compare_digest(stored.upper()[-6:], typed)


def worker_link(*, user: User, id_text: str, request: HttpRequest | None) -> LinkResult:
    """Link the account to the registry person with the account's phone and this ID number (its last 6
    characters or all 18). Five wrong answers lock linking for the rest of the day."""
    typed = id_text.strip().upper().replace(" ", "")
    if user.person_id is not None:
        return LinkResult("linked", user.person)
    if link_is_locked(user=user):
        return LinkResult("locked")
    match = None
    for person in Person.objects.filter(phone_hash=user.phone_hash).order_by("pk"):
        if _id_matches(crypto.decrypt(person.id_encrypted), typed):
            match = person
            break
    if match is None or User.objects.filter(person=match).exists():
        with transaction.atomic():
            LoginFailure.objects.create(username=_link_failure_name(user), ip=client_ip(request))
            audit_record(
                action=Action.LOGIN_FAILED,
                actor=user,
                object_type="accounts.user",
                object_id=user.pk,
                changes={"stage": "link"},
                request=request,
                result=Result.FAILURE,
            )
        return LinkResult("locked" if link_is_locked(user=user) else "wrong")
    link_account(user=user, person=match, actor=user, request=request, how="self")
    return LinkResult("linked", match)


def link_account(*, user: User, person: Person, actor: User, request: HttpRequest | None, how: str) -> None:
    """Tie the worker account to its registry person; its scope becomes the person's village."""
    with transaction.atomic():
        user.person = person
        user.scope_code = person.village_code
        user.full_name = person.name
        user.save(update_fields=["person", "scope_code", "full_name"])
        LoginFailure.objects.filter(username=_link_failure_name(user)).delete()
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            object_type="accounts.user",
            object_id=user.pk,
            changes={"person": person.pk, "linked": how},
            request=request,
        )


def login_codes_purge(*, now: dt.datetime | None = None) -> int:
    """Delete codes older than two days (the daily caps need only today's); for a periodic task."""
    now = now or timezone.now()
    deleted, _ = LoginCode.objects.filter(created_at__lt=now - timedelta(days=2)).delete()
    return deleted
