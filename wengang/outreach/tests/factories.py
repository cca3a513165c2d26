"""People who may be reached, for the outreach tests (fictional data, written through the services)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from conftest import make_id
from wengang.assistance.tests.factories import village_in
from wengang.registry.consent import consent_record
from wengang.registry.models import Person
from wengang.registry.services import person_create


def phone_of(seq: int) -> str:
    return f"139{seq:08d}"


def make_reachable(
    actor: Any,
    prefix: str,
    seq: int,
    *,
    channels: Iterable[str] = ("sms",),
    phone: str | None = None,
    **kw: Any,
) -> Person:
    """A person in ``prefix`` with a phone, consenting to pushes on ``channels``."""
    person = person_create(
        actor=actor,
        id_number=make_id(prefix[:6], "19880101", seq),
        name=kw.pop("name", f"推送{seq:03d}"),
        village_code=village_in(prefix),
        phone=phone if phone is not None else phone_of(seq),
        **kw,
    )
    for channel in channels:
        consent_record(actor=actor, person=person, channel=channel, granted=True)
    person.refresh_from_db()
    return person
