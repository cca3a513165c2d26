"""The worker's in-site inbox: one person's messages only, newest first, read marks, purged texts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wengang.outreach.inbox import inbox_get, inbox_list, inbox_mark_read, inbox_unread_count
from wengang.outreach.models import Message
from wengang.outreach.outbox import message_enqueue

from .factories import make_reachable

pytestmark = pytest.mark.django_db


def _app(person, key, body, *, days_ago=0):
    message = message_enqueue(channel="app", idempotency_key=key, body=body, person=person)
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))
    return message


@pytest.fixture
def two(people):
    a = make_reachable(people["county_admin"], "410329001", 81, channels=("app",))
    b = make_reachable(people["county_admin"], "410329001", 82, channels=("app",))
    return a, b


def test_inbox_lists_own_messages_newest_first_only(two):
    a, b = two
    old = _app(a, "in-a1", "旧消息", days_ago=2)
    new = _app(a, "in-a2", "新消息")
    other = _app(b, "in-b1", "别人的消息")
    message_enqueue(channel="sms", idempotency_key="in-a-sms", body="短信", person=a, kick=False)
    assert list(inbox_list(person=a)) == [new, old]
    assert list(inbox_list(person=b)) == [other]
    assert inbox_get(person=a, pk=new.pk) == new
    with pytest.raises(Message.DoesNotExist):
        inbox_get(person=a, pk=other.pk)
    with pytest.raises(Message.DoesNotExist):
        inbox_mark_read(person=a, message=other)
    other.refresh_from_db()
    assert other.read_at is None


def test_unread_count_and_mark_read(two):
    a, b = two
    first = _app(a, "in-a3", "一")
    _app(a, "in-a4", "二")
    _app(b, "in-b2", "三")
    assert (inbox_unread_count(a), inbox_unread_count(b)) == (2, 1)
    inbox_mark_read(person=a, message=first)
    read_at = Message.objects.get(pk=first.pk).read_at
    assert read_at is not None
    inbox_mark_read(person=a, message=Message.objects.get(pk=first.pk))
    assert Message.objects.get(pk=first.pk).read_at == read_at
    assert inbox_unread_count(a) == 1
    assert [m.body for m in inbox_list(person=a, unread_only=True)] == ["二"]


def test_no_consent_message_is_not_in_the_inbox_and_purged_text_is_replaced(people, two):
    a, _b = two
    silent = make_reachable(people["county_admin"], "410329001", 83, channels=())
    _app(silent, "in-c1", "未同意")
    assert list(inbox_list(person=silent)) == []
    message = _app(a, "in-a5", "保存期限内容")
    Message.objects.filter(pk=message.pk).update(body="", purged_at=timezone.now())
    from django.utils import translation

    with translation.override("en"):
        shown = inbox_get(person=a, pk=message.pk).shown_body
    assert shown == "Text removed after the retention period"
