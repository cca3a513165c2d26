"""In-site messages: my inbox, read and unread, a message marked read when opened; nobody else's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wengang.outreach.models import Message
from wengang.workers.tests.pages_fixtures import *  # noqa: F403  (the fixtures)
from wengang.workers.tests.pages_fixtures import make_inbox_message

pytestmark = pytest.mark.django_db


def test_inbox_lists_only_my_delivered_app_messages(client_a, worker_a, worker_b):
    mine = make_inbox_message(worker_a.person, body="给甲的消息")
    make_inbox_message(worker_b.person, body="给乙的消息")
    Message.objects.create(
        idempotency_key="sms-1", channel="sms", state="delivered", person=worker_a.person, body="短信"
    )
    response = client_a.get(reverse("workers:messages"))
    assert [m.pk for m in response.context["messages_list"]] == [mine.pk]
    html = response.content.decode()
    assert "给甲的消息" in html
    assert "给乙的消息" not in html
    assert "短信" not in html


def test_opening_marks_read_and_unread_filter(client_a, worker_a, postings):
    first = make_inbox_message(worker_a.person, body="第一条", postings=[postings[0].pk])
    second = make_inbox_message(worker_a.person, body="第二条")
    assert client_a.get(reverse("workers:messages")).context["unread_count"] == 2
    detail = client_a.get(reverse("workers:message_detail", args=[first.pk]))
    assert detail.status_code == 200
    assert [p.pk for p in detail.context["postings"]] == [postings[0].pk]
    first.refresh_from_db()
    assert first.read_at is not None
    unread = client_a.get(reverse("workers:messages"), {"unread": "1"})
    assert [m.pk for m in unread.context["messages_list"]] == [second.pk]


def test_another_workers_message_is_404_and_stays_unread(client_b, worker_a):
    message = make_inbox_message(worker_a.person)
    assert client_b.get(reverse("workers:message_detail", args=[message.pk])).status_code == 404
    message.refresh_from_db()
    assert message.read_at is None
