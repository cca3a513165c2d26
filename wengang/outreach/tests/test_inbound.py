"""Replies: TD opts out on that channel at once; "1" to a job message refers the person to its posting."""

from __future__ import annotations

import pytest
from django.utils import timezone

from wengang.employers.tests.factories import make_enterprise
from wengang.jobs.models import Referral
from wengang.jobs.tests.factories import make_posting
from wengang.outreach.choices import InboundAction, MessageState
from wengang.outreach.inbound import inbound_handle
from wengang.outreach.outbox import message_enqueue
from wengang.registry.models import Consent

from .factories import make_reachable, phone_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("word", ["TD", "td", "ＴＤ", " 退订 ", "T", "n"])
def test_opt_out_words_withdraw_sms_consent(people, word):
    person = make_reachable(people["county_admin"], "410329001", 21, channels=("sms", "wechat"))
    reply = inbound_handle(channel="sms", sender="+86 " + phone_of(21), body=word, gateway_ref="mo-1")
    person.refresh_from_db()
    assert reply.action == InboundAction.OPT_OUT
    assert reply.person == person
    assert person.consent_sms is False
    assert person.consent_wechat is True
    assert Consent.objects.filter(person=person, channel="sms", granted=False, source="reply").exists()
    assert inbound_handle(channel="sms", sender=phone_of(21), body=word, gateway_ref="mo-1").pk == reply.pk


def test_interest_reply_refers_to_the_posting_of_the_last_job_message(people):
    person = make_reachable(people["county_admin"], "410329001", 22)
    posting = make_posting(make_enterprise(name="回复测试企业", area_code="410329"))
    message = message_enqueue(
        channel="sms",
        idempotency_key="job-1",
        body="电焊工",
        person=person,
        postings=[posting.pk],
        kick=False,
    )
    message.state = MessageState.SENT
    message.sent_at = timezone.now()
    message.save()
    reply = inbound_handle(channel="sms", sender=phone_of(22), body="1")
    assert reply.action == InboundAction.INTEREST
    assert reply.in_reply_to == message
    referral = Referral.objects.get(person=person, posting=posting)
    assert referral.source == "self"
    assert reply.referral == referral


def test_unknown_sender_and_unrecognised_words_are_recorded(people):
    make_reachable(people["county_admin"], "410329001", 23)
    assert (
        inbound_handle(channel="sms", sender="13800000000", body="TD").action == InboundAction.UNKNOWN_SENDER
    )
    assert (
        inbound_handle(channel="sms", sender=phone_of(23), body="你好").action == InboundAction.UNRECOGNISED
    )
    assert inbound_handle(channel="sms", sender=phone_of(23), body="1").action == InboundAction.UNRECOGNISED
