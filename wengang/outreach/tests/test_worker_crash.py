"""Killing the Celery worker with ``kill -9`` while it queues a campaign, then restarting it.

RabbitMQ redelivers the unacknowledged task (``acks_late``) to the new worker; the queue task is resumable
and idempotent by key, so every recipient ends with exactly one message and nothing is lost.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection
from kombu import Connection

from wengang.accounts.tests.factories import make_user
from wengang.background.models import BackgroundTask
from wengang.outreach.campaigns import QUEUE_KIND, campaign_create, template_save
from wengang.outreach.choices import CampaignStatus
from wengang.outreach.models import Campaign, Message
from wengang.outreach.segments import segment_save

from .kannel_harness import bulk_people

BROKER = "amqp://guest:guest@127.0.0.1:5672//"
PEOPLE = 40_000
ROOT = Path(__file__).resolve().parents[3]


def _reachable(url: str) -> bool:
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception:
        return False
    return True


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker(queue: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=_database_url(),
        CELERY_BROKER_URL=BROKER,
        WENGANG_SMS_BACKEND="console",
    )
    celery = str(Path(sys.executable).with_name("celery"))
    return subprocess.Popen(  # noqa: S603 (our own worker)
        [
            celery,
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=WARNING",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_queuing_a_campaign_loses_and_doubles_nothing(regions_loaded):
    if not _reachable(BROKER):
        pytest.fail(f"RabbitMQ is not reachable at {BROKER}; .ci/run starts it")
    queue = f"wengang-crash-{os.getpid()}"
    bulk_people(PEOPLE, opted_out=frozenset(range(0, PEOPLE, 100)))
    admin = make_user("crash_admin", "county_admin", "410329")
    segment = segment_save(actor=admin, name="全体", filters={"area": "410329001001"})
    template = template_save(
        actor=admin, name="通知", body="{姓名}您好，{区县}春风行动招聘会本周六举行，欢迎参加。"
    )
    campaign = campaign_create(
        actor=admin, name="崩溃测试", segment=segment, template=template, channels=["sms"]
    )
    task = BackgroundTask.objects.create(
        kind=QUEUE_KIND, params={"campaign_id": campaign.pk}, created_by=admin
    )
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.QUEUING, task=task)

    app = Celery("wengang-crash-test", broker=BROKER, set_as_current=False)
    app.conf.update(broker_connection_retry_on_startup=True, task_default_queue=queue)
    app.send_task("wengang.background.run", args=[str(task.pk)], queue=queue)
    first = _worker(queue)
    try:
        _wait(
            lambda: Message.objects.filter(campaign=campaign).exists(),
            90,
            "the first worker to start queuing",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        written = Message.objects.filter(campaign=campaign).count()
        assert written < PEOPLE, "the kill came after the queue had finished: make the campaign bigger"
        task.refresh_from_db()
        assert task.status == "running"  # left behind by the dead worker
        second = _worker(queue)
        try:
            _wait(
                lambda: BackgroundTask.objects.get(pk=task.pk).status == "succeeded",
                120,
                "the restarted worker",
            )
        finally:
            second.terminate()
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()
        with Connection(BROKER) as conn:  # the relay kicks the worker sent to the default queue
            for name in (queue, "celery"):
                try:
                    conn.default_channel.queue_purge(name)
                except Exception:  # noqa: S110 (a queue that was never declared)
                    pass
    messages = Message.objects.filter(campaign=campaign)
    assert messages.count() == PEOPLE
    assert messages.values("person").distinct().count() == PEOPLE
    assert messages.filter(state="queued").count() == PEOPLE - PEOPLE // 100
    assert messages.filter(state="skipped").count() == PEOPLE // 100
