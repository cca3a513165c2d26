"""Retention: texts older than the city's period are emptied, in batches, once; logs mask phones."""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
from django.core.management import call_command
from django.utils import timezone

from wengang.core.logging import RedactPersonalDataFilter
from wengang.outreach import retention
from wengang.outreach.calls import call_add, call_record
from wengang.outreach.inbound import inbound_handle
from wengang.outreach.models import Inbound, Message
from wengang.outreach.outbox import message_enqueue

from .factories import make_reachable, phone_of

pytestmark = pytest.mark.django_db


def _age(message, days):
    """Make the message ``days`` old; a relayed one as if it had been delivered meanwhile."""
    when = timezone.now() - dt.timedelta(days=days)
    Message.objects.filter(pk=message.pk).update(created_at=when)
    Message.objects.filter(pk=message.pk, channel__in=["sms", "email"]).update(state="delivered")


def test_purge_empties_old_texts_once(people, settings, monkeypatch):
    settings.WENGANG_OUTREACH = {**settings.WENGANG_OUTREACH, "retention_days": 30}
    monkeypatch.setattr(retention, "BATCH", 2)
    person = make_reachable(people["county_admin"], "410329001", 91, channels=("sms", "phone"))
    old = [
        message_enqueue(channel="sms", idempotency_key=f"ret-{i}", body=f"旧{i}", subject="s", person=person)
        for i in range(3)
    ]
    call = call_add(actor=people["specialist"], person=person, reason="回访")
    call_record(actor=people["specialist"], message=call, outcome="reached", note="电话备注")
    fresh = message_enqueue(channel="sms", idempotency_key="ret-new", body="新", person=person)
    waiting = call_add(actor=people["specialist"], person=person, reason="还没打的电话")
    for m in [*old, call, waiting]:
        _age(m, 31)
    reply = inbound_handle(channel="sms", sender=phone_of(91), body="好的", gateway_ref="ret-mo")
    Inbound.objects.filter(pk=reply.pk).update(received_at=timezone.now() - dt.timedelta(days=40))
    assert retention.messages_purge() == 5
    for m in [*old, call]:
        m.refresh_from_db()
        assert (m.body, m.subject, m.call_note, m.purged_at is not None) == ("", "", "", True)
    call.refresh_from_db()
    assert call.call_outcome == "reached"  # the record of the contact stays
    fresh.refresh_from_db()
    assert (fresh.body, fresh.purged_at) == ("新", None)
    reply.refresh_from_db()
    assert reply.body == ""
    waiting.refresh_from_db()
    assert (waiting.body, waiting.purged_at) == ("还没打的电话", None)
    assert retention.messages_purge() == 0
    call_record(actor=people["specialist"], message=waiting, outcome="not_interested")
    assert retention.messages_purge() == 1


def test_command_runs_the_purge(people, settings):
    settings.WENGANG_OUTREACH = {**settings.WENGANG_OUTREACH, "retention_days": 1}
    message = message_enqueue(channel="email", idempotency_key="ret-cmd", body="x", address="hr@example.com")
    _age(message, 2)
    out = io.StringIO()
    call_command("outreach_purge", stdout=out)
    assert out.getvalue().startswith("1 ")
    message.refresh_from_db()
    assert message.purged_at is not None


def test_console_log_lines_mask_phones_and_id_numbers():
    handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactPersonalDataFilter) for f in h.filters)
    ]
    assert handlers, "the console handler carries the redact filter"
    handler = handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    try:
        logging.getLogger("wengang.outreach.backends").warning(
            "outreach sms to %s: %s", "13912345678", "回复 +86 139-1234-5678 或 410329199001010011"
        )
    finally:
        handler.setStream(old)
    line = buffer.getvalue()
    assert "13912345678" not in line
    assert "139****5678" in line
    assert "1234-5678" not in line
    assert "410329********0011" in line
