"""SMS through a real Kannel (bearerbox + smsbox, fakesmsc as the operator), reports and replies to a live
server. Skipped, saying why, where Kannel is not installed (``make gateway-deps``)."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from wengang.outreach import sms
from wengang.outreach.backends.kannel import KannelBackend, dlr_token
from wengang.outreach.choices import InboundAction, MessageState
from wengang.outreach.models import Inbound, Message, Receipt
from wengang.outreach.outbox import message_enqueue
from wengang.outreach.relay import relay_drain

from .factories import make_reachable, phone_of
from .kannel_harness import KannelGateway, free_port, kannel_gateway

MO_TOKEN = "mo-test-token"  # noqa: S105


def _wait(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    return check()


def _conf(settings, kannel_settings: dict, callback: str) -> None:
    settings.WENGANG_OUTREACH = {
        **settings.WENGANG_OUTREACH,
        "backends": {**settings.WENGANG_OUTREACH["backends"], "sms": "kannel"},
        "kannel": {**kannel_settings, "callback_url": callback, "dlr_mask": 31, "workers": 8},
        "gateway_token": MO_TOKEN,
        "quiet_channels": (),  # the tests run at any hour
        "rate_per_s": {**settings.WENGANG_OUTREACH["rate_per_s"], "sms": 100.0},
    }


@pytest.fixture
def kannel(transactional_db, regions_loaded, live_server, tmp_path, settings):
    gateway = kannel_gateway(tmp_path, live_server.url, mo_token=MO_TOKEN)
    _conf(settings, gateway.settings(), gateway.callback)
    yield gateway
    gateway.stop()


def _state(message: Message) -> str:
    message.refresh_from_db()
    return message.state


def test_job_message_reaches_the_operator_whole_and_reports_come_back(kannel: KannelGateway, people):
    person = make_reachable(people["county_admin"], "410329001", 1)
    short = message_enqueue(
        channel="sms", idempotency_key="k-short", body="伊川县招聘普工，月薪4500元", person=person, kick=False
    )
    long_body = "洛阳某电子厂招聘装配工" + "，包吃包住，月薪五千" * 12
    assert sms.segment_count(sms.sms_text(long_body, essential=False)) == 3
    long = message_enqueue(channel="sms", idempotency_key="k-long", body=long_body, person=person, kick=False)

    stats = relay_drain("sms")

    assert stats.sent == 2
    got = kannel.wait_received(2)
    assert sorted((r.receiver, r.text, r.parts) for r in got) == sorted(
        [
            (phone_of(1), "【洛阳人社】伊川县招聘普工，月薪4500元回复TD退订", 1),
            (phone_of(1), sms.sms_text(long_body, essential=False), 3),
        ]
    )
    assert all(r.sender == "12333" for r in got)
    # fakesmsc acknowledges (report 8, "submitted") and reports delivery (report 1).
    assert _wait(lambda: _state(short) == MessageState.DELIVERED and _state(long) == MessageState.DELIVERED)
    short.refresh_from_db()
    assert short.sent_at is not None
    assert short.delivered_at is not None
    assert short.attempts == 1
    assert set(Receipt.objects.filter(message=short).values_list("status", flat=True)) == {
        "submitted",
        "delivered",
    }


def test_unreachable_kannel_is_retried_later_and_a_refusal_fails(kannel: KannelGateway, people, settings):
    person = make_reachable(people["county_admin"], "410329001", 2)
    message = message_enqueue(
        channel="sms", idempotency_key="k-down", body="招聘信息", person=person, kick=False
    )
    down = {**settings.WENGANG_OUTREACH["kannel"], "url": f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms"}
    settings.WENGANG_OUTREACH = {**settings.WENGANG_OUTREACH, "kannel": down}

    stats = relay_drain("sms")

    message.refresh_from_db()
    assert stats.counts["retried"] == 1
    assert (message.state, message.attempts) == (MessageState.QUEUED, 1)
    assert "Kannel unreachable" in message.last_error
    assert message.next_attempt_at > message.created_at

    # Kannel up but refusing our credentials (HTTP 403): permanent, never retried.
    refused = message_enqueue(
        channel="sms", idempotency_key="k-403", body="招聘信息", person=person, kick=False
    )
    wrong = {**down, "url": kannel.sendsms_url, "password": "wrong"}
    settings.WENGANG_OUTREACH = {**settings.WENGANG_OUTREACH, "kannel": wrong}
    relay_drain("sms")
    refused.refresh_from_db()
    assert (refused.state, refused.attempts) == (MessageState.FAILED, 1)
    assert refused.last_error.startswith("Kannel HTTP 403")
    assert kannel.received() == []


def test_td_reply_opts_out_and_the_queued_message_is_skipped(kannel: KannelGateway, people):
    person = make_reachable(people["county_admin"], "410329001", 3)
    other = make_reachable(people["county_admin"], "410329001", 4)
    queued = message_enqueue(
        channel="sms", idempotency_key="k-td", body="招聘普工", person=person, kick=False
    )

    kannel.mo(phone_of(3), "TD")
    kannel.mo(phone_of(4), "退订")

    replies = _wait(lambda: Inbound.objects.count() == 2 and list(Inbound.objects.all()))
    assert {(r.person_id, r.action) for r in replies} == {
        (person.pk, InboundAction.OPT_OUT),
        (other.pk, InboundAction.OPT_OUT),
    }
    assert {r.body for r in replies} == {"TD", "退订"}
    person.refresh_from_db()
    assert person.consent_sms is False

    stats = relay_drain("sms")

    assert stats.counts["skipped"] == 1
    assert _state(queued) == MessageState.SKIPPED
    time.sleep(0.5)  # nothing may arrive at the operator: no message, and no reply to the opt-out
    assert kannel.received() == []


def test_reports_and_replies_need_their_tokens(db, settings):
    settings.WENGANG_OUTREACH = {**settings.WENGANG_OUTREACH, "gateway_token": MO_TOKEN}
    client = Client()
    dlr = reverse("outreach:kannel_dlr")
    mo = reverse("outreach:kannel_mo")
    assert client.get(dlr, {"m": 7, "k": "forged", "type": 1}).status_code == 403
    assert client.get(dlr, {"m": 7, "k": dlr_token(8), "type": 1}).status_code == 403
    assert client.get(dlr, {"m": "x", "type": 1}).status_code == 400
    # A valid token for a message we do not have is recorded and changes nothing.
    assert client.get(dlr, {"m": 7, "k": dlr_token(7), "type": 1}).status_code == 200
    assert Receipt.objects.get().message is None
    assert client.get(dlr, {"m": 7, "k": dlr_token(7), "type": 4}).status_code == 200  # buffered: ignored
    assert Receipt.objects.count() == 1
    assert client.get(mo, {"k": "nope", "from": phone_of(1), "text": "TD"}).status_code == 403
    assert client.post(mo, {"k": MO_TOKEN}).status_code == 405
    assert Inbound.objects.count() == 0
    settings.WENGANG_OUTREACH = {**settings.WENGANG_OUTREACH, "gateway_token": ""}
    assert client.get(mo, {"k": "", "from": phone_of(1), "text": "TD"}).status_code == 403


def test_backend_maps_answers_to_outcomes(settings):
    from wengang.outreach.backends import Outgoing, PermanentError, TransientError

    backend = KannelBackend(
        {"url": f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms", "user": "u", "password": "p", "from": "1"}
    )
    item = Outgoing(message_id=5, key="k", channel="sms", address="13900000001", body="【洛阳人社】你好")
    params = backend.params(item)
    assert (params["coding"], params["charset"], params["dlr-mask"]) == ("2", "UTF-8", "31")
    assert f"m=5&k={dlr_token(5)}&type=%d" in params["dlr-url"]
    [outcome] = backend.send_many([item])
    assert isinstance(outcome, TransientError)
    assert not isinstance(outcome, PermanentError)
    backend.close()


def test_pacer_never_starts_more_than_the_rate_in_any_second():
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    from wengang.outreach.backends.kannel import Pacer

    granted: list[float] = []

    class Recorded(deque):  # the times the pacer grants, as it grants them (under its lock)
        def append(self, x: float) -> None:
            granted.append(x)
            super().append(x)

    pacer = Pacer(100)
    pacer.starts = Recorded()

    # Timestamps taken by the threads after ``wait`` returns would carry scheduling jitter (a loaded CI
    # machine once put 101 of them in one second though the grants were not): judge the grants themselves.
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: pacer.wait(), range(250)))
    assert len(granted) == 250
    busiest = max(sum(1 for t in granted[i:] if t < start + 1.0) for i, start in enumerate(granted))
    assert busiest <= 100
    assert all(b >= a + pacer.spacing for a, b in zip(granted, granted[1:], strict=False))
    # The rate is reached: the 101st start waits for the 1st one's second to end, the 201st for the 101st's,
    # and the 250 starts take little more than that (the bound is loose for a busy machine).
    assert 2.0 <= granted[-1] - granted[0] < 4.0
