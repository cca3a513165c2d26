"""SMS over SMPP against a real SMPP server on localhost (the ``smpp34`` server, driven by ``SmppPeer``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
from typing import Any

import pytest
import smpp34
from django.core.management import call_command
from django.utils import timezone

from wengang.outreach import sms
from wengang.outreach.backends.smpp import SmppBackend
from wengang.outreach.choices import InboundAction, MessageState
from wengang.outreach.models import Inbound, Message, Receipt
from wengang.outreach.outbox import message_enqueue
from wengang.outreach.relay import relay_once

from .factories import make_reachable, phone_of

pytestmark = pytest.mark.django_db

_TOMORROW = timezone.localdate() + dt.timedelta(days=1)
NOON = timezone.make_aware(dt.datetime.combine(_TOMORROW, dt.time(12)), timezone.get_current_timezone())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def receipt_text(ref: str, stat: str) -> bytes:
    return (
        f"id:{ref} sub:001 dlvrd:001 submit date:2611281200 done date:2611281201 stat:{stat} err:000 text:"
    ).encode()


class SmppPeer:
    """An SMSC on localhost: accepts submit_sm (or rejects it for chosen numbers), sends a delivery
    receipt for each accepted part, and pushes queued deliver_sm (replies, receipts) to the next bind."""

    def __init__(self) -> None:
        self.port = free_port()
        self.submits: list[dict[str, Any]] = []
        self.reject: dict[str, int] = {}
        self.stat: dict[str, str] = {}  # number → receipt stat (DELIVRD by default)
        self.push: list[dict[str, Any]] = []  # deliver_sm to send to the next session that can receive
        self.pushed = threading.Event()
        self.binds: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._sessions: dict[str, Any] = {}
        self._count = 0

    def start(self) -> SmppPeer:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._task = self._loop.create_task(self._serve())
        try:
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass

    async def _serve(self) -> None:
        server = smpp34.Server("127.0.0.1", self.port, system_id="peer")
        await server.start()
        self._ready.set()
        try:
            while True:
                event = await server.next()
                if isinstance(event, smpp34.Esme):
                    self._sessions[event.session_id] = event
                    self.binds.append(event.system_id)
                    if event.can_receive and self.push:
                        pushes, self.push = self.push, []
                        for pdu in pushes:
                            await event.deliver_sm(**pdu)
                        self.pushed.set()
                elif isinstance(event, smpp34.SubmitSmEvent):
                    await self._submit(event)
                elif isinstance(event, smpp34.Unbound):
                    self._sessions.pop(event.session_id, None)
        finally:
            await server.stop()

    async def _submit(self, event: Any) -> None:
        self.submits.append(
            {
                "to": event.destination_addr,
                "source": event.source_addr,
                "data_coding": event.data_coding,
                "esm_class": event.esm_class,
                "registered_delivery": event.registered_delivery,
                "short_message": event.short_message,
            }
        )
        status = self.reject.get(event.destination_addr)
        if status is not None:
            event.reject(status)
            return
        self._count += 1
        ref = f"smsc{self._count:04d}"
        event.accept(ref)
        session = self._sessions.get(event.session_id)
        if event.registered_delivery and session is not None and session.can_receive:
            stat = self.stat.get(event.destination_addr, "DELIVRD")
            text = receipt_text(ref, stat)
            asyncio.ensure_future(
                session.deliver_sm(event.source_addr, text, source_addr=event.destination_addr, esm_class=4)
            )


@pytest.fixture
def peer(settings):
    peer = SmppPeer().start()
    conf = dict(settings.WENGANG_OUTREACH)
    conf["smpp"] = {
        "host": "127.0.0.1",
        "port": peer.port,
        "system_id": "wengang",
        "password": "secret",
        "source": "1069012333",
        "timeout_s": 3,
        "linger_s": 2,
    }
    settings.WENGANG_OUTREACH = conf
    yield peer
    peer.stop()


def relay_with_smpp() -> Any:
    backend = SmppBackend()
    try:
        return relay_once("sms", limit=10, backend=backend, now=NOON)
    finally:
        backend.close()


def text_of(parts: list[dict[str, Any]]) -> str:
    """Join UCS-2 parts, dropping each part's concatenation header."""
    raw = b"".join(p["short_message"][1 + p["short_message"][0] :] for p in parts)
    return raw.decode("utf-16-be")


def test_long_chinese_text_goes_in_parts_and_its_receipt_delivers_it(people, peer):
    person = make_reachable(people["county_admin"], "410329001", 41)
    body = "伊川县彭婆镇招聘电焊工十名，月薪六千至八千元，包吃住，缴纳五险，年龄十八至五十五岁。" * 3
    message = message_enqueue(
        channel="sms", idempotency_key="smpp-long", body=body, person=person, kick=False
    )
    expected = sms.sms_text(body, essential=False)
    assert message.segments == 3

    stats = relay_with_smpp()

    assert stats.counts == {"sent": 1}
    assert len(peer.submits) == 3
    assert {(s["to"], s["data_coding"], s["esm_class"], s["registered_delivery"]) for s in peer.submits} == {
        (phone_of(41), 8, 0x40, 1)
    }
    assert {s["source"] for s in peer.submits} == {"1069012333"}
    assert [s["short_message"][5] for s in peer.submits] == [1, 2, 3]  # part numbers in the UDH
    assert text_of(peer.submits) == expected
    message.refresh_from_db()
    assert message.gateway_ref == "smsc0001"
    assert message.state == MessageState.DELIVERED
    assert message.delivered_at is not None
    assert message.attempts == 1
    assert list(Receipt.objects.filter(message=message).values_list("status", "detail")) == [
        ("delivered", "SMPP DELIVRD err:000")
    ]


def test_undelivered_receipt_fails_the_message(people, peer):
    person = make_reachable(people["county_admin"], "410329001", 42)
    peer.stat[phone_of(42)] = "UNDELIV"
    message = message_enqueue(
        channel="sms", idempotency_key="smpp-undeliv", body="短", person=person, kick=False
    )

    relay_with_smpp()

    message.refresh_from_db()
    assert len(peer.submits) == 1
    assert message.state == MessageState.FAILED
    assert message.last_error == "SMPP UNDELIV err:000"


def test_throttled_answer_is_retried_and_invalid_address_fails(people, peer):
    slow = make_reachable(people["county_admin"], "410329001", 43)
    bad = make_reachable(people["county_admin"], "410329001", 44)
    peer.reject[phone_of(43)] = smpp34.ESME_RTHROTTLED
    peer.reject[phone_of(44)] = smpp34.ESME_RINVDSTADR
    throttled = message_enqueue(
        channel="sms", idempotency_key="smpp-thr", body="你好", person=slow, kick=False
    )
    invalid = message_enqueue(channel="sms", idempotency_key="smpp-inv", body="你好", person=bad, kick=False)

    stats = relay_with_smpp()

    assert stats.counts == {"retried": 1, "failed": 1}
    throttled.refresh_from_db()
    invalid.refresh_from_db()
    assert throttled.state == MessageState.QUEUED
    assert throttled.attempts == 1
    assert throttled.next_attempt_at > timezone.now()
    assert "0x00000058" in throttled.last_error
    assert invalid.state == MessageState.FAILED
    assert "0x0000000B" in invalid.last_error

    # The gateway takes it next time.
    del peer.reject[phone_of(43)]
    Message.objects.filter(pk=throttled.pk).update(next_attempt_at=timezone.now())
    assert relay_with_smpp().counts == {"sent": 1}
    throttled.refresh_from_db()
    assert throttled.state == MessageState.DELIVERED
    assert throttled.attempts == 2


def test_connection_refused_is_retried(people, settings):
    conf = dict(settings.WENGANG_OUTREACH)
    conf["smpp"] = {"host": "127.0.0.1", "port": free_port(), "system_id": "x", "password": "", "source": "1"}
    settings.WENGANG_OUTREACH = conf
    person = make_reachable(people["county_admin"], "410329001", 45)
    message = message_enqueue(
        channel="sms", idempotency_key="smpp-down", body="你好", person=person, kick=False
    )

    assert relay_with_smpp().counts == {"retried": 1}

    message.refresh_from_db()
    assert message.state == MessageState.QUEUED
    assert message.last_error.startswith("SMPP bind failed")


def test_listener_applies_receipts_and_a_td_reply_opts_out(people, peer):
    person = make_reachable(people["county_admin"], "410329001", 46, channels=("sms", "wechat"))
    earlier = message_enqueue(
        channel="sms", idempotency_key="smpp-earlier", body="早先", person=person, kick=False
    )
    Message.objects.filter(pk=earlier.pk).update(state=MessageState.SENT, gateway_ref="smsc-old-7")
    peer.push = [
        {
            "destination_addr": "1069012333",
            "short_message": receipt_text("smsc-old-7", "DELIVRD"),
            "source_addr": phone_of(46),
            "esm_class": 4,
        },
        {
            "destination_addr": "1069012333",
            "short_message": "退订".encode("utf-16-be"),
            "source_addr": phone_of(46),
            "data_coding": 8,
        },
    ]

    call_command("outreach_smpp_listener", seconds=1.0)

    assert peer.pushed.is_set()
    assert peer.binds == ["wengang"]
    earlier.refresh_from_db()
    assert earlier.state == MessageState.DELIVERED
    reply = Inbound.objects.get()
    assert (reply.channel, reply.action, reply.person, reply.body) == (
        "sms",
        InboundAction.OPT_OUT,
        person,
        "退订",
    )
    person.refresh_from_db()
    assert person.consent_sms is False
    assert person.consent_wechat is True
