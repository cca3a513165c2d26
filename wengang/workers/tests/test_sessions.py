"""Worker sessions: 30 days, listed, ended here (this one or all the others)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from wengang.accounts.models import User, UserSession
from wengang.workers import auth_services as svc

from .auth_helpers import log_in, sms  # noqa: F401

pytestmark = pytest.mark.django_db

PHONE = "13700000099"


def _second_device(sms_fixture) -> Client:  # noqa: ARG001
    from datetime import timedelta

    from django.utils import timezone

    from wengang.workers.models import LoginCode

    LoginCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    other = Client()
    log_in(other, PHONE, ip="10.0.0.2")
    return other


def test_sessions_are_listed_and_the_others_can_be_ended(client, sms):  # noqa: F811
    log_in(client, PHONE)
    other = _second_device(sms)
    user = User.objects.get(username=svc.worker_username(svc.phone_hash(PHONE)))
    assert UserSession.objects.filter(user=user).count() == 2
    page = client.get(reverse("workers:sessions"))
    assert page.status_code == 200
    assert page.content.count(b"<li>") == 2
    response = client.post(reverse("workers:sessions_end_others"))
    assert response.status_code == 302
    assert UserSession.objects.filter(user=user).count() == 1
    assert not Session.objects.filter(session_key=other.session.session_key).exists()
    # The other device is logged out; this one is not.
    assert other.get(reverse("workers:sessions")).status_code == 302
    assert client.get(reverse("workers:sessions")).status_code == 200


def test_logout_ends_this_session(client, sms):  # noqa: F811
    log_in(client, PHONE)
    key = client.session.session_key
    response = client.post(reverse("workers:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("workers:login")
    assert not UserSession.objects.filter(session_key=key).exists()
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("workers:sessions")).status_code == 302


def test_a_worker_session_lasts_30_days_and_staff_keep_30_minutes(client, sms, people):  # noqa: F811
    log_in(client, PHONE)
    session = Session.objects.get(session_key=client.session.session_key)
    from django.utils import timezone

    left = (session.expire_date - timezone.now()).total_seconds()
    assert 29.9 * 86400 < left <= 30 * 86400
    staff = Client()
    staff.force_login(people["specialist"], backend="wengang.accounts.backends.StaffBackend")
    assert staff.session.get_expiry_age() == 30 * 60


def test_logout_with_a_staff_session_does_not_log_staff_out_here(client, people):
    client.force_login(people["specialist"], backend="wengang.accounts.backends.StaffBackend")
    client.post(reverse("workers:logout"))
    assert "_auth_user_id" in client.session
