"""Every write on referrals: a person sent to (or applying for) a posting, and the pipeline that follows.

Each service checks the actor, validates, changes the referral, appends a ``ReferralEvent`` (the history the
page shows) and an audit event in one transaction. A hire also appends an employment event to the person's
history and counts toward the posting's filled places.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.employers.selectors import is_employer_only
from wengang.regions.models import RegionCodeChange
from wengang.regions.selectors import region_names
from wengang.registry.choices import EmploymentStatus, Source
from wengang.registry.models import Person
from wengang.registry.selectors import person_list
from wengang.registry.services import EmploymentChange, employment_record

from .choices import (
    OPEN_REFERRAL_STATES,
    REFERRAL_TRANSITIONS,
    OutcomeReason,
    PostingStatus,
    ReferralSource,
    ReferralState,
)
from .models import Posting, Referral, ReferralEvent
from .selectors import referral_queryset
from .services import posting_count_hire

OBJECT_TYPE = "jobs.referral"
# States that end a referral without a hire: each needs a coded reason.
NEEDS_REASON = frozenset({ReferralState.DECLINED, ReferralState.NO_SHOW, ReferralState.WITHDRAWN})
# What an enterprise may record on referrals to its own postings: the interview and its outcome.
EMPLOYER_MOVES: dict[str, frozenset[str]] = {
    ReferralState.CONTACTED: frozenset(
        {ReferralState.INTERVIEWING, ReferralState.HIRED, ReferralState.DECLINED, ReferralState.NO_SHOW}
    ),
    ReferralState.INTERVIEWING: frozenset(
        {ReferralState.HIRED, ReferralState.DECLINED, ReferralState.NO_SHOW}
    ),
}


def person_unavailable() -> str:
    """The one message for a person that does not exist or is outside the actor's area (no leak)."""
    return _("No such person in your area.")


def posting_unavailable() -> str:
    """The one message for a posting that does not exist, is not published, or is not the caller's."""
    return _("No such published posting.")


def state_label(value: str) -> str:
    return str(ReferralState(value).label) if value in ReferralState.values else value


def allowed_next(actor: Any, referral: Referral) -> list[str]:
    """The states ``actor`` may move ``referral`` to now, in pipeline order (for buttons and the API)."""
    if not actor.can("referrals.edit"):
        return []
    nexts = REFERRAL_TRANSITIONS.get(referral.state, frozenset())
    if is_employer_only(actor):
        nexts = nexts & EMPLOYER_MOVES.get(referral.state, frozenset())
    return [s for s in ReferralState.values if s in nexts]


def _event(referral: Referral, *, actor: Any, reason: str = "", note: str = "") -> None:
    ReferralEvent.objects.create(
        referral=referral,
        state=referral.state,
        reason=reason,
        note=note,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def referral_create(
    *,
    actor: Any,
    person: Person,
    posting: Posting,
    source: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> Referral:
    """Refer a person in the actor's area to a published posting with open places (any county's)."""
    if not actor.can("referrals.create"):
        raise PermissionDenied(_("Your roles do not allow referring people to postings."))
    if source not in ReferralSource.values:
        raise ValidationError({"source": _("Unknown referral source “%(source)s”.") % {"source": source}})
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": _("The note is longer than 500 characters.")})
    if not person_list(user=actor).filter(pk=person.pk).exists():
        raise ValidationError({"person": person_unavailable()})
    return referral_record(
        actor=actor, person=person, posting=posting, source=source, note=note, request=request
    )


def referral_record(
    *,
    actor: Any,
    person: Person,
    posting: Posting,
    source: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> Referral:
    """Write the referral once the caller has checked who may: staff through ``referral_create``, the
    worker themselves (a reply "1" to a job message, or "我要报名" on their own pages) with ``actor`` None
    or their own account."""
    with transaction.atomic():
        posting = Posting.objects.select_for_update().select_related("enterprise").get(pk=posting.pk)
        if posting.status != PostingStatus.PUBLISHED:
            raise ValidationError({"posting": posting_unavailable()})
        if posting.open_places == 0:
            raise ValidationError(
                {"posting": _("Every place of “%(title)s” is filled.") % {"title": posting.title}}
            )
        duplicate = _duplicate_message(person, posting)
        if Referral.objects.filter(person=person, posting=posting, state__in=OPEN_REFERRAL_STATES).exists():
            raise ValidationError({"posting": duplicate})
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves the outer transaction usable
                referral = Referral.objects.create(
                    person=person,
                    posting=posting,
                    source=source,
                    state=ReferralState.RECOMMENDED,
                    note=note,
                    created_by=actor,
                )
        except IntegrityError as exc:
            raise ValidationError({"posting": duplicate}) from exc
        _event(referral, actor=actor, note=note)
        audit_record(
            action=Action.CREATE,
            actor=actor,
            object_type=OBJECT_TYPE,
            object_id=referral.pk,
            request=request,
            changes={
                "person": person.pk,
                "posting": posting.pk,
                "enterprise": posting.enterprise_id,
                "source": source,
                "state": referral.state,
            },
        )
    return referral


def _duplicate_message(person: Person, posting: Posting) -> str:
    return _(
        "%(name)s already has an open referral to “%(title)s”; finish or withdraw it before referring again."
    ) % {"name": person.name, "title": posting.title}


def _county(code: str) -> str:
    """The county of an area code, following replaced codes (410381 偃师市 → 410307 偃师区)."""
    county = code[:6]
    new = RegionCodeChange.objects.filter(old_code=county).values_list("new_code", flat=True).first()
    return new or county


@dataclass(frozen=True)
class WorkPlace:
    status: str
    province: str
    city: str
    place: str


def work_place(person: Person, posting: Posting) -> WorkPlace:
    """Where the posting's work is, seen from the person's village: the employment status it means."""
    home, work = person.village_code, posting.area_code
    if _county(home) == _county(work):
        local = len(work) >= 9 and home[:9] == work[:9]
        status = EmploymentStatus.EMPLOYED_LOCAL if local else EmploymentStatus.EMPLOYED_IN_COUNTY
    elif home[:2] == work[:2]:
        status = EmploymentStatus.EMPLOYED_IN_PROVINCE
    else:
        status = EmploymentStatus.EMPLOYED_OUT_OF_PROVINCE
    province_code, city_code = work[:2] + "0000", work[:4] + "00"
    names = region_names([province_code, city_code, work])
    province = names.get(province_code, "")
    city = names.get(city_code, "") if city_code != province_code else ""
    place = posting.address or (names.get(work, "") if work not in (province_code, city_code) else "")
    return WorkPlace(status=status, province=province, city=city, place=place[:200])


def _check_reason(to: str, reason: str) -> str:
    reason = (reason or "").strip()
    if reason and reason not in OutcomeReason.values:
        raise ValidationError({"reason": _("Unknown reason code “%(code)s”.") % {"code": reason}})
    if to in NEEDS_REASON and not reason:
        raise ValidationError(
            {
                "reason": _("Choose a reason why the referral ended as “%(state)s”.")
                % {"state": state_label(to)}
            }
        )
    return reason if to in NEEDS_REASON else ""


@transaction.atomic
def referral_transition(
    *,
    actor: Any,
    referral: Referral,
    to: str,
    reason: str = "",
    note: str = "",
    hired_on: dt.date | None = None,
    request: HttpRequest | None = None,
) -> Referral:
    """Move a referral along its pipeline; a hire records the employment and fills a place."""
    if not actor.can("referrals.edit"):
        raise PermissionDenied(_("Your roles do not allow changing referrals."))
    if not referral_queryset(actor).filter(pk=referral.pk).exists():
        raise PermissionDenied(_("This referral is outside what you may manage."))
    referral = (
        Referral.objects.select_for_update()
        .select_related("person", "posting", "posting__enterprise")
        .get(pk=referral.pk)
    )
    current = referral.state
    if to not in REFERRAL_TRANSITIONS.get(current, frozenset()):
        raise ValidationError(
            {
                "to": _("A referral that is “%(current)s” cannot become “%(to)s”.")
                % {"current": state_label(current), "to": state_label(to)}
            }
        )
    if to not in allowed_next(actor, referral):
        raise PermissionDenied(
            _("An enterprise records interviews and their outcome once the candidate has been contacted.")
        )
    reason = _check_reason(to, reason)
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": _("The note is longer than 500 characters.")})
    today = timezone.localdate()
    if hired_on is not None and to != ReferralState.HIRED:
        hired_on = None
    if hired_on is not None and hired_on > today:
        raise ValidationError({"hired_on": _("The hire date cannot be in the future.")})
    # Lock the posting too, so two hires at once cannot both take its last place.
    posting = Posting.objects.select_for_update().select_related("enterprise").get(pk=referral.posting_id)
    referral.posting = posting
    changes: dict[str, Any] = {"state": [current, to]}
    if to == ReferralState.HIRED:
        if posting.open_places == 0:
            raise ValidationError(
                {
                    "to": _("Every place of “%(title)s” is already filled; raise its headcount first.")
                    % {"title": posting.title}
                }
            )
        hired_on = hired_on or today
        referral.hired_on = hired_on
        changes["hired_on"] = str(hired_on)
    referral.state = to
    referral.reason = reason
    referral.save(update_fields=["state", "reason", "hired_on", "updated_at"])
    _event(referral, actor=actor, reason=reason, note=note)
    if reason:
        changes["reason"] = reason
    if note:
        changes["note"] = note
    audit_record(
        action=Action.STATUS,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=referral.pk,
        request=request,
        changes=changes,
    )
    if to == ReferralState.HIRED:
        assert hired_on is not None
        _record_hire(actor=actor, referral=referral, hired_on=hired_on, request=request)
    return referral


@transaction.atomic
def referral_withdraw_own(
    *,
    actor: Any,
    referral: Referral,
    reason: str = OutcomeReason.OTHER,
    note: str = "",
    request: HttpRequest | None = None,
) -> Referral:
    """A worker withdraws their own open referral from their pages (``referral_transition`` is for staff
    and enterprises, whom a worker's account is not)."""
    if getattr(actor, "person_id", None) is None or actor.person_id != referral.person_id:
        raise PermissionDenied(_("This referral is outside what you may manage."))
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.state not in OPEN_REFERRAL_STATES:
        raise ValidationError(
            {
                "to": _("A referral that is “%(current)s” cannot become “%(to)s”.")
                % {"current": state_label(referral.state), "to": state_label(ReferralState.WITHDRAWN)}
            }
        )
    reason = _check_reason(ReferralState.WITHDRAWN, reason)
    note = (note or "").strip()[:500]
    before = referral.state
    referral.state = ReferralState.WITHDRAWN
    referral.reason = reason
    referral.save(update_fields=["state", "reason", "updated_at"])
    _event(referral, actor=actor, reason=reason, note=note)
    audit_record(
        action=Action.STATUS,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=referral.pk,
        request=request,
        changes={"state": [before, ReferralState.WITHDRAWN], "reason": reason, "source": "worker"},
    )
    return referral


def _record_hire(*, actor: Any, referral: Referral, hired_on: dt.date, request: HttpRequest | None) -> None:
    posting, person = referral.posting, referral.person
    where = work_place(person, posting)
    employment_record(
        person=person,
        change=EmploymentChange(
            status=where.status,
            occurred_on=hired_on,
            work_province=where.province,
            work_city=where.city,
            work_place=where.place,
            employer_name=posting.enterprise.name[:200],
            monthly_income=posting.monthly_min,
        ),
        source=Source.ENTERPRISE if is_employer_only(actor) else Source.STAFF,
        actor=actor,
        enterprise=posting.enterprise,
        request=request,
    )
    posting_count_hire(posting=posting, actor=actor, request=request)


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int
    is_open: bool


def posting_pipeline_counts(*, user: Any, posting: Posting) -> list[StateCount]:
    """Referrals to ``posting`` per state, as ``user`` may see them (the posting page's pipeline)."""
    return state_counts(referral_queryset(user).filter(posting=posting))


def posting_pipeline_context(*, user: Any, posting: Posting) -> dict[str, Any]:
    """Everything ``jobs/_posting_pipeline.html`` needs."""
    return {
        "posting": posting,
        "counts": posting_pipeline_counts(user=user, posting=posting),
        "can_refer": user.can("referrals.create") and posting.status == PostingStatus.PUBLISHED,
    }


def person_referrals_context(*, user: Any, person: Person) -> dict[str, Any]:
    """Everything ``jobs/_person_referrals.html`` needs."""
    referrals = (
        referral_queryset(user)
        .filter(person=person)
        .select_related("posting", "posting__enterprise")
        .order_by("-created_at", "-id")[:50]
    )
    return {"person": person, "referrals": list(referrals), "can_refer": user.can("referrals.create")}


@dataclass(frozen=True)
class ReferralFilters:
    state: str = ""
    source: str = ""
    posting: int | None = None
    person: int | None = None
    q: str = ""  # posting title, occupation, enterprise or person name
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def referral_list(*, user: Any, filters: ReferralFilters | None = None) -> QuerySet[Referral]:
    """Referrals ``user`` may see (staff: people in their area; an employer: its own postings), filtered."""
    f = filters or ReferralFilters()
    qs = referral_queryset(user).select_related("posting__occupation")
    if f.state:
        qs = qs.filter(state=f.state)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.posting is not None:
        qs = qs.filter(posting_id=f.posting)
    if f.person is not None:
        qs = qs.filter(person_id=f.person)
    if f.date_from:
        qs = qs.filter(created_at__date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(created_at__date__lte=f.date_to)
    if f.q.strip():
        q = f.q.strip()
        qs = qs.filter(
            Q(posting__title__icontains=q)
            | Q(posting__enterprise__name__icontains=q)
            | Q(posting__occupation__name__icontains=q)
            | Q(person__name__icontains=q)
        )
    return qs.order_by("-updated_at", "-id")


def state_counts(qs: QuerySet[Referral]) -> list[StateCount]:
    """How many of ``qs`` are in each state, every state listed."""
    rows = dict(qs.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    return [
        StateCount(
            state=value, label=str(label), count=rows.get(value, 0), is_open=value in OPEN_REFERRAL_STATES
        )
        for value, label in ReferralState.choices
    ]


def age_on(birth: dt.date, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
