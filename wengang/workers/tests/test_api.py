"""The worker's own API under /me: a worker session only; their own rows only; the pages' services."""

from __future__ import annotations

import pytest
from django.test import Client

from wengang.accounts.services import token_create
from wengang.audit.models import AuditEvent
from wengang.jobs.models import Referral
from wengang.jobs.referrals import referral_record
from wengang.outreach.models import Message
from wengang.workers.models import CorrectionRequest, Dismissal
from wengang.workers.tests.pages_fixtures import *  # noqa: F403  (the fixtures)
from wengang.workers.tests.pages_fixtures import BACKEND, make_inbox_message, recommend

pytestmark = pytest.mark.django_db
API = "/api/v1/me"


def _post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


@pytest.fixture(autouse=True)
def english(client_a, client_b):
    for c in (client_a, client_b):
        c.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_me_shows_my_record_masked(client_a, worker_a):
    person = worker_a.person
    body = client_a.get(API).json()
    assert (body["name"], body["id_number"], body["phone"], body["village_code"]) == (
        person.name,
        person.id_masked,
        person.phone_masked,
        person.village_code,
    )
    assert "*" in body["id_number"]
    assert "*" in body["phone"]
    assert {c["channel"]: c["granted"] for c in body["consent"]} == {
        "sms": True,
        "wechat": False,
        "app": True,
        "phone": False,
    }
    assert (body["skills"], body["certificates"], body["corrections"]) == ([], [], [])
    assert (body["contact"]["phone"], body["contact"]["is_specialist"]) == ("12333", False)
    assert body["village"]


def test_recommendations_exclude_dismissed_and_applied_with_reasons(client_a, worker_a, postings):
    recommend(worker_a.person, postings, reasons="距家约 12 公里 · 包吃住")
    body = client_a.get(f"{API}/recommendations").json()
    assert [r["posting"]["id"] for r in body] == [p.pk for p in postings]
    assert body[0]["reasons"] == ["距家约 12 公里", "包吃住"]
    assert body[0]["posting"]["enterprise"] == "页面测试电子厂"
    dismissed = _post(client_a, f"{API}/postings/{postings[0].pk}/dismiss")
    assert (dismissed.status_code, dismissed.json()["posting_id"]) == (200, postings[0].pk)
    assert _post(client_a, f"{API}/postings/{postings[0].pk}/dismiss").status_code == 200
    assert Dismissal.objects.filter(person=worker_a.person).count() == 1
    assert _post(client_a, f"{API}/applications", {"posting_id": postings[1].pk}).status_code == 201
    assert [r["posting"]["id"] for r in client_a.get(f"{API}/recommendations").json()] == [postings[2].pk]
    assert _post(client_a, f"{API}/postings/999999/dismiss").status_code == 404


def test_apply_list_and_withdraw(client_a, worker_a, postings):
    created = _post(client_a, f"{API}/applications", {"posting_id": postings[0].pk, "note": "周末可面试"})
    assert created.status_code == 201, created.content
    out = created.json()
    referral = Referral.objects.get()
    assert (referral.person, referral.posting, referral.source, referral.state) == (
        worker_a.person,
        postings[0],
        "self",
        "recommended",
    )
    assert (out["id"], out["source"], out["is_open"], out["posting_title"]) == (
        referral.pk,
        "self",
        True,
        "电子厂普工",
    )
    listing = client_a.get(f"{API}/applications").json()
    assert (listing["count"], [a["id"] for a in listing["items"]]) == (1, [referral.pk])
    twice = _post(client_a, f"{API}/applications", {"posting_id": postings[0].pk})
    assert twice.status_code == 400
    assert Referral.objects.count() == 1
    assert _post(client_a, f"{API}/applications", {"posting_id": 999999}).json()["detail"] == {
        "posting_id": ["This posting is not (or no longer) published."]
    }
    url = f"{API}/applications/{referral.pk}/withdraw"
    assert _post(client_a, url, {"reason": "bogus"}).status_code == 400
    withdrawn = _post(client_a, url, {"reason": "found_other"})
    assert withdrawn.status_code == 200
    assert (withdrawn.json()["state"], withdrawn.json()["reason"], withdrawn.json()["is_open"]) == (
        "withdrawn",
        "found_other",
        False,
    )
    assert _post(client_a, url).status_code == 400  # no longer open
    event = AuditEvent.objects.filter(object_type="jobs.referral", action="status").get()
    assert event.actor_id == worker_a.pk


def test_another_workers_application_and_message_are_404(client_a, client_b, worker_a, postings):
    referral = referral_record(actor=worker_a, person=worker_a.person, posting=postings[0], source="self")
    message = make_inbox_message(worker_a.person)
    assert _post(client_b, f"{API}/applications/{referral.pk}/withdraw").status_code == 404
    assert _post(client_b, f"{API}/messages/{message.pk}/read").status_code == 404
    assert client_b.get(f"{API}/applications").json()["count"] == 0
    assert client_b.get(f"{API}/messages").json()["count"] == 0
    referral.refresh_from_db()
    message.refresh_from_db()
    assert (referral.state, message.read_at) == ("recommended", None)


def test_messages_list_and_read(client_a, worker_a):
    older = make_inbox_message(worker_a.person, body="第一条", postings=[7])
    newer = make_inbox_message(worker_a.person, body="第二条")
    Message.objects.create(
        idempotency_key="sms-not-inbox", channel="sms", state="delivered", person=worker_a.person, body="短信"
    )
    body = client_a.get(f"{API}/messages").json()
    assert [(m["id"], m["body"]) for m in body["items"]] == [(newer.pk, "第二条"), (older.pk, "第一条")]
    assert body["items"][1]["postings"] == [7]
    read = _post(client_a, f"{API}/messages/{older.pk}/read")
    assert read.status_code == 200
    first_read = read.json()["read_at"]
    assert first_read is not None
    assert _post(client_a, f"{API}/messages/{older.pk}/read").json()["read_at"] == first_read
    unread = client_a.get(f"{API}/messages", {"unread": "true"}).json()
    assert [m["id"] for m in unread["items"]] == [newer.pk]
    assert client_a.get(API).json()["unread_messages"] == 1


def test_consent_per_channel(client_a, worker_a):
    url = f"{API}/consent/sms"
    withdrawn = client_a.put(url, {"granted": False}, content_type="application/json")
    assert withdrawn.status_code == 200
    assert {c["channel"]: c["granted"] for c in withdrawn.json()}["sms"] is False
    worker_a.person.refresh_from_db()
    assert worker_a.person.consent_sms is False
    granted = client_a.put(f"{API}/consent/phone", {"granted": True}, content_type="application/json")
    assert {c["channel"]: c["granted"] for c in granted.json()}["phone"] is True
    assert worker_a.person.consents.filter(channel="phone", source="worker").exists()
    assert (
        client_a.put(f"{API}/consent/fax", {"granted": True}, content_type="application/json").status_code
        == 400
    )
    assert client_a.put(url, {}, content_type="application/json").status_code == 400


def test_correction_request(client_a, worker_a):
    created = _post(client_a, f"{API}/corrections", {"field": "name", "text": "名字少了一个字"})
    assert created.status_code == 201
    row = CorrectionRequest.objects.get()
    assert (row.person, row.field, row.text, row.status) == (
        worker_a.person,
        "name",
        "名字少了一个字",
        "pending",
    )
    assert created.json()["field_label"] == "Name"
    assert [c["id"] for c in client_a.get(API).json()["corrections"]] == [row.pk]
    assert _post(client_a, f"{API}/corrections", {"field": "name", "text": ""}).status_code == 400
    assert _post(client_a, f"{API}/corrections", {"field": "shoe_size", "text": "x"}).status_code == 400
    assert CorrectionRequest.objects.count() == 1


ROUTES = [
    ("get", ""),
    ("get", "/recommendations"),
    ("get", "/applications"),
    ("post", "/applications"),
    ("get", "/messages"),
    ("post", "/corrections"),
    ("put", "/consent/sms"),
]


def _call(client, method, path, **extra):
    if method == "get":
        return client.get(f"{API}{path}", **extra)
    if method == "put":
        return client.put(f"{API}{path}", {"granted": False}, content_type="application/json", **extra)
    return client.post(f"{API}{path}", {}, content_type="application/json", **extra)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_who_is_refused(people, worker_a, method, path):
    anonymous = Client()
    assert _call(anonymous, method, path).status_code == 401
    for role in ("city_admin", "specialist", "employer"):
        staff = Client()
        staff.force_login(people[role], backend=BACKEND)
        assert _call(staff, method, path).status_code == 403, role
    staff_token = token_create(user=people["city_admin"])
    assert _call(Client(), method, path, HTTP_AUTHORIZATION=f"Bearer {staff_token}").status_code == 403
    worker_token = token_create(user=worker_a)
    assert _call(Client(), method, path, HTTP_AUTHORIZATION=f"Bearer {worker_token}").status_code == 403
    assert _call(Client(), method, path, HTTP_AUTHORIZATION="Bearer wg_nonsense").status_code == 401
    unlinked = people["worker"]  # a worker account not (yet) linked to its person
    client = Client()
    client.force_login(unlinked, backend=BACKEND)
    assert _call(client, method, path).status_code == 403
    assert not Referral.objects.exists()
    assert not CorrectionRequest.objects.exists()
    assert worker_a.person.consents.count() == 2  # only the fixture's sms and app grants


def test_consent_put_by_the_matrix_worker(client_a):
    """The access matrix cannot send PUT; the worker's own PUT works (the refusals are above)."""
    response = client_a.put(f"{API}/consent/app", {"granted": False}, content_type="application/json")
    assert response.status_code == 200


def test_a_worker_is_refused_by_the_staff_api(client_a, worker_a):
    """No staff route accepts a worker session (401), and a worker's token has no staff permission (403)."""
    for url in ("/api/v1/registry/persons", "/api/v1/outreach/calls", "/api/v1/assistance/cases"):
        assert client_a.get(url).status_code == 401, url
        token = token_create(user=worker_a)
        assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 403, url
