"""Correction requests (PIPL Art. 46): the worker asks, the township specialist answers, the worker sees."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wengang.audit.models import AuditEvent
from wengang.workers.models import CorrectionRequest
from wengang.workers.tests.pages_fixtures import *  # noqa: F403  (the fixtures)
from wengang.workers.tests.pages_fixtures import BACKEND

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_row(client_a, worker_a):
    response = client_a.post(reverse("workers:me_correction"), {"field": "name", "text": "我的名字是张三丰"})
    assert response.status_code == 302
    return CorrectionRequest.objects.get()


def test_worker_request_reaches_the_specialist_of_the_area(client, request_row, worker_a, people):
    assert request_row.person == worker_a.person
    assert request_row.area_code == worker_a.person.village_code
    assert request_row.status == "pending"
    assert AuditEvent.objects.filter(object_type="workers.correction", actor_id=worker_a.pk).exists()
    client.force_login(people["specialist"], backend=BACKEND)
    listing = client.get(reverse("workers:correction_list"))
    assert listing.status_code == 200
    assert [r["row"].pk for r in listing.context["rows"]] == [request_row.pk]
    assert client.get(reverse("workers:correction_detail", args=[request_row.pk])).status_code == 200


def test_other_areas_and_roles_do_not_see_it(client, request_row, people):
    client.force_login(people["other_specialist"], backend=BACKEND)
    assert client.get(reverse("workers:correction_list")).context["rows"] == []
    assert client.get(reverse("workers:correction_detail", args=[request_row.pk])).status_code == 404
    response = client.post(
        reverse("workers:correction_handle", args=[request_row.pk]), {"status": "accepted", "reply": "好"}
    )
    assert response.status_code == 404
    client.force_login(people["viewer"], backend=BACKEND)
    assert client.get(reverse("workers:correction_list")).status_code == 403
    request_row.refresh_from_db()
    assert request_row.status == "pending"


def test_the_reply_shows_on_the_workers_page(client, client_a, request_row, people):
    client.force_login(people["specialist"], backend=BACKEND)
    url = reverse("workers:correction_handle", args=[request_row.pk])
    assert client.post(url, {"status": "accepted", "reply": "已核实并更正"}).status_code == 302
    request_row.refresh_from_db()
    assert (request_row.status, request_row.reply, request_row.handled_by) == (
        "accepted",
        "已核实并更正",
        people["specialist"],
    )
    assert AuditEvent.objects.filter(object_type="workers.correction", action="review").count() == 1
    # Answered once only.
    client.post(url, {"status": "rejected", "reply": "改主意"})
    request_row.refresh_from_db()
    assert request_row.status == "accepted"
    assert "已核实并更正" in client_a.get(reverse("workers:me")).content.decode()


def test_a_request_needs_the_correct_information(client_a):
    response = client_a.post(reverse("workers:me_correction"), {"field": "name", "text": ""})
    assert response.status_code == 200
    assert not CorrectionRequest.objects.exists()
