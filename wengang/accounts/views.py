"""Login (password, then TOTP for admin roles), logout, and account management pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.excel import xlsx_response
from wengang.core.forms import add_service_errors
from wengang.employers.models import Enterprise

from . import services
from .forms import LoginForm, PasswordChangeForm, ReasonForm, TotpForm, UserCreateForm
from .models import User
from .permissions import require_perm
from .roles import Role
from .scoping import scope_queryset
from .selectors import user_get, user_list

PENDING_KEY = "wengang_pending_user"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        check = services.login_check_password(
            username=form.cleaned_data["username"], password=form.cleaned_data["password"], request=request
        )
        if check.locked:
            error = _("Too many failed attempts. Try again in %(m)d minutes.") % {
                "m": settings.WENGANG_LOCKOUT_MINUTES
            }
        elif check.user is None:
            error = _("Wrong username or password.")
        elif services.needs_second_factor(check.user):
            request.session.cycle_key()
            request.session[PENDING_KEY] = check.user.pk
            return redirect(f"{_totp_url()}?next={_next_url(request)}")
        else:
            services.login_complete(request=request, user=check.user)
            return redirect(_next_url(request))
    return render(request, "accounts/login.html", {"form": form, "error": error, "next": _next_url(request)})


def _totp_url() -> str:
    from django.urls import reverse

    return reverse("accounts:login_totp")


@require_http_methods(["GET", "POST"])
def login_totp_view(request: HttpRequest) -> HttpResponse:
    pk = request.session.get(PENDING_KEY)
    user = User.objects.filter(pk=pk, is_active=True).first() if pk else None
    if user is None:
        return redirect("accounts:login")
    enrolling = user.totp_confirmed_at is None
    if enrolling and not user.totp_secret_encrypted:
        services.totp_provision(user=user)
    form = TotpForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if services.login_is_locked(username=user.username):
            request.session.pop(PENDING_KEY, None)
            error = _("Too many failed attempts. Try again in %(m)d minutes.") % {
                "m": settings.WENGANG_LOCKOUT_MINUTES
            }
        elif services.totp_check(user=user, code=form.cleaned_data["code"], request=request):
            request.session.pop(PENDING_KEY, None)
            services.login_complete(request=request, user=user)
            return redirect(_next_url(request))
        else:
            error = _("The code is wrong or has expired.")
    context: dict[str, Any] = {
        "form": form,
        "error": error,
        "enrolling": enrolling,
        "next": _next_url(request),
    }
    if enrolling:
        context["secret"] = services.totp_secret(user)
        context["uri"] = services.totp_uri(user)
    return render(request, "accounts/login_totp.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.logout_record(request=request, user=request.user)
    logout(request)
    return redirect("accounts:login")


def _user_rows(users: Any) -> list[dict[str, Any]]:
    return [{"user": u, "phone": services.user_phone_display(u)} for u in users]


@require_perm("users.view")
def user_list_view(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    active = request.GET.get("active", "")
    qs = user_list(user=actor, q=q, role=role, active=active)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    audit_record(
        action=Action.VIEW,
        actor=actor,
        object_type="accounts.user",
        changes={"list": True, "count": page.paginator.count, "page": page.number},
        request=request,
    )
    return render(
        request,
        "accounts/user_list.html",
        {
            "page": page,
            "rows": _user_rows(page.object_list),
            "q": q,
            "role": role,
            "active": active,
            "role_choices": Role.choices,
        },
    )


@require_perm("users.view")
def user_export_view(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    qs = user_list(
        user=actor,
        q=request.GET.get("q", "").strip(),
        role=request.GET.get("role", ""),
        active=request.GET.get("active", ""),
    )
    rows = [
        [
            u.username,
            u.full_name,
            "、".join(u.role_labels),
            u.scope_code,
            services.user_phone_display(u),
            u.enterprise.name if u.enterprise else "",
            _("Yes") if u.is_active else _("No"),
        ]
        for u in qs
    ]
    audit_record(
        action=Action.EXPORT,
        actor=actor,
        object_type="accounts.user",
        changes={"count": len(rows), "format": "xlsx"},
        request=request,
    )
    headers = [
        _("Username"),
        _("Full name"),
        _("Roles"),
        _("Scope"),
        _("Mobile phone"),
        _("Enterprise"),
        _("Active"),
    ]
    return xlsx_response(filename="users.xlsx", sheet=_("Accounts"), headers=headers, rows=rows)


@require_perm("users.manage")
@require_http_methods(["GET", "POST"])
def user_create_view(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    enterprises = scope_queryset(Enterprise.objects.all(), actor, field="area_code")
    form = UserCreateForm(request.POST or None, actor=actor, enterprises=enterprises)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=actor,
                username=data["username"],
                password=data["password"],
                roles=data["roles"],
                scope_code=data["scope_code"],
                full_name=data["full_name"],
                phone=data["phone"] or "",
                enterprise_id=data["enterprise"].pk if data["enterprise"] else None,
                request=request,
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Account %(u)s created.") % {"u": user.username})
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form})


def _attach_errors(form: Any, exc: ValidationError) -> None:
    """Password-rule errors belong under the password field; other field-less errors above the form."""
    about_password = not hasattr(exc, "error_dict") and any(
        "password" in (e.code or "") for e in exc.error_list
    )
    add_service_errors(form, exc, fallback="password" if about_password else None)


def _scoped_user(request: HttpRequest, pk: int) -> User:
    try:
        return user_get(user=request.user, pk=pk)  # type: ignore[arg-type]
    except User.DoesNotExist as exc:
        raise Http404 from exc


def _reason_action(
    request: HttpRequest, pk: int, *, action: Callable[..., Any], template: str, success: str
) -> HttpResponse:
    """An admin action on one account in scope that takes a reason: form, call the service, report."""
    target = _scoped_user(request, pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            action(
                actor=cast(User, request.user),
                user=target,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, success % {"u": target.username})
            return redirect("accounts:user_list")
    return render(request, template, {"form": form, "target": target})


@require_perm("users.manage")
@require_http_methods(["GET", "POST"])
def user_disable_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _reason_action(
        request,
        pk,
        action=services.user_disable,
        template="accounts/user_disable.html",
        success=_("Account %(u)s disabled; its sessions have ended."),
    )


@require_perm("users.unmask")
@require_http_methods(["GET", "POST"])
def user_unmask_view(request: HttpRequest, pk: int) -> HttpResponse:
    target = _scoped_user(request, pk)
    form = ReasonForm(request.POST or None)
    revealed = ""
    if request.method == "POST" and form.is_valid():
        try:
            revealed = services.user_phone_unmask(
                actor=cast(User, request.user),
                user=target,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
    return render(
        request,
        "accounts/user_unmask.html",
        {"form": form, "target": target, "revealed": revealed, "masked": services.user_phone_display(target)},
    )


@require_perm("tasks.view")
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    """Any staff member changes their own password."""
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                user=cast(User, request.user),
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, fallback="new_password")
        else:
            messages.success(request, _("Your password has been changed; your other sessions have ended."))
            return redirect("dashboards:home")
    return render(request, "accounts/password_change.html", {"form": form})


@require_perm("users.manage")
@require_http_methods(["GET", "POST"])
def user_second_factor_reset_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _reason_action(
        request,
        pk,
        action=services.user_second_factor_reset,
        template="accounts/user_reset_2fa.html",
        success=_("The second factor of %(u)s was reset; a new one is set up at the next login."),
    )
