"""The phone-call list API: the scoped, masked list; adding; dialling (audited unmask); recording outcomes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wengang.accounts.services import token_create
from wengang.accounts.tests.factories import make_user
from wengang.assistance.models import ServiceRecord
from wengang.assistance.tests.factories import make_case
from wengang.audit.models import AuditEvent
from wengang.employers.tests.factories import make_enterprise
from wengang.jobs.models import Referral
from wengang.jobs.tests.factories import make_posting
from wengang.outreach.calls import call_add
from wengang.outreach.models import Message
from wengang.registry.consent import consent_record

from .factories import make_reachable, phone_of

pytestmark = pytest.mark.django_db
BACKEND = "wengang.accounts.backends.StaffBackend"
API = "/api/v1/outreach/calls"


@pytest.fixture
def posting(people):
    return make_posting(make_enterprise(name="电话接口企业", area_code="410329"), title="电焊工")


@pytest.fixture
def caller(people, client):
    client.force_login(people["specialist"], backend=BACKEND)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # messages come out as the English msgids
    return people["specialist"]


@pytest.fixture
def yanshi_call(people):
    """A queued call in 偃师, outside every 伊川 caller's area."""
    specialist = make_user("t_spec_ys_api", "specialist", "410307004")
    person = make_reachable(people["other_county_admin"], "410307004", 60, channels=("phone",))
    return call_add(actor=specialist, person=person, reason="偃师")


def _person(people, seq, channels=("phone",)):
    return make_reachable(people["county_admin"], "410329001", seq, channels=channels)


def _post(client, url, data=None, **extra):
    return client.post(url, data or {}, content_type="application/json", **extra)


def test_list_is_scoped_masked_filtered_and_audited(client, people, caller, posting, yanshi_call):
    a = _person(people, 61)
    b = _person(people, 62)
    m1 = call_add(actor=caller, person=a, reason="返乡就业 岗位", postings=[posting.pk])
    m2 = call_add(actor=caller, person=b, reason="培训通知")
    body = client.get(API).json()
    assert body["count"] == 2
    assert [i["id"] for i in body["items"]] == [m1.pk, m2.pk]
    first = body["items"][0]
    assert first["phone"] == a.phone_masked != phone_of(61)
    assert phone_of(61) not in str(body)
    assert (first["name"], first["reason"], first["state"], first["may_call"]) == (
        a.name,
        "返乡就业 岗位",
        "queued",
        True,
    )
    assert [(p["id"], p["title"], p["enterprise"], p["open"]) for p in first["postings"]] == [
        (posting.pk, "电焊工", "电话接口企业", True)
    ]
    assert [i["id"] for i in client.get(API, {"q": "培训"}).json()["items"]] == [m2.pk]
    assert client.get(API, {"area": "410307"}).json() == {"items": [], "count": 0}
    assert client.get(API, {"page": 2}).json() == {"items": [], "count": 2}
    event = AuditEvent.objects.filter(object_type="outreach.message", action="view").latest("id")
    assert event.changes["api"] is True
    assert event.actor_id == caller.pk
    # The city sees both counties' calls.
    client.force_login(people["city_admin"], backend=BACKEND)
    assert {i["id"] for i in client.get(API).json()["items"]} == {m1.pk, m2.pk, yanshi_call.pk}


def test_add_creates_a_call_and_is_idempotent(client, people, caller, posting):
    person = _person(people, 63)
    data = {"person_id": person.pk, "reason": "春风行动", "postings": [posting.pk], "note": "下午打"}
    created = _post(client, API, data)
    assert created.status_code == 201, created.content
    out = created.json()
    message = Message.objects.get(pk=out["id"])
    assert (message.channel, message.state, message.postings, message.call_note) == (
        "phone",
        "queued",
        [posting.pk],
        "下午打",
    )
    assert (out["state"], out["phone"], out["note"]) == ("queued", person.phone_masked, "下午打")
    assert _post(client, API, data).json()["id"] == message.pk
    assert Message.objects.filter(channel="phone").count() == 1
    # No phone consent: recorded as skipped, never listed.
    never = _person(people, 64, channels=("sms",))
    skipped = _post(client, API, {"person_id": never.pk, "reason": "x"})
    assert (skipped.status_code, skipped.json()["state"], skipped.json()["may_call"]) == (
        201,
        "skipped",
        False,
    )


def test_add_refuses_bad_input_out_of_scope_people_and_roles(client, people, caller):
    yanshi = make_reachable(people["other_county_admin"], "410307004", 65, channels=("phone",))
    person = _person(people, 66)
    outside = _post(client, API, {"person_id": yanshi.pk, "reason": "x"})
    no_reason = _post(client, API, {"person_id": person.pk, "reason": "  "})
    bad_posting = _post(client, API, {"person_id": person.pk, "reason": "x", "postings": [999999]})
    not_json = client.post(API, "nonsense", content_type="application/json")
    assert outside.status_code == 400
    assert outside.json()["detail"] == {"person_id": ["No such person in your area."]}
    assert (no_reason.status_code, list(no_reason.json()["detail"])) == (400, ["reason"])
    assert (bad_posting.status_code, list(bad_posting.json()["detail"])) == (400, ["postings"])
    assert not_json.status_code == 400
    client.force_login(people["viewer"], backend=BACKEND)
    assert _post(client, API, {"person_id": person.pk, "reason": "x"}).status_code == 403
    assert client.get(API).status_code == 403
    assert not Message.objects.filter(channel="phone").exists()


def test_dial_reveals_the_number_through_the_audited_unmask(client, people, caller, yanshi_call):
    person = _person(people, 67)
    message = call_add(actor=caller, person=person, reason="回访")
    dial = _post(client, f"{API}/{message.pk}/dial")
    assert dial.status_code == 200
    assert (dial.json()["id"], dial.json()["phone"], dial.json()["call"]["phone"]) == (
        message.pk,
        phone_of(67),
        person.phone_masked,
    )
    event = AuditEvent.objects.filter(action="unmask").latest("id")
    assert (event.object_type, event.object_id, event.reason, event.actor_id) == (
        "registry.person",
        str(person.pk),
        "电话联系",
        caller.pk,
    )
    unmasks = AuditEvent.objects.filter(action="unmask").count()
    assert _post(client, f"{API}/{yanshi_call.pk}/dial").status_code == 404
    assert _post(client, f"{API}/999999/dial").status_code == 404
    consent_record(actor=people["county_admin"], person=person, channel="phone", granted=False)
    assert _post(client, f"{API}/{message.pk}/dial").status_code == 400
    assert AuditEvent.objects.filter(action="unmask").count() == unmasks


def test_interested_with_open_case_reports_referrals_and_records(client, people, caller, posting):
    person = _person(people, 68)
    case = make_case(person)
    message = call_add(actor=caller, person=person, reason="岗位", postings=[posting.pk])
    url = f"{API}/{message.pk}/outcome"
    out = _post(client, url, {"outcome": "interested", "note": "想去", "guidance_given": True})
    assert out.status_code == 200, out.content
    body = out.json()
    referral = Referral.objects.get()
    records = ServiceRecord.objects.filter(case=case)
    assert (referral.person, referral.posting, referral.source) == (person, posting, "staff")
    assert body["referrals"] == [referral.pk]
    assert sorted(body["service_records"]) == sorted(r.pk for r in records)
    assert sorted(records.values_list("kind", flat=True)) == ["guidance", "job_offer"]
    assert (body["state"], body["outcome"], body["attempts"], body["relisted_on"], body["not_done"]) == (
        "delivered",
        "interested",
        1,
        None,
        [],
    )
    again = _post(client, url, {"outcome": "reached"})
    assert again.status_code == 400
    assert ServiceRecord.objects.count() == 2


def test_interested_reports_a_skipped_referral(client, people, caller, posting):
    person = _person(people, 69)
    first = call_add(actor=caller, person=person, reason="a", postings=[posting.pk])
    assert _post(client, f"{API}/{first.pk}/outcome", {"outcome": "interested"}).status_code == 200
    second = call_add(actor=caller, person=person, reason="b", postings=[posting.pk])
    body = _post(client, f"{API}/{second.pk}/outcome", {"outcome": "interested"}).json()
    assert body["referrals"] == []
    assert len(body["not_done"]) == 1
    assert "already has an open referral" in body["not_done"][0]
    assert Referral.objects.count() == 1


def test_no_answer_says_when_the_call_is_back(client, people, caller):
    person = _person(people, 70)
    message = call_add(actor=caller, person=person, reason="回访")
    body = _post(client, f"{API}/{message.pk}/outcome", {"outcome": "no_answer"}).json()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert (body["state"], body["attempts"], body["relisted_on"]) == ("queued", 1, tomorrow.isoformat())
    assert client.get(API).json()["count"] == 0


def test_outcome_refusals_change_nothing(client, people, caller, yanshi_call):
    person = _person(people, 71)
    message = call_add(actor=caller, person=person, reason="回访")
    url = f"{API}/{message.pk}/outcome"
    assert _post(client, url, {"outcome": "maybe"}).status_code == 400
    assert client.post(url, "nonsense", content_type="application/json").status_code == 400
    assert _post(client, f"{API}/{yanshi_call.pk}/outcome", {"outcome": "reached"}).status_code == 404
    # A role without the call list: 403 before the body or the id is looked at.
    client.force_login(people["viewer"], backend=BACKEND)
    assert client.post(url, "nonsense", content_type="application/json").status_code == 403
    for m in (message, yanshi_call):
        m.refresh_from_db()
        assert (m.state, m.call_outcome, m.attempts) == ("queued", "", 0)


def test_withdrawn_consent_skips_the_call(client, people, caller):
    person = _person(people, 72)
    message = call_add(actor=caller, person=person, reason="回访")
    consent_record(actor=people["county_admin"], person=person, channel="phone", granted=False)
    body = _post(client, f"{API}/{message.pk}/outcome", {"outcome": "reached"}).json()
    assert (body["state"], body["outcome"]) == ("skipped", "")


def test_bearer_token_works_and_worker_or_anonymous_do_not(client, people):
    token = token_create(user=people["county_admin"])
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    viewer_token = token_create(user=people["viewer"])
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {viewer_token}").status_code == 403
    assert client.get(API).status_code == 401
    client.force_login(people["worker"], backend=BACKEND)
    assert client.get(API).status_code == 401
