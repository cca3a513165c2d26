"""Reads for the worker's own pages: always the logged-in worker's own person, never an id from the URL alone.

Every ``my_*_get`` looks the row up among the person's own rows, so another worker's id is simply not found
(the view answers 404, the same as an id that does not exist).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from wengang.assistance.choices import CaseStatus
from wengang.assistance.models import PriorityCase
from wengang.core.crypto import decrypt
from wengang.jobs.choices import OPEN_REFERRAL_STATES
from wengang.jobs.models import Posting, Referral
from wengang.matching.models import Recommendation
from wengang.portal.selectors import public_postings
from wengang.regions.selectors import region_names
from wengang.registry.consent import consent_state
from wengang.registry.models import ConsentChannel, Person

from .models import CorrectionRequest, Dismissal

HOTLINE = "12333"
HOME_RECOMMENDATIONS = 5


def dismissed_posting_ids(person: Person) -> QuerySet[Dismissal, int]:
    return Dismissal.objects.filter(person=person).values_list("posting_id", flat=True)


def my_recommendations(person: Person, *, limit: int = HOME_RECOMMENDATIONS) -> list[Recommendation]:
    """The person's current recommendations of postings still public, minus those dismissed and those
    already applied to, best first."""
    applied = Referral.objects.filter(person=person, state__in=OPEN_REFERRAL_STATES).values("posting_id")
    qs = (
        Recommendation.objects.filter(person=person, is_current=True)
        .filter(posting__in=public_postings().values("pk"))
        .exclude(posting_id__in=dismissed_posting_ids(person))
        .exclude(posting_id__in=applied)
        .select_related("posting", "posting__enterprise")
        .order_by("rank", "id")
    )
    return list(qs[:limit])


def my_applications(person: Person, *, open_only: bool = False) -> QuerySet[Referral]:
    qs = Referral.objects.filter(person=person).select_related("posting", "posting__enterprise")
    if open_only:
        qs = qs.filter(state__in=OPEN_REFERRAL_STATES)
    return qs.order_by("-created_at", "-id")


def my_application_get(person: Person, pk: int) -> Referral:
    """One of the person's own referrals; ``Referral.DoesNotExist`` for anyone else's."""
    return my_applications(person).get(pk=pk)


def my_open_application(person: Person, posting: Posting) -> Referral | None:
    return my_applications(person, open_only=True).filter(posting=posting).first()


def my_corrections(person: Person) -> QuerySet[CorrectionRequest]:
    return CorrectionRequest.objects.filter(person=person).order_by("-created_at", "-id")


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    is_specialist: bool


def my_specialist(person: Person) -> Contact:
    """Who serves the person: the specialist of their open priority case (131 service), else the hotline."""
    case = (
        PriorityCase.objects.filter(person=person, status=CaseStatus.OPEN)
        .exclude(specialist=None)
        .select_related("specialist")
        .first()
    )
    if case is not None and case.specialist is not None:
        user = case.specialist
        phone = decrypt(user.phone_encrypted) if user.phone_encrypted else ""
        return Contact(name=user.full_name or user.get_username(), phone=phone or HOTLINE, is_specialist=True)
    return Contact(name="", phone=HOTLINE, is_specialist=False)


@dataclass(frozen=True)
class ConsentRow:
    value: str
    label: str
    granted: bool


def my_consents(person: Person) -> list[ConsentRow]:
    """Consent to job pushes per channel, every channel listed (the “我的” page and the worker API)."""
    state = consent_state(person)
    return [ConsentRow(str(v), str(label), bool(state.get(v, False))) for v, label in ConsentChannel.choices]


def my_place(person: Person) -> str:
    """“county township village” of the person's village, for display."""
    code = person.village_code
    wanted = [code[:n] for n in (6, 9, 12) if len(code) >= n]
    names = region_names(set(wanted))
    return " ".join(names[c] for c in wanted if c in names) or code
