"""The contact-history card of a registry person's page: what was sent or said to them, their replies,
their consent, and the form to put them on the call list."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from wengang.registry.consent import consent_state
from wengang.registry.models import ConsentChannel, Person

from .call_forms import CallAddForm
from .choices import Channel
from .models import Inbound, Message

LIMIT = 50


def purged_text() -> str:
    return _("Text removed after the retention period")


def person_outreach_context(*, user: Any, person: Person) -> dict[str, Any]:
    """Everything ``outreach/_person_outreach.html`` needs (the caller has checked the person is in scope)."""
    if not user.can("outreach.view"):
        return {"hidden": True}
    sent = list(
        Message.objects.filter(person=person)
        .select_related("campaign", "called_by")
        .order_by("-created_at", "-id")[:LIMIT]
    )
    replies = list(Inbound.objects.filter(person=person).order_by("-received_at", "-id")[:LIMIT])
    states = consent_state(person)
    return {
        "hidden": False,
        "person": person,
        "sent": sent,
        "replies": replies,
        "purged_text": purged_text(),
        "consent": [(label, states.get(value, False)) for value, label in ConsentChannel.choices],
        "phone_consent": states.get(Channel.PHONE, False),
        "can_call": user.can("outreach.calls") and bool(person.phone_encrypted),
        "call_form": CallAddForm(),
    }
