"""The relay daemon killed with ``kill -9`` at random moments while sending through a real Kannel, and
restarted: every consenting recipient gets exactly one message, none is lost, none goes to the opted-out.

Kannel's submission reports (type 8, to the live server) tell a restarted relay which of a dead relay's
claimed messages already left; the rest are sent again once the (shortened) lease and grace have passed.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from wengang.outreach.choices import MessageState
from wengang.outreach.models import Message

from .kannel_harness import bulk_people, bulk_phone, kannel_gateway, relay_env

RECIPIENTS = 1500
OPTED_OUT = frozenset(range(7, RECIPIENTS, 50))  # 30 people who withdrew consent
RATE = 500
KILLS = 4
BODY = "伊川县招聘普工，月薪4500元，详询12333"
WENGANG = str(Path(sys.executable).with_name("wengang"))


@pytest.fixture
def gateway(transactional_db, regions_loaded, live_server, tmp_path):
    gateway = kannel_gateway(tmp_path, live_server.url)
    yield gateway
    gateway.stop()


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 (our own command)
            [WENGANG, "outreach_relay", "--channel", "sms", "--window", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_relay_killed_again_and_again_sends_each_message_exactly_once(gateway, tmp_path):
    person_ids = bulk_people(RECIPIENTS, opted_out=OPTED_OUT)
    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            idempotency_key=f"crash-{seq}",
            channel="sms",
            person_id=pk,
            body=BODY,
            urgent=True,  # the test runs at any hour, quiet hours included
            segments=1,
            created_at=now,
            next_attempt_at=now,
        )
        for seq, pk in enumerate(person_ids)
    )
    # Only the submission report (8), the one crash recovery rests on: half the callbacks to the live server.
    env = relay_env(gateway, rate=RATE, lease_s=2, grace_s=6, dlr_mask=8)
    log = tmp_path / "relay.log"
    rng = random.Random(2026)  # noqa: S311 (test timing, not a secret)
    relay = _start(env, log)
    kills = 0
    try:
        while kills < KILLS:
            # Kill at a random point once sending is under way (Django starts in about a second).
            time.sleep(rng.uniform(1.2, 2.4))
            relay.send_signal(signal.SIGKILL)
            relay.wait()
            kills += 1
            relay = _start(env, log)
        expected = {bulk_phone(seq) for seq in range(RECIPIENTS) if seq not in OPTED_OUT}
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            open_messages = Message.objects.filter(
                state__in=[MessageState.QUEUED, MessageState.HELD, MessageState.SENDING]
            ).count()
            if open_messages == 0 and len(gateway.received()) >= len(expected):
                break
            time.sleep(0.25)
        time.sleep(0.5)  # a late duplicate would show here
        received = Counter(r.receiver for r in gateway.received())
    finally:
        relay.send_signal(signal.SIGTERM)
        returncode = relay.wait(timeout=15)

    assert kills == KILLS
    assert returncode == 0, log.read_text()[-2000:]
    duplicates = {phone: n for phone, n in received.items() if n > 1}
    assert duplicates == {}
    assert set(received) - expected == set()  # nobody opted out, nobody else
    assert expected - set(received) == set()  # nobody lost
    assert Counter(Message.objects.values_list("state", flat=True)) == {
        MessageState.SENT: len(expected),
        MessageState.SKIPPED: len(OPTED_OUT),
    }
    assert all(r.text == f"【洛阳人社】{BODY}回复TD退订" for r in gateway.received())
