"""E-mail to enterprises through a real SMTP server on localhost (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from wengang.outreach.backends.email import SmtpBackend, message_id_for
from wengang.outreach.choices import MessageState
from wengang.outreach.outbox import message_enqueue
from wengang.outreach.relay import relay_once

pytestmark = pytest.mark.django_db

_TOMORROW = timezone.localdate() + dt.timedelta(days=1)
NOON = timezone.make_aware(dt.datetime.combine(_TOMORROW, dt.time(12)), timezone.get_current_timezone())


class Catcher:
    """Keeps what arrives; refuses chosen recipients with a given reply."""

    def __init__(self) -> None:
        self.mails: list[email.message.EmailMessage] = []
        self.connections = 0
        self.refuse: dict[str, str] = {}

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.mails.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def catcher(settings):
    handler = Catcher()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    conf = dict(settings.WENGANG_OUTREACH)
    conf["email"] = {"host": "127.0.0.1", "port": controller.port, "from": "noreply@rsj.example.cn"}
    settings.WENGANG_OUTREACH = conf
    yield handler
    controller.stop()


def relay():
    return relay_once("email", limit=10, backend=SmtpBackend(), now=NOON)


def to_enterprise(key, address, subject="招聘会邀请", body="贵公司好：伊川县春季招聘会三月五日举行。"):
    return message_enqueue(
        channel="email", idempotency_key=key, address=address, subject=subject, body=body, kick=False
    )


def test_mail_arrives_with_utf8_subject_and_message_id_from_the_key(catcher):
    first = to_enterprise("mail-1", "hr@qiye.example.cn")
    second = to_enterprise("mail-2", "boss@qiye.example.cn", subject="岗位审核结果")

    assert relay().counts == {"sent": 2}

    assert catcher.connections == 1  # one connection for the batch
    assert [m["To"] for m in catcher.mails] == ["hr@qiye.example.cn", "boss@qiye.example.cn"]
    mail = catcher.mails[0]
    assert mail["Subject"] == "招聘会邀请"
    assert mail["From"] == "noreply@rsj.example.cn"
    assert mail["Message-ID"] == message_id_for("mail-1", "noreply@rsj.example.cn")
    assert mail.get_content().strip() == "贵公司好：伊川县春季招聘会三月五日举行。"
    assert mail.get_content_charset() == "utf-8"
    assert catcher.mails[1]["Subject"] == "岗位审核结果"
    for message in (first, second):
        message.refresh_from_db()
        assert message.state == MessageState.SENT
        assert message.sent_at is not None
    # The same key always makes the same Message-ID, so a resend is recognisable.
    assert message_id_for("mail-1", "noreply@rsj.example.cn") == mail["Message-ID"]
    assert message_id_for("mail-2", "noreply@rsj.example.cn") != mail["Message-ID"]


def test_5xx_fails_and_4xx_is_retried(catcher):
    catcher.refuse["nobody@qiye.example.cn"] = "550 5.1.1 No such user"
    catcher.refuse["later@qiye.example.cn"] = "451 4.7.1 Try again later"
    gone = to_enterprise("mail-gone", "nobody@qiye.example.cn")
    later = to_enterprise("mail-later", "later@qiye.example.cn")
    fine = to_enterprise("mail-fine", "hr@qiye.example.cn")

    assert relay().counts == {"failed": 1, "retried": 1, "sent": 1}

    gone.refresh_from_db()
    later.refresh_from_db()
    fine.refresh_from_db()
    assert (gone.state, gone.last_error) == (MessageState.FAILED, "SMTP 550 5.1.1 No such user")
    assert (later.state, later.last_error) == (MessageState.QUEUED, "SMTP 451 4.7.1 Try again later")
    assert later.next_attempt_at > timezone.now()
    assert fine.state == MessageState.SENT
    assert [m["To"] for m in catcher.mails] == ["hr@qiye.example.cn"]


def test_no_server_is_retried(settings):
    conf = dict(settings.WENGANG_OUTREACH)
    conf["email"] = {"host": "127.0.0.1", "port": free_port(), "from": "noreply@rsj.example.cn"}
    settings.WENGANG_OUTREACH = conf
    message = to_enterprise("mail-down", "hr@qiye.example.cn")

    assert relay().counts == {"retried": 1}

    message.refresh_from_db()
    assert message.state == MessageState.QUEUED
    assert message.last_error.startswith("SMTP connection")
