"""Fixtures of the worker-page tests: two workers with their own records, public postings, a match run's
recommendations, in-site messages. Import the fixtures by name into a test module."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.test import Client

from wengang.accounts.models import User
from wengang.jobs.models import Posting
from wengang.matching.models import MatchRun, Recommendation, RunStatus
from wengang.outreach.models import Message
from wengang.outreach.tests.factories import make_reachable
from wengang.registry.models import Person

BACKEND = "wengang.accounts.backends.StaffBackend"
_keys = itertools.count(1)


def make_worker(actor: Any, seq: int, *, username: str, phone: str | None = None) -> User:
    """A registered person (consenting to SMS and in-site pushes) and their worker account."""
    person = make_reachable(actor, "410329001", seq, channels=("sms", "app"), phone=phone)
    user = User.objects.create(username=username, roles=["worker"], person=person, full_name=person.name)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def make_inbox_message(person: Person, body: str = "招聘信息", **kw: Any) -> Message:
    return Message.objects.create(
        idempotency_key=f"test-app-{next(_keys)}-{person.pk}",
        channel="app",
        state="delivered",
        person=person,
        body=body,
        **kw,
    )


def recommend(person: Person, postings: list[Posting], reasons: str = "距家约 12 公里 · 包吃住") -> MatchRun:
    run = MatchRun.objects.create(scope_code="410329", status=RunStatus.DONE)
    for rank, posting in enumerate(postings, start=1):
        Recommendation.objects.create(
            run=run, person=person, posting=posting, rank=rank, score=1.0 - rank / 10, reasons=reasons
        )
    return run


@pytest.fixture
def enterprise(people):
    from wengang.employers.tests.factories import make_enterprise

    return make_enterprise(name="页面测试电子厂", area_code="410329001")


@pytest.fixture
def postings(enterprise):
    from wengang.jobs.tests.factories import make_posting

    return [
        make_posting(enterprise, title="电子厂普工", board="both", monthly_min=4500, monthly_max=6000),
        make_posting(enterprise, title="叉车司机", monthly_min=5000, monthly_max=7000),
        make_posting(enterprise, title="仓库管理员", monthly_min=3500, monthly_max=4200),
    ]


@pytest.fixture
def worker_a(people):
    return make_worker(people["county_admin"], 501, username="w_a")


@pytest.fixture
def worker_b(people):
    return make_worker(people["county_admin"], 502, username="w_b")


@pytest.fixture
def client_a(worker_a):
    client = Client()
    client.force_login(worker_a, backend=BACKEND)
    return client


@pytest.fixture
def client_b(worker_b):
    client = Client()
    client.force_login(worker_b, backend=BACKEND)
    return client
