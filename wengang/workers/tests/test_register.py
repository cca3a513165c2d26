"""Self-registration of a worker not in the registry: region choice without JavaScript, ID validated."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from conftest import make_id
from wengang.accounts.models import User
from wengang.regions.models import Region
from wengang.workers import auth_services as svc
from wengang.workers.models import Registration

from .auth_helpers import english, log_in, sms  # noqa: F401

pytestmark = pytest.mark.django_db

PHONE = "13700000099"


@pytest.fixture
def stranger(client, sms):  # noqa: F811
    log_in(client, PHONE)
    return User.objects.get(username=svc.worker_username(svc.phone_hash(PHONE)))


def _village() -> Region:
    return Region.objects.filter(code__startswith="410329001", level="village").order_by("code").first()


def test_the_village_is_chosen_county_then_township_then_village(client, stranger):
    page = client.get(reverse("workers:register"))
    assert page.status_code == 200
    assert "伊川县".encode() in page.content
    assert b'name="village"' not in page.content
    page = client.get(reverse("workers:register"), {"county": "410329"})
    assert b'name="township"' in page.content
    village = _village()
    page = client.get(reverse("workers:register"), {"county": "410329", "township": "410329001"})
    assert village.name.encode() in page.content
    assert b'name="village"' in page.content


def _post(client, **over):
    data = {
        "county": "410329",
        "township": "410329001",
        "name": "李自登",
        "id_number": make_id("410329", "19880202", 21),
        "village": _village().code,
        "skills": "电焊，砌筑",
        "intent": "local_job",
    }
    data.update(over)
    return client.post(reverse("workers:register"), data)


def test_register_puts_the_worker_in_the_queue(client, stranger):
    response = _post(client)
    assert response.status_code == 200
    reg = Registration.objects.get()
    assert reg.user == stranger
    assert reg.status == "pending"
    assert reg.village_code == _village().code
    assert reg.details == {"skills": ["电焊", "砌筑"], "intent": "local_job"}
    assert reg.id_masked.endswith(make_id("410329", "19880202", 21)[-4:])
    assert make_id("410329", "19880202", 21) not in reg.id_encrypted
    assert reg.phone_masked == "137****0099"
    # The next visit shows the waiting page, not the form again.
    assert "李自登".encode() in client.get(reverse("workers:register")).content
    assert b'name="id_number"' not in client.get(reverse("workers:register")).content


def test_a_bad_id_number_is_refused_with_the_reason(client, stranger):
    bad = make_id("410329", "19880202", 21)[:-1] + (
        "0" if make_id("410329", "19880202", 21)[-1] != "0" else "1"
    )
    with translation.override("en"):
        english(client)
        response = _post(client, id_number=bad)
    assert response.status_code == 200
    assert b"ID number: The check digit is wrong" in response.content
    assert not Registration.objects.exists()


def test_a_village_outside_the_township_is_refused(client, stranger):
    other = Region.objects.filter(code__startswith="410307", level="village").first()
    response = _post(client, village=other.code)
    assert response.status_code == 200
    assert not Registration.objects.exists()


def test_register_needs_a_worker_session(client, people):
    assert client.get(reverse("workers:register")).status_code == 302
    client.force_login(people["specialist"], backend="wengang.accounts.backends.StaffBackend")
    assert client.get(reverse("workers:register")).status_code == 403
