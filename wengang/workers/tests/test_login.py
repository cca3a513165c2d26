"""SMS one-time-code login: sending, limits, single use, no enumeration, codes kept out of every record."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from wengang.accounts.models import User, UserSession
from wengang.audit.models import AuditEvent
from wengang.outreach.backends import PermanentError
from wengang.outreach.models import Message
from wengang.workers import auth_services as svc
from wengang.workers.models import LoginCode

from .auth_helpers import ask_code, english, last_code, log_in, sms  # noqa: F401

pytestmark = pytest.mark.django_db

PHONE = "13912340001"  # the phone of conftest's person_in_township
STRANGER = "13700000099"


def test_code_is_sent_by_sms_and_kept_nowhere_readable(client, sms, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    response = ask_code(client, PHONE)
    assert response.status_code == 302
    assert response["Location"] == reverse("workers:login_code")
    assert len(sms.outbox) == 1
    code = last_code(PHONE)
    assert sms.outbox[0].body.startswith("【")
    assert sms.outbox[0].channel == "sms"
    row = LoginCode.objects.get()
    assert code not in row.code_hash
    assert row.code_hash != code
    assert row.expires_at - row.created_at == timedelta(minutes=5)
    # The outbox keeps a record without the text; nothing stored or logged holds the code.
    message = Message.objects.get(idempotency_key=f"login:{row.pk}")
    assert message.state == "sent"
    assert code not in message.body
    assert message.address == "139****0001"
    for event in AuditEvent.objects.all():
        assert code not in str(event.changes) + event.reason
    assert code not in caplog.text
    # The code comes after the first 20 characters, which delivery reports quote.
    assert code not in sms.outbox[0].body[:20]
    log_in_response = client.post(reverse("workers:login_code"), {"code": code})
    assert log_in_response.status_code == 302
    assert code not in caplog.text
    assert not AuditEvent.objects.filter(changes__icontains=code).exists()


def test_demo_mode_prints_the_code_on_the_console_only(client, sms, settings, capsys):  # noqa: F811
    settings.WENGANG_DEMO = False
    ask_code(client, PHONE)
    assert last_code(PHONE) not in capsys.readouterr().out
    settings.WENGANG_DEMO = True
    LoginCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    ask_code(client, PHONE)
    assert last_code(PHONE) in capsys.readouterr().out


def test_login_creates_a_worker_account_with_a_30_day_session(client, sms):  # noqa: F811
    response = log_in(client, STRANGER)
    assert response.status_code == 302
    assert response["Location"] == reverse("workers:link")  # not linked yet
    user = User.objects.get(username=svc.worker_username(svc.phone_hash(STRANGER)))
    assert user.roles == ["worker"]
    assert not user.has_usable_password()
    assert user.person_id is None
    assert client.session.get_expiry_age() == 30 * 24 * 3600
    assert UserSession.objects.filter(user=user, session_key=client.session.session_key).exists()
    assert AuditEvent.objects.filter(action="login", actor_id=user.pk).exists()
    # The next login uses the same account.
    client.logout()
    LoginCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    log_in(client, STRANGER)
    assert User.objects.filter(roles=["worker"], phone_hash=svc.phone_hash(STRANGER)).count() == 1


def test_code_expires_after_5_minutes(client, sms):  # noqa: F811
    ask_code(client, PHONE)
    code = last_code(PHONE)
    LoginCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with translation.override("en"):
        english(client)
        response = client.post(reverse("workers:login_code"), {"code": code})
    assert response.status_code == 200
    assert "expired" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_code_is_single_use(sms):  # noqa: F811
    svc.login_code_request(phone=PHONE, request=None)
    code = last_code(PHONE)
    assert svc.login_code_check(phone=PHONE, code=code, request=None).status == "ok"
    assert svc.login_code_check(phone=PHONE, code=code, request=None).status == "expired"


def test_three_wrong_tries_lock_the_code(sms):  # noqa: F811
    svc.login_code_request(phone=PHONE, request=None)
    code = last_code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert svc.login_code_check(phone=PHONE, code=wrong, request=None).status == "wrong"
    assert svc.login_code_check(phone=PHONE, code=wrong, request=None).tries_left == 1
    assert svc.login_code_check(phone=PHONE, code=wrong, request=None).status == "locked"
    assert svc.login_code_check(phone=PHONE, code=code, request=None).status == "locked"
    assert LoginCode.objects.get().tries == 3
    assert AuditEvent.objects.filter(action="login_failed", changes__stage="sms_code").count() == 3


def test_resend_waits_60_seconds(client, sms):  # noqa: F811
    assert svc.login_code_request(phone=PHONE, request=None).status == "sent"
    second = svc.login_code_request(phone=PHONE, request=None)
    assert second.status == "wait"
    assert 55 <= second.wait_seconds <= 60
    assert len(sms.outbox) == 1
    LoginCode.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    assert svc.login_code_request(phone=PHONE, request=None).status == "sent"
    assert len(sms.outbox) == 2


def _age_all(seconds: int = 61) -> None:
    for row in LoginCode.objects.all():
        LoginCode.objects.filter(pk=row.pk).update(created_at=row.created_at - timedelta(seconds=seconds))


def test_daily_cap_per_phone(sms, rf):  # noqa: F811
    now = timezone.localtime().replace(hour=12, minute=0)
    for i in range(svc.PHONE_DAILY):
        assert (
            svc.login_code_request(phone=PHONE, request=None, now=now + timedelta(minutes=2 * i)).status
            == "sent"
        )
    later = now + timedelta(minutes=30)
    assert svc.login_code_request(phone=PHONE, request=None, now=later).status == "limited"
    assert len(sms.outbox) == svc.PHONE_DAILY
    # Another phone is not affected; the next day the phone may ask again.
    assert svc.login_code_request(phone=STRANGER, request=None, now=later).status == "sent"
    assert svc.login_code_request(phone=PHONE, request=None, now=now + timedelta(days=1)).status == "sent"


def test_daily_cap_per_ip(sms, rf):  # noqa: F811
    now = timezone.localtime().replace(hour=12, minute=0)
    request = rf.post("/m/login/", REMOTE_ADDR="10.9.9.9")
    for i in range(svc.IP_DAILY):
        phone = f"1370000{i:04d}"
        assert svc.login_code_request(phone=phone, request=request, now=now).status == "sent"
    assert svc.login_code_request(phone="13800001111", request=request, now=now).status == "limited"
    other = rf.post("/m/login/", REMOTE_ADDR="10.9.9.8")
    assert svc.login_code_request(phone="13800001111", request=other, now=now).status == "sent"


def _normal(content: bytes, masked: str) -> str:
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())
    return text.replace(masked, "X") if masked else text


def test_known_and_unknown_phones_get_the_same_answer(client, sms, person_in_township):  # noqa: F811
    with translation.override("en"):
        english(client)
        known = ask_code(client, PHONE)
        known_page = client.get(reverse("workers:login_code"))
        client.cookies.clear()
        unknown = ask_code(client, STRANGER)
        unknown_page = client.get(reverse("workers:login_code"))
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert _normal(known_page.content, "139****0001") == _normal(unknown_page.content, "137****0099")
    assert "If this number can log in" in _normal(known_page.content, "")
    assert len(sms.outbox) == 2  # a code goes to both: the unknown may register themselves


def test_sms_failure_is_reported_and_the_code_unusable(client, sms):  # noqa: F811
    sms.fail[PHONE] = PermanentError("invalid number")
    with translation.override("en"):
        english(client)
        response = ask_code(client, PHONE)
    assert response.status_code == 200
    assert "could not be sent" in response.content.decode()
    row = LoginCode.objects.get()
    assert row.used_at is not None
    assert Message.objects.get(idempotency_key=f"login:{row.pk}").state == "failed"


def test_staff_cannot_log_in_here_and_is_told_to_log_out(client, sms, people):  # noqa: F811
    staff = people["specialist"]
    client.force_login(staff, backend="wengang.accounts.backends.StaffBackend")
    response = client.get(reverse("workers:login"))
    assert response.status_code == 403
    assert reverse("accounts:logout").encode() in response.content
    response = client.get(reverse("workers:sessions"))
    assert response.status_code == 403


def test_a_staff_members_phone_logs_into_a_worker_account_only(client, sms, people):  # noqa: F811
    from wengang.core import crypto

    staff = people["specialist"]
    staff.phone_hash = crypto.blind_index(PHONE)
    staff.phone_encrypted = crypto.encrypt(PHONE)
    staff.save()
    log_in(client, PHONE)
    user_id = int(client.session["_auth_user_id"])
    assert user_id != staff.pk
    assert User.objects.get(pk=user_id).roles == ["worker"]


def test_a_worker_cannot_open_staff_pages(client, sms):  # noqa: F811
    log_in(client, STRANGER)
    assert client.get(reverse("registry:person_list")).status_code == 403
    assert client.get(reverse("workers:registration_list")).status_code == 403
    assert client.get(reverse("accounts:user_list")).status_code == 403


def test_worker_pages_send_anonymous_visitors_to_the_login(client):
    response = client.get(reverse("workers:sessions"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("workers:login"))


def test_large_text_mode_cookie(client):
    response = client.get(reverse("workers:large_mode"), {"on": "1", "next": "/m/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/m/login/"
    assert client.cookies["m_large"].value == "1"
    page = client.get(reverse("workers:login"))
    assert b'<html lang="zh-Hans" class="large">' in page.content
    client.get(reverse("workers:large_mode"), {"on": "0", "next": "https://evil.example/"})
    assert b'class="large"' not in client.get(reverse("workers:login")).content


def test_login_page_is_small(client):
    from django.contrib.staticfiles import finders

    page = client.get(reverse("workers:login"))
    css = finders.find("workers/m.css")
    total = len(page.content) + len(open(css, "rb").read())  # noqa: SIM115
    assert total < 100 * 1024
    assert b'name="viewport"' in page.content
    assert b"<script" not in page.content


def test_old_codes_are_purged(sms):  # noqa: F811
    svc.login_code_request(phone=PHONE, request=None, now=timezone.now() - timedelta(days=3))
    svc.login_code_request(phone=STRANGER, request=None)
    assert svc.login_codes_purge() == 1
    assert list(LoginCode.objects.values_list("phone_hash", flat=True)) == [svc.phone_hash(STRANGER)]
