"""First login: linking the worker account to the registry person by phone + ID number."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from conftest import make_id
from wengang.accounts.models import User
from wengang.audit.models import AuditEvent
from wengang.workers import auth_services as svc

from .auth_helpers import english, log_in, sms  # noqa: F401

pytestmark = pytest.mark.django_db

PHONE = "13912340001"
ID = make_id("410329", "19900101", 11)  # conftest's person_in_township


@pytest.fixture
def worker(client, sms, person_in_township):  # noqa: F811
    log_in(client, PHONE)
    return User.objects.get(username=svc.worker_username(svc.phone_hash(PHONE)))


def test_an_unlinked_worker_is_sent_to_the_link_page(client, worker):
    response = client.get(reverse("workers:sessions"))
    assert response.status_code == 200  # sessions are allowed unlinked
    page = client.get(reverse("workers:link"))
    assert page.status_code == 200
    assert b"139****0001" in page.content
    assert PHONE.encode() not in page.content


@pytest.mark.parametrize("typed", [ID[-6:], ID, ID.lower()])
def test_link_with_the_last_6_or_the_full_id(client, worker, person_in_township, typed):
    response = client.post(reverse("workers:link"), {"id_text": typed})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.person == person_in_township
    assert worker.scope_code == person_in_township.village_code
    assert AuditEvent.objects.filter(
        action="update", object_id=str(worker.pk), changes__linked="self"
    ).exists()
    # Once linked, the link page sends the worker home.
    assert client.get(reverse("workers:link")).status_code == 302


def test_a_wrong_id_does_not_link(client, worker):
    with translation.override("en"):
        english(client)
        response = client.post(reverse("workers:link"), {"id_text": "123456"})
    assert response.status_code == 200
    assert b"does not match" in response.content
    worker.refresh_from_db()
    assert worker.person_id is None


def test_the_id_of_someone_with_another_phone_does_not_link(client, sms, person_in_township):  # noqa: F811
    log_in(client, "13700000099")
    response = client.post(reverse("workers:link"), {"id_text": ID})
    assert response.status_code == 200
    assert User.objects.get(username=svc.worker_username(svc.phone_hash("13700000099"))).person_id is None


def test_five_wrong_ids_lock_linking_for_the_day(client, worker, person_in_township):
    for _ in range(svc.LINK_DAILY_FAILURES):
        client.post(reverse("workers:link"), {"id_text": "000000"})
    # Even the right answer is refused now.
    with translation.override("en"):
        english(client)
        response = client.post(reverse("workers:link"), {"id_text": ID[-6:]})
    assert response.status_code == 200
    assert b"Too many wrong ID numbers today" in response.content
    worker.refresh_from_db()
    assert worker.person_id is None
    assert AuditEvent.objects.filter(action="login_failed", changes__stage="link").count() == 5


def test_a_bad_length_is_a_form_error_not_an_attempt(client, worker):
    with translation.override("en"):
        english(client)
        response = client.post(reverse("workers:link"), {"id_text": "1234"})
    assert b"last 6 characters or all 18" in response.content
    assert not svc.link_is_locked(user=worker)


def test_a_linked_worker_goes_home_after_the_next_login(client, worker, person_in_township):
    client.post(reverse("workers:link"), {"id_text": ID[-6:]})
    client.post(reverse("workers:logout"))
    from datetime import timedelta

    from django.utils import timezone

    from wengang.workers.models import LoginCode

    LoginCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    response = log_in(client, PHONE)
    assert response.status_code == 302
    assert response["Location"] != reverse("workers:link")


def test_the_demo_worker_is_linked_and_a_registration_waits(people, sms):  # noqa: F811
    from wengang.accounts.tests.factories import make_user
    from wengang.workers.demo import DEMO_WORKER_PHONE, demo_worker_load
    from wengang.workers.models import Registration

    make_user("specialist410329", "specialist", "410329001")
    assert demo_worker_load() == DEMO_WORKER_PHONE
    assert demo_worker_load() == DEMO_WORKER_PHONE  # twice: nothing new
    worker = User.objects.get(username=svc.worker_username(svc.phone_hash(DEMO_WORKER_PHONE)))
    assert worker.person is not None
    assert worker.person.village_code.startswith("410329001")
    assert Registration.objects.filter(status="pending").count() == 1
