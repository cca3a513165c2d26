"""The worker's in-site inbox (channel "app"): read by the worker's mobile pages, always for one person.

Every function takes the person whose inbox it is; a message of anyone else is ``Message.DoesNotExist``,
exactly as a message that does not exist. Texts removed after the retention period show a placeholder.
"""

from __future__ import annotations

from django.db.models import Case as SqlCase
from django.db.models import CharField, F, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.registry.models import Person

from .choices import Channel, MessageState
from .models import Message


def purged_text() -> str:
    return _("Text removed after the retention period")


def _inbox(person: Person) -> QuerySet[Message]:
    return Message.objects.filter(person=person, channel=Channel.APP, state=MessageState.DELIVERED).annotate(
        shown_body=SqlCase(
            When(purged_at__isnull=False, then=Value(purged_text())),
            default=F("body"),
            output_field=CharField(),
        )
    )


def inbox_list(*, person: Person, unread_only: bool = False) -> QuerySet[Message]:
    """The person's in-site messages, newest first; ``shown_body`` is the text or a placeholder."""
    qs = _inbox(person)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def inbox_get(*, person: Person, pk: int | str) -> Message:
    """One of the person's in-site messages (``Message.DoesNotExist`` for anyone else's)."""
    return _inbox(person).get(pk=pk)


def inbox_mark_read(*, person: Person, message: Message) -> Message:
    """Mark the message read (once; the first reading time is kept)."""
    if message.person_id != person.pk or message.channel != Channel.APP:
        raise Message.DoesNotExist
    if message.read_at is None:
        now = timezone.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
        message.read_at = Message.objects.values_list("read_at", flat=True).get(pk=message.pk)
    return message


def inbox_unread_count(person: Person) -> int:
    return _inbox(person).filter(read_at__isnull=True).count()
