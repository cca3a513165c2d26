"""The contact-history card on the person page: messages, outcomes, replies, consent, purged texts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from wengang.outreach.calls import call_add, call_record
from wengang.outreach.history import person_outreach_context
from wengang.outreach.inbound import inbound_handle
from wengang.outreach.outbox import message_enqueue

from .factories import make_reachable, phone_of

pytestmark = pytest.mark.django_db
BACKEND = "wengang.accounts.backends.StaffBackend"


@pytest.fixture
def person(people):
    person = make_reachable(people["county_admin"], "410329001", 71, channels=("sms", "phone"), name="李历史")
    message_enqueue(
        channel="sms", idempotency_key="hist-sms", body="岗位推荐：电焊工", person=person, kick=False
    )
    call = call_add(actor=people["specialist"], person=person, reason="回访就业情况")
    call_record(actor=people["specialist"], message=call, outcome="reached", note="已在宁波务工")
    inbound_handle(channel="sms", sender=phone_of(71), body="TD", gateway_ref="hist-mo")
    return person


def test_context_lists_messages_replies_and_consent(people, person):
    ctx = person_outreach_context(user=people["specialist"], person=person)
    assert [m.channel for m in ctx["sent"]] == ["phone", "sms"]
    assert ctx["sent"][0].call_outcome == "reached"
    assert [r.body for r in ctx["replies"]] == ["TD"]
    assert ctx["phone_consent"] is True
    assert ctx["can_call"] is True
    assert person_outreach_context(user=people["viewer"], person=person) == {"hidden": True}


def test_person_page_shows_the_card_and_hides_purged_texts(client, people, person):
    client.force_login(people["specialist"], backend=BACKEND)
    url = reverse("registry:person_detail", kwargs={"pk": person.pk})
    html = client.get(url).content.decode()
    assert 'data-testid="person-outreach"' in html
    assert "岗位推荐：电焊工" in html
    assert "已在宁波务工" in html
    assert reverse("outreach:call_add", kwargs={"person_pk": person.pk}) in html
    person.outreach_messages.filter(channel="sms").update(body="", purged_at=timezone.now())
    html = client.get(url).content.decode()
    assert "岗位推荐：电焊工" not in html
    assert html.count('data-testid="outreach-message"') == 2


def test_no_add_form_without_phone_consent(client, people, person):
    from wengang.registry.consent import consent_record

    consent_record(actor=people["county_admin"], person=person, channel="phone", granted=False)
    client.force_login(people["specialist"], backend=BACKEND)
    html = client.get(reverse("registry:person_detail", kwargs={"pk": person.pk})).content.decode()
    assert 'data-testid="no-calls"' in html
    assert 'data-testid="call-add"' not in html
