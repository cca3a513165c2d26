"""Staff login: generic failure message, lockout, second factor, session id rotation, idle timeout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse

from conftest import totp_now
from wengang.accounts.models import LoginFailure, UserSession
from wengang.accounts.services import user_disable
from wengang.accounts.tests.factories import PASSWORD
from wengang.audit.models import AuditEvent

LOGIN = "/accounts/login/"
LOCKED = "登录失败次数过多，请30分钟后再试。"


def _post(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.mark.django_db
def test_specialist_logs_in_with_password_only_and_gets_a_new_session_id(client, people):
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    response = _post(client, "t_spec", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    after = client.session.session_key
    assert after
    assert after != before
    assert UserSession.objects.filter(user=people["specialist"], session_key=after).exists()
    assert AuditEvent.objects.filter(action="login", actor_username="t_spec", result="success").count() == 1


@pytest.mark.django_db
def test_wrong_password_and_unknown_user_get_the_same_message(client, people):
    wrong = _post(client, "t_spec", "Wrong#Passw0rd").context["error"]
    unknown = _post(client, "nobody_here", "Wrong#Passw0rd").context["error"]
    assert wrong == unknown == "用户名或密码错误。"
    assert AuditEvent.objects.filter(action="login_failed").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["t_spec", "nobody_here"])
def test_five_failures_lock_the_name_for_30_minutes_known_or_not(client, people, username):
    for _ in range(settings.WENGANG_LOCKOUT_FAILURES - 1):
        assert _post(client, username, "Wrong#Passw0rd").context["error"] == "用户名或密码错误。"
    fifth = _post(client, username, "Wrong#Passw0rd").context["error"]
    assert fifth == LOCKED
    # Even the right password is refused while locked, with the same words.
    response = _post(client, username, PASSWORD)
    assert response.status_code == 200
    assert response.context["error"] == fifth
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="lockout", actor_username=username).count() == 1


@pytest.mark.django_db
def test_lock_expires_after_30_minutes(client, people):
    for _ in range(5):
        _post(client, "t_spec", "Wrong#Passw0rd")
    LoginFailure.objects.update(created_at=LoginFailure.objects.first().created_at - timedelta(minutes=31))
    assert _post(client, "t_spec", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_admin_needs_the_second_factor(client, people):
    response = _post(client, "t_county", PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login_totp"))
    assert "_auth_user_id" not in client.session
    # Without the code the home page is still closed.
    assert client.get("/").status_code == 302
    bad = client.post(reverse("accounts:login_totp"), {"code": "000000"})
    assert bad.context["error"] == "动态口令错误或已过期。"
    good = client.post(reverse("accounts:login_totp"), {"code": totp_now(people["county_admin"])})
    assert good.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_wrong_codes_count_towards_the_lockout(client, people):
    _post(client, "t_county", PASSWORD)
    for _ in range(5):
        client.post(reverse("accounts:login_totp"), {"code": "000000"})
    response = client.post(reverse("accounts:login_totp"), {"code": totp_now(people["county_admin"])})
    assert response.status_code == 200
    assert response.context["error"] == LOCKED
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("accounts:login_totp")).status_code == 302


@pytest.mark.django_db
def test_admin_without_a_device_enrols_on_first_login(client, people):
    admin = people["county_admin"]
    admin.totp_secret_encrypted = ""
    admin.totp_confirmed_at = None
    admin.save()
    _post(client, "t_county", PASSWORD)
    page = client.get(reverse("accounts:login_totp"))
    assert page.context["enrolling"] is True
    assert page.context["uri"].startswith("otpauth://totp/Wengang:t_county")
    admin.refresh_from_db()
    assert client.post(reverse("accounts:login_totp"), {"code": totp_now(admin)}).status_code == 302
    admin.refresh_from_db()
    assert admin.totp_confirmed_at is not None


@pytest.mark.django_db
def test_worker_accounts_cannot_log_in_to_staff_pages(client, people):
    assert _post(client, "t_worker", PASSWORD).context["error"] == "用户名或密码错误。"


@pytest.mark.django_db
def test_idle_timeout_is_30_minutes_and_refreshed_on_every_request(client, people):
    _post(client, "t_spec", PASSWORD)
    assert settings.SESSION_COOKIE_AGE == 1800
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert client.session.get_expiry_age() == 1800


@pytest.mark.django_db
def test_disabling_a_user_ends_all_their_sessions(people):
    from django.test import Client

    phone, laptop = Client(), Client()
    for c in (phone, laptop):
        _post(c, "t_spec", PASSWORD)
        assert c.get("/").status_code == 200
    assert UserSession.objects.filter(user=people["specialist"]).count() == 2
    user_disable(actor=people["county_admin"], user=people["specialist"], reason="离职")
    assert UserSession.objects.filter(user=people["specialist"]).count() == 0
    assert not Session.objects.filter(session_key__in=[phone.session.session_key]).exists()
    for c in (phone, laptop):
        assert c.get("/").status_code == 302


@pytest.mark.django_db
def test_logout_is_audited(client, people):
    _post(client, "t_spec", PASSWORD)
    client.post(reverse("accounts:logout"))
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="logout", actor_username="t_spec").count() == 1
