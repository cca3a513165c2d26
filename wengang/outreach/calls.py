"""Phone-call lists for village and township staff (包组人员打电话).

A call is a ``Message`` on the channel "phone": ``queued`` means still to call, its body says why, its
``postings`` are the postings to mention. Staff add a person from the person page (``call_add``); callers
work through ``call_list`` and record each outcome with ``call_record``, which moves the message on, flags a
wrong number on the person, turns "interested" into referrals and "reached" into the 131 service's records.
A person who does not (or no longer) consent to phone calls is never called: the row is ``skipped``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.accounts.scoping import code_in_scope, scope_queryset
from wengang.assistance.choices import CaseStatus, RecordKind
from wengang.assistance.choices import Channel as ServiceChannel
from wengang.assistance.models import PriorityCase
from wengang.assistance.services import record_add
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.jobs.choices import ReferralSource
from wengang.jobs.models import Posting
from wengang.jobs.referrals import referral_create
from wengang.jobs.selectors import published_postings
from wengang.regions.selectors import region_names
from wengang.registry.consent import may_push
from wengang.registry.models import Person
from wengang.registry.selectors import person_list
from wengang.registry.services import person_unmask, person_update

from .choices import CallOutcome, Channel, MessageState
from .models import Message
from .outbox import message_enqueue

OBJECT_TYPE = "outreach.message"
# The reason an unmask for a call is audited with (data in the audit chain, kept in one language).
DIAL_REASON = "电话联系"
MAX_NO_ANSWER = 3  # after this many unanswered calls the person leaves the list
RETRY_AFTER = dt.timedelta(days=1)
REACHED_OUTCOMES = frozenset({CallOutcome.REACHED, CallOutcome.INTERESTED, CallOutcome.NOT_INTERESTED})
MAX_POSTINGS = 10


def _check_calls(actor: Any) -> None:
    if not actor.can("outreach.calls"):
        raise PermissionDenied(_("Your roles do not allow working on the call list."))


def call_queryset(user: Any) -> QuerySet[Message]:
    """Every phone message in the user's area (any state); nothing for roles that do not work on calls."""
    if not (user.can("outreach.calls") or user.can("outreach.view")):
        return Message.objects.none()
    return scope_queryset(Message.objects.filter(channel=Channel.PHONE), user)


def call_unavailable() -> str:
    return _("No such call in your area.")


def call_get(*, user: Any, pk: Any) -> Message:
    """A phone message in the user's area (``Message.DoesNotExist`` otherwise, absent or elsewhere alike)."""
    return call_queryset(user).select_related("person", "campaign").get(pk=pk)


def _clean_postings(postings: Iterable[Posting | int | str]) -> list[int]:
    ids: list[int] = []
    for item in postings:
        pk = item.pk if isinstance(item, Posting) else item
        try:
            number = int(pk)
        except (TypeError, ValueError):
            raise ValidationError(
                {"postings": _("“%(value)s” is not a posting number.") % {"value": pk}}
            ) from None
        if number not in ids:
            ids.append(number)
    if len(ids) > MAX_POSTINGS:
        raise ValidationError(
            {"postings": _("Mention at most %(n)s postings in one call.") % {"n": MAX_POSTINGS}}
        )
    found = set(published_postings().filter(pk__in=ids).values_list("pk", flat=True))
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError(
            {
                "postings": _("No published posting has the number %(numbers)s.")
                % {"numbers": "、".join(missing)}
            }
        )
    return ids


def call_key(person: Person, reason: str, postings: Sequence[int], day: dt.date) -> str:
    """One call per person, day, reason and postings: a double click adds nothing."""
    digest = hashlib.sha256(f"{reason}|{','.join(map(str, postings))}".encode()).hexdigest()[:16]
    return f"call:{person.pk}:{day.isoformat()}:{digest}"


def call_add(
    *,
    actor: Any,
    person: Person,
    reason: str,
    postings: Iterable[Posting | int | str] = (),
    note: str = "",
    request: HttpRequest | None = None,
) -> Message:
    """Put a person in the actor's area on the call list: why to call and which postings to mention.

    A person who does not consent to phone calls is recorded as ``skipped`` (so the record shows why they
    were not called) and never appears on the list.
    """
    _check_calls(actor)
    if not person_list(user=actor).filter(pk=person.pk).exists() or not code_in_scope(
        actor, person.village_code
    ):
        raise ValidationError({"person": _("No such person in your area.")})
    reason = " ".join((reason or "").split())
    note = (note or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the person is to be called.")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("The reason is longer than 500 characters.")})
    if len(note) > 300:
        raise ValidationError({"note": _("The note is longer than 300 characters.")})
    if not person.phone_encrypted:
        raise ValidationError(
            {"person": _("%(name)s has no phone number on record.") % {"name": person.name}}
        )
    ids = _clean_postings(postings)
    key = call_key(person, reason, ids, timezone.localdate())
    with transaction.atomic():
        existed = Message.objects.filter(idempotency_key=key).exists()
        message = message_enqueue(
            channel=Channel.PHONE,
            idempotency_key=key,
            body=reason,
            person=person,
            postings=ids,
            area_code=person.village_code,
        )
        if note and not existed:
            message.call_note = note
            message.save(update_fields=["call_note"])
        if not existed:
            audit_record(
                action=Action.CREATE,
                actor=actor,
                object_type=OBJECT_TYPE,
                object_id=message.pk,
                request=request,
                changes={
                    "channel": Channel.PHONE,
                    "person": person.pk,
                    "postings": ids,
                    "state": message.state,
                },
            )
    return message


@dataclass(frozen=True)
class CallFilters:
    area: str = ""  # a village or township code (prefix) inside the user's area
    q: str = ""  # words of the reason
    campaign: int | None = None


def call_list(*, user: Any, filters: CallFilters | None = None) -> QuerySet[Message]:
    """Calls still to make in the user's area (due now), by village, then oldest first."""
    filters = filters or CallFilters()
    qs = call_queryset(user).filter(state=MessageState.QUEUED, next_attempt_at__lte=timezone.now())
    if filters.area:
        qs = qs.filter(area_code__startswith=filters.area)
    if filters.q:
        qs = qs.filter(body__icontains=filters.q.strip())
    if filters.campaign:
        qs = qs.filter(campaign_id=filters.campaign)
    return qs.select_related("person", "campaign").order_by("area_code", "created_at", "id")


def call_count(user: Any) -> int:
    """How many calls are due in the user's area (for a badge or a dashboard tile)."""
    return call_list(user=user).count()


@dataclass(frozen=True)
class PostingSummary:
    pk: int
    title: str
    enterprise: str
    pay: str
    place: str
    open: bool


def _pay(posting: Posting) -> str:
    low, high = posting.monthly_min, posting.monthly_max
    if low and high and low != high:
        return _("%(low)s–%(high)s yuan a month") % {"low": low, "high": high}
    if low or high:
        return _("%(n)s yuan a month") % {"n": low or high}
    return posting.wage_note


def posting_summaries(ids: Iterable[int]) -> dict[int, PostingSummary]:
    """What a caller says about each posting: title, enterprise, pay and place (any status)."""
    wanted = {int(i) for i in ids}
    if not wanted:
        return {}
    postings = list(Posting.objects.filter(pk__in=wanted).select_related("enterprise"))
    names = region_names({p.area_code for p in postings})
    published = set(published_postings().filter(pk__in=wanted).values_list("pk", flat=True))
    return {
        p.pk: PostingSummary(
            pk=p.pk,
            title=p.title,
            enterprise=p.enterprise.name,
            pay=_pay(p),
            place=" ".join(x for x in (names.get(p.area_code, p.area_code), p.address) if x),
            open=p.pk in published,
        )
        for p in postings
    }


@dataclass
class CallRow:
    message: Message
    postings: list[PostingSummary]
    may_call: bool


@dataclass
class VillageGroup:
    code: str
    name: str
    rows: list[CallRow] = field(default_factory=list)


def call_groups(messages: Iterable[Message]) -> list[VillageGroup]:
    """The list grouped by village, each call with its postings described and whether it may be made."""
    items = list(messages)
    summaries = posting_summaries(i for m in items for i in m.postings)
    names = region_names({m.area_code for m in items})
    groups: dict[str, VillageGroup] = {}
    for m in items:
        group = groups.setdefault(m.area_code, VillageGroup(m.area_code, names.get(m.area_code, m.area_code)))
        group.rows.append(
            CallRow(
                message=m,
                postings=[summaries[i] for i in m.postings if i in summaries],
                may_call=m.person is not None and may_push(m.person, Channel.PHONE),
            )
        )
    return list(groups.values())


def call_dial(*, actor: Any, message: Message, request: HttpRequest | None = None) -> str:
    """The full number to dial, revealed through the registry's audited unmask (reason "电话联系")."""
    _check_calls(actor)
    if not call_queryset(actor).filter(pk=message.pk, state=MessageState.QUEUED).exists():
        raise ValidationError(call_unavailable())
    person = message.person
    if person is None or not may_push(person, Channel.PHONE):
        raise ValidationError(_("This person no longer accepts phone calls."))
    return person_unmask(actor=actor, person=person, field="phone", reason=DIAL_REASON, request=request)


@dataclass
class CallResult:
    message: Message
    referrals: list[int] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what could not be done, and why


def _flag_wrong_number(actor: Any, person: Person, request: HttpRequest | None) -> bool:
    """Add a dated note to the person's record (the least invasive flag: staff correct the number)."""
    flag = _("Phone number wrong (%(date)s)") % {"date": timezone.localdate().isoformat()}
    notes = person.notes.strip()
    if flag in notes:
        return False
    joined = f"{notes}；{flag}" if notes else flag
    if len(joined) > 500:
        return False
    try:
        with transaction.atomic():
            person_update(actor=actor, person=person, notes=joined, request=request)
    except PermissionDenied:
        return False
    return True


def _referrals(
    actor: Any, person: Person, ids: list[int], request: HttpRequest | None, out: CallResult
) -> None:
    postings = {p.pk: p for p in Posting.objects.filter(pk__in=ids)}
    for pk in ids:
        posting = postings.get(pk)
        if posting is None:
            out.skipped.append(_("Posting %(pk)s no longer exists.") % {"pk": pk})
            continue
        try:
            with transaction.atomic():
                referral = referral_create(
                    actor=actor,
                    person=person,
                    posting=posting,
                    source=ReferralSource.STAFF,
                    note=_("Interested when called"),
                    request=request,
                )
        except (ValidationError, PermissionDenied) as exc:
            out.skipped.append(" ".join(getattr(exc, "messages", [str(exc)])))
        else:
            out.referrals.append(referral.pk)


def _service_records(
    actor: Any,
    person: Person,
    ids: list[int],
    guidance: bool,
    note: str,
    request: HttpRequest | None,
    out: CallResult,
) -> None:
    case = PriorityCase.objects.filter(person=person, status=CaseStatus.OPEN).first()
    if case is None:
        return
    today = timezone.localdate()
    wanted: list[dict[str, Any]] = [
        {"kind": RecordKind.JOB_OFFER, "posting": pk, "channel": ServiceChannel.PHONE} for pk in ids
    ]
    if guidance:
        wanted.append(
            {
                "kind": RecordKind.GUIDANCE,
                "content": note or _("Career guidance by phone"),
                "channel": ServiceChannel.PHONE,
            }
        )
    for values in wanted:
        try:
            with transaction.atomic():
                record = record_add(actor=actor, case=case, date=today, request=request, **values)
        except (ValidationError, PermissionDenied) as exc:
            out.skipped.append(" ".join(getattr(exc, "messages", [str(exc)])))
        else:
            out.records.append(record.pk)


def call_record(
    *,
    actor: Any,
    message: Message,
    outcome: str,
    note: str = "",
    guidance_given: bool = False,
    request: HttpRequest | None = None,
) -> CallResult:
    """Record what came of a call, in one transaction with everything it causes.

    reached / interested / not interested: done (delivered); interested also refers the person to each
    mentioned posting; for a person with an open priority case, each mentioned posting counts as job
    information given by phone, and a ticked "gave career guidance" as guidance. No answer: back on the
    list tomorrow, dropped (failed) after three. Wrong number: failed, and the person's record is flagged.
    """
    _check_calls(actor)
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError({"note": _("The note is longer than 300 characters.")})
    if not call_queryset(actor).filter(pk=message.pk).exists():
        raise ValidationError(call_unavailable())
    out = CallResult(message=message)
    now = timezone.now()
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.state != MessageState.QUEUED:
            raise ValidationError(_("This call has already been recorded."))
        person = Person.objects.get(pk=locked.person_id) if locked.person_id else None
        if person is None or not may_push(person, Channel.PHONE):
            locked.state = MessageState.SKIPPED
            locked.last_error = "no phone consent"
            locked.save(update_fields=["state", "last_error"])
            audit_record(
                action=Action.STATUS,
                actor=actor,
                object_type=OBJECT_TYPE,
                object_id=locked.pk,
                request=request,
                changes={"state": [MessageState.QUEUED, MessageState.SKIPPED], "reason": "no phone consent"},
            )
            out.message = locked
            return out
        if outcome not in CallOutcome.values:
            raise ValidationError({"outcome": _("Choose the outcome of the call.")})
        locked.call_outcome = outcome
        locked.call_note = note
        locked.called_by = actor
        locked.attempts += 1
        locked.sent_at = now
        fields = ["call_outcome", "call_note", "called_by", "attempts", "sent_at", "state"]
        if outcome in REACHED_OUTCOMES:
            locked.state = MessageState.DELIVERED
            locked.delivered_at = now
            fields.append("delivered_at")
        elif outcome == CallOutcome.NO_ANSWER:
            if locked.attempts >= MAX_NO_ANSWER:
                locked.state = MessageState.FAILED
                locked.last_error = "no answer"
                fields.append("last_error")
            else:
                locked.next_attempt_at = now + RETRY_AFTER
                fields.append("next_attempt_at")
        else:
            locked.state = MessageState.FAILED
            locked.last_error = "wrong number"
            fields.append("last_error")
        locked.save(update_fields=fields)
        flagged = False
        if outcome == CallOutcome.WRONG_NUMBER:
            flagged = _flag_wrong_number(actor, person, request)
        if outcome == CallOutcome.INTERESTED:
            _referrals(actor, person, list(locked.postings), request, out)
        if outcome in REACHED_OUTCOMES:
            _service_records(actor, person, list(locked.postings), guidance_given, note, request, out)
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            object_type=OBJECT_TYPE,
            object_id=locked.pk,
            request=request,
            changes={
                "call_outcome": outcome,
                "state": [MessageState.QUEUED, locked.state],
                "attempts": locked.attempts,
                "referrals": out.referrals,
                "service_records": out.records,
                "person_flagged": flagged,
                "guidance_given": bool(guidance_given),
                **({"not_done": out.skipped} if out.skipped else {}),
            },
        )
    out.message = locked
    return out
