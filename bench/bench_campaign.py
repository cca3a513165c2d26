"""Benchmark ``campaign``: a campaign to many people through the Kannel path, fakesmsc playing the operator.

(a) Render and queue: ``campaigns.campaign_queue`` for a segment of everyone (target ≥ 10,000 messages/s on
PostgreSQL). (b) Send: the relay against a real Kannel (bearerbox + smsbox + fakesmsc on localhost) with
Kannel's SMSC ``throughput`` and our rate both at the gateway limit (1,000/s): the sustained rate, the most
messages fakesmsc got in any one second (must not pass the limit), and duplicates and losses counted at
fakesmsc. At city scale the send phase runs for ``BENCH_SEND_SECONDS`` (default 120 s; 1,000,000 messages at
1,000/s take 17 minutes) and counts what the relay sent by then.

Delivery reports are not asked for in the send phase by default (``BENCH_DLR_MASK=0``): two HTTP callbacks
per message to a Django development server would measure that server, not the relay. Peers, measured in the
same run: queuing with plain Django ``bulk_create`` of ``Message`` instances (texts rendered with
``str.replace``), and a naive sender making one HTTP request at a time.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

NAME = "campaign"
PEER = (
    "queue: Django bulk_create of Message instances in batches of 5,000, texts by str.replace; "
    "send: one HTTP request to Kannel at a time (requests.Session, no pool), for 5 s"
)
SCALES = {"small": 20_000, "city": 1_000_000}
LIMIT = 1000
BODY = "{姓名}您好：{区县}人社局为您推荐岗位，电子厂装配工，月薪4500元，详询12333"
WORKDIR = Path(__file__).resolve().parent.parent / "var" / "bench" / "kannel"


def _setup(count: int) -> Any:
    from wengang.accounts.models import User
    from wengang.accounts.tests.factories import make_user
    from wengang.outreach.models import Campaign, Message, Segment, Template
    from wengang.outreach.tests.kannel_harness import bulk_people
    from wengang.regions.services import luoyang_load
    from wengang.registry.models import Person

    luoyang_load()
    user = User.objects.filter(username="bench_city").first() or make_user(
        "bench_city", "city_admin", "410300"
    )
    Message.objects.all().delete()
    Campaign.objects.all().delete()
    Person.objects.filter(id_hash__startswith="bulk-").delete()
    started = time.perf_counter()
    bulk_people(count)
    seed_s = time.perf_counter() - started
    segment = Segment.objects.create(name="全体", filters={}, created_by=user)
    template = Template.objects.create(name="招聘推送", body=BODY, created_by=user)
    campaign = Campaign.objects.create(
        name="基准测试", segment=segment, template=template, channels=["sms"], urgent=True, created_by=user
    )
    return campaign, seed_s


def _queue(campaign: Any) -> dict[str, Any]:
    from wengang.outreach import campaigns

    campaigns.relay_soon = lambda channel: None  # type: ignore[assignment]  # the bench runs the relay itself
    started = time.perf_counter()
    inserted = campaigns.campaign_queue(campaign)
    seconds = time.perf_counter() - started
    return {"queued": inserted, "queue_seconds": round(seconds, 2), "queue_per_s": round(inserted / seconds)}


def _peer_queue(count: int) -> dict[str, Any]:
    from django.utils import timezone

    from wengang.outreach.models import Message
    from wengang.registry.models import Person

    started = time.perf_counter()
    now = timezone.now()
    batch: list[Message] = []
    done = 0
    for pk, name, village in (
        Person.objects.filter(id_hash__startswith="bulk-")
        .values_list("pk", "name", "village_code")
        .iterator(chunk_size=5000)
    ):
        body = BODY.replace("{姓名}", name).replace("{区县}", "伊川县")
        batch.append(
            Message(
                idempotency_key=f"peer:{pk}",
                channel="sms",
                person_id=pk,
                body=body,
                area_code=village,
                segments=2,
                created_at=now,
                next_attempt_at=now,
                state="cancelled",
            )
        )
        if len(batch) >= 5000:
            Message.objects.bulk_create(batch)
            done += len(batch)
            batch = []
    if batch:
        Message.objects.bulk_create(batch)
        done += len(batch)
    seconds = time.perf_counter() - started
    Message.objects.filter(idempotency_key__startswith="peer:").delete()
    return {"peer_queue_per_s": round(done / seconds)}


def _per_second(lines: list[str]) -> Counter[str]:
    return Counter(line[11:19] for line in lines if "Got message" in line)


def _send(gateway: Any, send_seconds: float) -> dict[str, Any]:
    from django.conf import settings

    from wengang.outreach.choices import MessageState
    from wengang.outreach.models import Message
    from wengang.outreach.relay import relay_drain

    settings.WENGANG_OUTREACH = {
        **settings.WENGANG_OUTREACH,
        "backends": {**settings.WENGANG_OUTREACH["backends"], "sms": "kannel"},
        "kannel": {
            **gateway.settings(),
            "callback_url": "http://127.0.0.1:9",
            "dlr_mask": int(os.environ.get("BENCH_DLR_MASK", "0")),
            "workers": int(os.environ.get("BENCH_KANNEL_WORKERS", "32")),
        },
        "rate_per_s": {**settings.WENGANG_OUTREACH["rate_per_s"], "sms": float(LIMIT)},
        "quiet_channels": (),
    }
    from django.urls import reverse

    reverse("outreach:kannel_dlr")  # load the URLconf before the clock starts (the daemon does it once)
    started = time.perf_counter()
    stats = relay_drain("sms", max_seconds=send_seconds, batch=LIMIT)
    seconds = time.perf_counter() - started
    sent = Message.objects.filter(state=MessageState.SENT).count()
    from wengang.core import crypto

    expected = {
        crypto.decrypt(token)
        for token in Message.objects.filter(state=MessageState.SENT).values_list(
            "person__phone_encrypted", flat=True
        )
    }
    got = gateway.wait_received(sent, timeout=60)
    received = Counter(r.receiver for r in got)
    per_second = _per_second(gateway.lines())
    busy = sorted(per_second.items())
    # Sustained: whole seconds between the first and the last at fakesmsc (the ends are partial seconds).
    inner = [n for _, n in busy[1:-1]]
    return {
        "sent": sent,
        "relay_seconds": round(seconds, 1),
        "relay_stats": dict(stats.counts),
        "send_per_s": round(sum(inner) / len(inner)) if inner else round(sent / seconds),
        "relay_send_per_s": round(stats.sent / seconds),
        "max_in_one_second": max(per_second.values(), default=0),
        "gateway_limit_per_s": LIMIT,
        "duplicates": sum(n - 1 for n in received.values() if n > 1),
        "lost": len(expected - set(received)),
        "unexpected": len(set(received) - expected),
    }


def _peer_send(gateway: Any, seconds: float = 5.0) -> dict[str, Any]:
    import requests

    session = requests.Session()
    conf = gateway.settings()
    done = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        params = {
            "username": conf["user"],
            "password": conf["password"],
            "from": conf["from"],
            "to": f"136{done:08d}",
            "text": "【洛阳人社】基准测试回复TD退订",
            "charset": "UTF-8",
            "coding": "2",
        }
        if session.get(conf["url"], params=params, timeout=10).status_code == 202:
            done += 1
    session.close()
    return {"peer_send_per_s": round(done / (time.perf_counter() - started))}


def run(scale: str) -> dict[str, Any]:
    from wengang.outreach.tests.kannel_harness import KannelGateway, missing_binaries

    count = int(os.environ.get("BENCH_PEOPLE", "0")) or SCALES[scale]
    campaign, seed_s = _setup(count)
    figures: dict[str, Any] = {
        "people": count,
        "seed_seconds": round(seed_s, 1),
        "load_average_1m_start": round(os.getloadavg()[0], 1),
    }
    figures.update(_queue(campaign))
    figures.update(_peer_queue(count))
    missing = missing_binaries()
    if missing:
        figures["send_skipped"] = f"Kannel not installed ({', '.join(missing)}): make gateway-deps"
        print(figures["send_skipped"])
        return figures
    shutil.rmtree(WORKDIR, ignore_errors=True)
    gateway = KannelGateway(WORKDIR, throughput=LIMIT, nice_operator=True).start()
    try:
        default_seconds = "3600" if scale == "small" else "120"
        figures.update(_send(gateway, float(os.environ.get("BENCH_SEND_SECONDS", default_seconds))))
        figures.update(_peer_send(gateway))
    finally:
        gateway.stop()
    figures["load_average_1m_end"] = round(os.getloadavg()[0], 1)
    return figures


def summary(f: dict[str, Any], scale: str) -> str:
    text = (
        f"campaign to {f['people']:,} people: queued {f['queue_per_s']:,}/s "
        f"(peer bulk_create {f['peer_queue_per_s']:,}/s)"
    )
    if "send_per_s" in f:
        text += (
            f"; sent {f['sent']:,} at {f['send_per_s']:,}/s sustained against a limit of "
            f"{f['gateway_limit_per_s']:,}/s (most in one second {f['max_in_one_second']:,}), "
            f"duplicates {f['duplicates']}, lost {f['lost']} (peer one-at-a-time sender "
            f"{f['peer_send_per_s']:,}/s)"
        )
    return text + "."
