"""The outbox and the relay: idempotent queuing, consent and quiet hours at send time, retries, crashes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wengang.outreach import sms
from wengang.outreach.backends import MemoryBackend, PermanentError, TransientError
from wengang.outreach.choices import MessageState
from wengang.outreach.models import Message
from wengang.outreach.outbox import message_enqueue
from wengang.outreach.receipts import receipt_record
from wengang.outreach.relay import in_quiet_hours, reclaim_stale, relay_once
from wengang.registry.consent import consent_record

from .factories import make_reachable, phone_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def memory():
    MemoryBackend.reset()
    yield MemoryBackend
    MemoryBackend.reset()


# Tomorrow, so that messages queued now are due.
_TOMORROW = timezone.localdate() + dt.timedelta(days=1)
NOON = timezone.make_aware(dt.datetime.combine(_TOMORROW, dt.time(12)), timezone.get_current_timezone())
NIGHT = timezone.make_aware(dt.datetime.combine(_TOMORROW, dt.time(22, 30)), timezone.get_current_timezone())


def test_segments_are_counted_as_operators_count():
    assert sms.segment_count("") == 0
    assert sms.segment_count("a" * 160) == 1
    assert sms.segment_count("a" * 161) == 2
    assert sms.segment_count("岗" * 70) == 1
    assert sms.segment_count("岗" * 71) == 2
    assert sms.segment_count("岗" * 134) == 2
    assert sms.segment_count("岗" * 135) == 3
    assert [len(p) for p in sms.split_parts("岗" * 140)] == [67, 67, 6]


def test_text_carries_signature_and_opt_out_unless_essential():
    assert sms.sms_text("有新岗位", essential=False) == "【洛阳人社】有新岗位回复TD退订"
    assert sms.sms_text("验证码123456", essential=True) == "【洛阳人社】验证码123456"


def test_enqueue_is_idempotent_and_skips_the_unconsenting(people):
    person = make_reachable(people["county_admin"], "410329001", 1)
    first = message_enqueue(channel="sms", idempotency_key="k1", body="你好", person=person, kick=False)
    again = message_enqueue(channel="sms", idempotency_key="k1", body="你好", person=person, kick=False)
    assert first.pk == again.pk
    assert first.state == MessageState.QUEUED
    assert first.segments == 1
    wechat = message_enqueue(channel="wechat", idempotency_key="k2", body="你好", person=person, kick=False)
    assert wechat.state == MessageState.SKIPPED  # no WeChat consent
    essential = message_enqueue(
        channel="wechat", idempotency_key="k3", body="班车改时", person=person, essential=True, kick=False
    )
    assert essential.state == MessageState.QUEUED
    inbox = message_enqueue(channel="app", idempotency_key="k4", body="站内", person=person, kick=False)
    assert inbox.state == MessageState.SKIPPED  # no in-site consent either


def test_relay_sends_once_with_signature_and_records_state(people, memory):
    person = make_reachable(people["county_admin"], "410329001", 2)
    message = message_enqueue(channel="sms", idempotency_key="r1", body="岗位推荐", person=person, kick=False)
    stats = relay_once("sms", limit=10, backend=memory(), now=NOON)
    assert stats.sent == 1
    assert [(o.address, o.body) for o in memory.outbox] == [(phone_of(2), "【洛阳人社】岗位推荐回复TD退订")]
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert message.attempts == 1
    assert message.sent_at
    assert relay_once("sms", limit=10, backend=memory(), now=NOON).counts == {}
    assert len(memory.outbox) == 1


def test_withdrawn_consent_at_send_time_skips(people, memory):
    person = make_reachable(people["county_admin"], "410329001", 3)
    message = message_enqueue(channel="sms", idempotency_key="w1", body="岗位", person=person, kick=False)
    consent_record(actor=people["county_admin"], person=person, channel="sms", granted=False)
    relay_once("sms", limit=10, backend=memory(), now=NOON)
    message.refresh_from_db()
    assert message.state == MessageState.SKIPPED
    assert memory.outbox == []


def test_quiet_hours_hold_then_release(people, memory, settings):
    settings.WENGANG_OUTREACH = {**settings.WENGANG_OUTREACH, "quiet_channels": ("sms",)}
    person = make_reachable(people["county_admin"], "410329001", 4)
    assert in_quiet_hours("sms", NOON) is None
    until = in_quiet_hours("sms", NIGHT)
    assert until is not None
    assert timezone.localtime(until).hour == 8
    assert in_quiet_hours("wechat", NIGHT) is None
    plain = message_enqueue(channel="sms", idempotency_key="q1", body="岗位", person=person, kick=False)
    urgent = message_enqueue(
        channel="sms", idempotency_key="q2", body="班车改时", person=person, urgent=True, kick=False
    )
    from wengang.outreach.relay import hold_for_quiet_hours

    Message.objects.update(created_at=NIGHT, next_attempt_at=NIGHT)
    assert hold_for_quiet_hours("sms", NIGHT) == 1
    relay_once("sms", limit=10, backend=memory(), now=NIGHT)
    plain.refresh_from_db()
    urgent.refresh_from_db()
    assert plain.state == MessageState.HELD
    assert urgent.state == MessageState.SENT
    relay_once("sms", limit=10, backend=memory(), now=until + dt.timedelta(minutes=1))
    plain.refresh_from_db()
    assert plain.state == MessageState.SENT


def test_transient_errors_retry_with_backoff_and_permanent_fail(people, memory):
    a = make_reachable(people["county_admin"], "410329001", 5)
    b = make_reachable(people["county_admin"], "410329001", 6)
    memory.fail[phone_of(5)] = TransientError("HTTP 503")
    memory.fail[phone_of(6)] = PermanentError("invalid number")
    ma = message_enqueue(channel="sms", idempotency_key="t1", body="岗位", person=a, kick=False)
    mb = message_enqueue(channel="sms", idempotency_key="t2", body="岗位", person=b, kick=False)
    relay_once("sms", limit=10, backend=memory(), now=NOON)
    ma.refresh_from_db()
    mb.refresh_from_db()
    assert ma.state == MessageState.QUEUED
    assert ma.attempts == 1
    assert "503" in ma.last_error
    assert ma.next_attempt_at > timezone.now() + dt.timedelta(seconds=10)
    assert mb.state == MessageState.FAILED
    assert "invalid" in mb.last_error
    memory.fail.clear()
    relay_once("sms", limit=10, backend=memory(), now=ma.next_attempt_at + dt.timedelta(seconds=1))
    ma.refresh_from_db()
    assert ma.state == MessageState.SENT
    assert ma.attempts == 2


def test_a_dead_relays_batch_is_requeued_after_the_lease(people, memory):
    person = make_reachable(people["county_admin"], "410329001", 7)
    message = message_enqueue(channel="sms", idempotency_key="c1", body="岗位", person=person, kick=False)
    lapsed = timezone.now() - dt.timedelta(seconds=5)
    Message.objects.filter(pk=message.pk).update(state=MessageState.SENDING, claimed_until=lapsed)

    class Confirming(MemoryBackend):
        confirms_by_receipt = True

    assert reclaim_stale("sms", timezone.now(), Confirming()) == 0  # waits for the gateway's report
    receipt_record(channel="sms", status="submitted", message_id=message.pk)
    message.refresh_from_db()
    assert message.state == MessageState.SENT  # the report says it went: never resent
    Message.objects.filter(pk=message.pk).update(state=MessageState.SENDING, claimed_until=lapsed)
    assert reclaim_stale("sms", timezone.now(), memory()) == 1


def test_receipts_never_move_backwards(people, memory):
    person = make_reachable(people["county_admin"], "410329001", 8)
    message = message_enqueue(channel="sms", idempotency_key="d1", body="岗位", person=person, kick=False)
    relay_once("sms", limit=10, backend=memory(), now=NOON)
    receipt_record(channel="sms", status="delivered", message_id=message.pk)
    receipt_record(channel="sms", status="submitted", message_id=message.pk)
    message.refresh_from_db()
    assert message.state == MessageState.DELIVERED
    assert message.delivered_at
    assert message.receipts.count() == 2


@pytest.mark.django_db(transaction=True)
def test_pipelined_drain_sends_each_message_once(regions_loaded, memory, settings):
    from wengang.accounts.tests.factories import make_user
    from wengang.outreach.relay import relay_drain

    conf = dict(settings.WENGANG_OUTREACH)
    conf["rate_per_s"] = {**conf["rate_per_s"], "sms": 200}
    settings.WENGANG_OUTREACH = conf
    admin = make_user("drain_admin", "county_admin", "410329")
    people = [make_reachable(admin, "410329001", 40 + i) for i in range(30)]
    for i, person in enumerate(people):
        message_enqueue(channel="sms", idempotency_key=f"p{i}", body="岗位", person=person, kick=False)
    stats = relay_drain("sms", max_seconds=30, backend=memory(), batch=7)
    assert stats.sent == 30
    assert sorted(o.address for o in memory.outbox) == sorted(phone_of(40 + i) for i in range(30))
    assert not Message.objects.exclude(state=MessageState.SENT).exists()


@pytest.mark.django_db(transaction=True)
def test_a_batch_claimed_ahead_is_given_back_when_the_relay_stops(regions_loaded, memory):
    from wengang.accounts.tests.factories import make_user
    from wengang.outreach.relay import Prepared, claim, release

    admin = make_user("release_admin", "county_admin", "410329")
    person = make_reachable(admin, "410329001", 90)
    message = message_enqueue(channel="sms", idempotency_key="rel", body="岗位", person=person, kick=False)
    batch = claim("sms", 10, timezone.now())
    assert [m.pk for m in batch] == [message.pk]
    assert release(Prepared(by_id={m.pk: m for m in batch})) == 1
    message.refresh_from_db()
    assert message.state == MessageState.QUEUED
    assert message.claimed_until is None
