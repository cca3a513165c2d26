"""我的信息: my record masked; status, intent, skills and consent changed by me (source worker), audited."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from wengang.audit.models import AuditEvent
from wengang.registry.consent import may_push
from wengang.registry.models import Consent
from wengang.workers.tests.pages_fixtures import *  # noqa: F403  (the fixtures)
from wengang.workers.tests.pages_fixtures import make_worker

pytestmark = pytest.mark.django_db


def test_me_shows_masked_id_and_phone_only(client_a, worker_a):
    person = worker_a.person
    html = client_a.get(reverse("workers:me")).content.decode()
    assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", person.id_masked)
    assert person.id_masked in html
    assert person.phone_masked in html
    assert re.fullmatch(r"1\d{2}\*{4}\d{4}", person.phone_masked)
    assert "13900000501" not in html  # the full phone
    assert not re.search(r"\b41032919\d{10}", html)  # no full ID number


def test_status_update_appends_a_worker_event(client_a, worker_a):
    today = timezone.localdate()
    response = client_a.post(
        reverse("workers:me_status"),
        {
            "status": "employed_out_of_province",
            "occurred_on": today.isoformat(),
            "work_province": "浙江省",
            "work_city": "宁波市",
            "employer_name": "宁波某电器厂",
            "monthly_income": "6500",
            "intent": "go_out",
            "destination": "宁波",
        },
    )
    assert response.status_code == 302
    person = worker_a.person
    person.refresh_from_db()
    event = person.employment_events.get()
    assert (event.status, event.source, event.recorded_by_id, event.monthly_income) == (
        "employed_out_of_province",
        "worker",
        worker_a.pk,
        6500,
    )
    assert person.status == "employed_out_of_province"
    intent = person.intents.get()
    assert (intent.intent, intent.destination, intent.source) == ("go_out", "宁波", "worker")
    assert person.intent == "go_out"
    assert AuditEvent.objects.filter(object_type="registry.person", actor_id=worker_a.pk).count() == 2


def test_status_form_errors_name_the_field(client_a, worker_a):
    future = (timezone.localdate() + timezone.timedelta(days=3)).isoformat()
    with translation.override("en"):
        response = client_a.post(
            reverse("workers:me_status"), {"status": "unemployed_seeking", "occurred_on": future}
        )
    assert response.status_code == 200
    assert "日期不能晚于今天。" in response.content.decode()
    assert not worker_a.person.employment_events.exists()


def test_skills_update(client_a, worker_a):
    response = client_a.post(
        reverse("workers:me_skills"), {"skills": "电焊、叉车, 电焊", "certificates": "焊工证"}
    )
    assert response.status_code == 302
    person = worker_a.person
    person.refresh_from_db()
    assert person.skills == ["电焊", "叉车"]
    assert person.certificates == ["焊工证"]
    event = AuditEvent.objects.filter(object_type="registry.person", actor_id=worker_a.pk).get()
    assert event.changes["source"] == "worker"
    with translation.override("en"):
        too_long = client_a.post(reverse("workers:me_skills"), {"skills": "很" * 31, "certificates": ""})
    assert too_long.status_code == 200
    assert "超过 30 个字" in too_long.content.decode()


def test_withdrawing_consent_takes_effect_at_once(client_a, worker_a):
    person = worker_a.person
    assert may_push(person, "sms")
    response = client_a.post(reverse("workers:me_consent"), {"channel": "sms", "granted": "0"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert not may_push(person, "sms")
    assert may_push(person, "app")
    row = Consent.objects.filter(person=person).first()
    assert (row.channel, row.granted, row.source, row.recorded_by_id) == ("sms", False, "worker", worker_a.pk)
    client_a.post(reverse("workers:me_consent"), {"channel": "wechat", "granted": "1"})
    person.refresh_from_db()
    assert may_push(person, "wechat")


def test_unknown_channel_changes_nothing(client_a, worker_a):
    before = Consent.objects.count()
    client_a.post(reverse("workers:me_consent"), {"channel": "email", "granted": "1"})
    assert Consent.objects.count() == before


def test_services_refuse_someone_elses_person(worker_a, people):
    from django.core.exceptions import PermissionDenied

    from wengang.workers.worker_services import consent_set, skills_update

    other = make_worker(people["county_admin"], 777, username="w_other")
    with pytest.raises(PermissionDenied):
        consent_set(actor=worker_a, person=other.person, channel="sms", granted=False)
    with pytest.raises(PermissionDenied):
        skills_update(actor=worker_a, person=other.person, skills=["x"], certificates=[])
    other.person.refresh_from_db()
    assert may_push(other.person, "sms")
    assert other.person.skills == []
