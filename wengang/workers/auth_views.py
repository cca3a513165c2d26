"""The worker's login pages under /m/: phone, code, linking, self-registration, sessions, large text."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wengang.accounts.models import User
from wengang.core import crypto
from wengang.core.forms import add_service_errors
from wengang.core.masking import mask_phone
from wengang.regions.choices import Level
from wengang.regions.models import Region

from . import auth_services as svc
from . import registration_services as reg
from .auth import staff_refusal, worker_required
from .auth_forms import CodeForm, LinkForm, PhoneForm, RegisterForm

NEXT_KEY = "wengang_login_next"
LARGE_COOKIE = "m_large"


def home_url() -> str:
    try:
        return reverse("workers:home")
    except NoReverseMatch:
        return "/m/"


def _safe_next(request: HttpRequest, target: str) -> str:
    if target.startswith("/m/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return ""


def _pending_phone(request: HttpRequest) -> str:
    sealed = request.session.get(svc.PENDING_PHONE_KEY, "")
    return crypto.decrypt(sealed) if sealed else ""


def _code_request_message(request: HttpRequest, result: svc.CodeRequest) -> bool:
    """Tell the worker what happened; True when the code page is the next step."""
    if result.status == "sent":
        # The same words whether or not the number is registered.
        messages.info(request, _("If this number can log in, a verification code has been sent to it."))
        return True
    if result.status == "wait":
        messages.info(
            request,
            _("A code was sent less than a minute ago. You can ask for a new one in %(s)d seconds.")
            % {"s": result.wait_seconds},
        )
        return True
    if result.status == "limited":
        messages.error(request, _("Too many codes requested today. Please try again tomorrow."))
        return False
    messages.error(request, _("The SMS could not be sent. Please try again later."))
    return False


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        if not svc.is_worker_account(request.user):
            return staff_refusal(request)
        return redirect(home_url())
    if request.method == "GET" and (target := _safe_next(request, request.GET.get("next", ""))):
        request.session[NEXT_KEY] = target
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        result = svc.login_code_request(phone=phone, request=request)
        if _code_request_message(request, result):
            request.session[svc.PENDING_PHONE_KEY] = crypto.encrypt(phone)
            return redirect("workers:login_code")
    return render(request, "workers/login.html", {"form": form})


@require_http_methods(["GET", "POST"])
def login_code_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        if not svc.is_worker_account(request.user):
            return staff_refusal(request)
        return redirect(home_url())
    phone = _pending_phone(request)
    if not phone:
        return redirect("workers:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = svc.login_code_check(phone=phone, code=form.cleaned_data["code"], request=request)
        user = check.user
        if check.status == "ok" and user is not None and user.is_active and svc.is_worker_account(user):
            target = request.session.pop(NEXT_KEY, "")
            request.session.pop(svc.PENDING_PHONE_KEY, None)
            svc.worker_login(request=request, user=user)  # a new session id: the old keys go with it
            if user.person_id is None:
                return redirect("workers:link")
            return redirect(target or home_url())
        if check.status == "wrong":
            form.add_error(
                "code",
                _("Verification code: wrong code; %(n)d tries left for this code.") % {"n": check.tries_left},
            )
        elif check.status == "locked":
            form.add_error("code", _("Verification code: wrong 3 times; ask for a new code."))
        else:
            form.add_error(
                "code", _("Verification code: it has expired or was already used; ask for a new one.")
            )
    return render(request, "workers/login_code.html", {"form": form, "phone_masked": mask_phone(phone)})


@require_POST
def login_resend_view(request: HttpRequest) -> HttpResponse:
    phone = _pending_phone(request)
    if not phone or request.user.is_authenticated:
        return redirect("workers:login")
    result = svc.login_code_request(phone=phone, request=request)
    _code_request_message(request, result)
    return redirect("workers:login_code")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if isinstance(user, User) and svc.is_worker_account(user):
        from wengang.accounts.services import logout_record

        logout_record(request=request, user=user)
        logout(request)
    return redirect("workers:login")


@worker_required(allow_unlinked=True)
@require_http_methods(["GET", "POST"])
def link_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.person_id is not None:
        return redirect(home_url())
    form = LinkForm(request.POST or None)
    locked = svc.link_is_locked(user=user)
    if request.method == "POST" and not locked and form.is_valid():
        result = svc.worker_link(user=user, id_text=form.cleaned_data["id_text"], request=request)
        if result.status == "linked":
            messages.success(request, _("Your account is now linked to your record."))
            return redirect(home_url())
        locked = result.status == "locked"
        if not locked:
            form.add_error(
                "id_text",
                _("ID number: it does not match our records for this phone number. Check it and try again."),
            )
    context: dict[str, Any] = {
        "form": form,
        "locked": locked,
        "registration": reg.registration_latest(user=user),
        "phone_masked": mask_phone(crypto.decrypt(user.phone_encrypted)),
    }
    return render(request, "workers/link.html", context)


def _region_choices(level: str, parent: str) -> list[tuple[str, str]]:
    qs = Region.objects.filter(level=level, valid_to__isnull=True)
    qs = (
        qs.filter(parent__code=parent)
        if parent
        else qs.filter(code__startswith=settings.WENGANG_CITY_CODE[:4])
    )
    return list(qs.order_by("code").values_list("code", "name"))


@worker_required(allow_unlinked=True)
@require_http_methods(["GET", "POST"])
def register_view(request: HttpRequest) -> HttpResponse:
    """Self-registration. The village is picked county → township → village with plain GET forms."""
    user: User = request.user  # type: ignore[assignment]
    if user.person_id is not None:
        return redirect(home_url())
    latest = reg.registration_latest(user=user)
    if latest is not None and latest.status == reg.RequestStatus.PENDING:
        return render(request, "workers/register_done.html", {"registration": latest})
    counties = _region_choices(Level.COUNTY, "")
    county = request.GET.get("county") or request.POST.get("county") or ""
    county = county if county in dict(counties) else ""
    townships = _region_choices(Level.TOWNSHIP, county) if county else []
    township = request.GET.get("township") or request.POST.get("township") or ""
    township = township if township in dict(townships) else ""
    villages = _region_choices(Level.VILLAGE, township) if township else []
    form = RegisterForm(request.POST or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        try:
            registration = reg.registration_submit(
                user=user,
                name=form.cleaned_data["name"],
                id_number=form.cleaned_data["id_number"],
                village_code=form.cleaned_data["village"],
                skills=form.skill_list(),
                intent=form.cleaned_data["intent"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(request, "workers/register_done.html", {"registration": registration})
    context: dict[str, Any] = {
        "form": form,
        "counties": counties,
        "county": county,
        "townships": townships,
        "township": township,
        "villages": villages,
        "latest": latest,
    }
    return render(request, "workers/register.html", context)


@worker_required(allow_unlinked=True)
@require_GET
def sessions_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    rows = svc.worker_sessions(user=user)
    current = request.session.session_key
    return render(
        request,
        "workers/sessions.html",
        {"rows": rows, "current": current, "others": sum(1 for r in rows if r.session_key != current)},
    )


@worker_required(allow_unlinked=True)
@require_POST
def sessions_end_others_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    ended = svc.worker_sessions_end_others(user=user, request=request)
    messages.success(request, _("%(n)d other sessions ended.") % {"n": ended})
    return redirect("workers:sessions")


@require_GET
def large_mode_view(request: HttpRequest) -> HttpResponse:
    """适老模式: larger type, remembered in a cookie; a plain link, so it works without JavaScript."""
    target = _safe_next(request, request.GET.get("next", "")) or home_url()
    response = redirect(target)
    if request.GET.get("on") == "1":
        response.set_cookie(LARGE_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    else:
        response.delete_cookie(LARGE_COOKIE, samesite="Lax")
    return response


urlpatterns: list[URLPattern] = [
    path("login/", login_view, name="login"),
    path("login/code/", login_code_view, name="login_code"),
    path("login/resend/", login_resend_view, name="login_resend"),
    path("logout/", logout_view, name="logout"),
    path("link/", link_view, name="link"),
    path("register/", register_view, name="register"),
    path("sessions/", sessions_view, name="sessions"),
    path("sessions/end-others/", sessions_end_others_view, name="sessions_end_others"),
    path("large/", large_mode_view, name="large_mode"),
]
