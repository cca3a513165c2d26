"""The incremental-update tasks are coalesced per id: a change while one is waiting sends nothing more."""

from __future__ import annotations

import pytest
from celery import signature
from celery.app.task import Task
from django.core.cache import cache

from wengang.matching import tasks
from wengang.matching.tasks import pending_key


@pytest.fixture
def sent(monkeypatch):
    """What reaches the broker (recorded instead of sent), with a clean cache before and after."""
    calls: list[tuple[str, tuple, dict]] = []

    def record(self, args=None, kwargs=None, **options):
        calls.append((self.name, tuple(args or ()), options))

    cache.clear()
    monkeypatch.setattr(Task, "apply_async", record)
    yield calls
    cache.clear()


def test_a_second_change_while_one_is_waiting_sends_nothing(sent, settings):
    settings.WENGANG_MATCHING_DEBOUNCE_SECONDS = 30
    tasks.posting_changed.delay(7)
    signature("matching.posting_changed", args=(7,)).delay()  # as the jobs services send it
    tasks.posting_changed.delay(8)
    tasks.person_changed.delay(7)
    assert sent == [
        ("matching.posting_changed", (7,), {"countdown": 30}),
        ("matching.posting_changed", (8,), {"countdown": 30}),
        ("matching.person_changed", (7,), {"countdown": 30}),
    ]


def test_a_change_after_the_task_started_is_sent_again(db, sent):
    tasks.person_changed.delay(7)
    tasks.person_changed(7)  # the task runs (no run covers anybody: it only clears the mark)
    assert cache.get(pending_key("matching.person_changed", 7)) is None
    tasks.person_changed.delay(7)
    assert [args for _name, args, _options in sent] == [(7,), (7,)]


def test_the_mark_expires_when_the_task_is_due(sent, settings, monkeypatch):
    """Even if the worker (another process, another local cache) cannot clear it."""
    import django.core.cache.backends.locmem as locmem

    now = [1_000_000.0]
    monkeypatch.setattr(locmem.time, "time", lambda: now[0])
    settings.WENGANG_MATCHING_DEBOUNCE_SECONDS = 30
    tasks.posting_changed.delay(7)
    now[0] += 29
    tasks.posting_changed.delay(7)  # still waiting: coalesced
    now[0] += 2
    tasks.posting_changed.delay(7)  # the first one is due by now: this change is sent
    assert [options["countdown"] for _name, _args, options in sent] == [30, 30]


def test_a_zero_window_sends_every_change_at_once(sent, settings):
    settings.WENGANG_MATCHING_DEBOUNCE_SECONDS = 0
    tasks.posting_changed.delay(7)
    tasks.posting_changed.delay(7)
    assert sent == [("matching.posting_changed", (7,), {}), ("matching.posting_changed", (7,), {})]


def test_an_explicit_countdown_is_sent_as_asked(sent):
    tasks.posting_changed.apply_async(args=(7,), countdown=5)
    tasks.posting_changed.apply_async(args=(7,), countdown=5)
    assert len(sent) == 2


def test_eager_tasks_run_every_change_in_tests(db):
    """With CELERY_TASK_ALWAYS_EAGER the task runs on sending and clears its mark: nothing is coalesced."""
    cache.clear()
    tasks.person_changed.delay(7)
    assert cache.get(pending_key("matching.person_changed", 7)) is None
    tasks.person_changed.delay(7)
    assert cache.get(pending_key("matching.person_changed", 7)) is None
