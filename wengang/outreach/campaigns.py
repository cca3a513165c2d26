"""Templates and campaigns: create, submit, approve, schedule, queue, follow and cancel.

A campaign is a template sent to a segment through channels in order of preference. Submitting counts
its audience; above the city's ``approval_size`` a second staff member (``outreach.approve``, the
campaign's area in scope, not the creator) approves it. It is then queued at once or at ``scheduled_at``
(``campaigns_start_due``, run by beat) as a background task, so the page shows progress. Queuing writes
one outbox row per person with an idempotency key of the campaign and the person, so a re-run after a
crash writes nothing twice. Every transition is audited.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.accounts.models import User
from wengang.accounts.scoping import code_in_scope, scope_queryset
from wengang.assistance.choices import CaseStatus
from wengang.assistance.models import PriorityCase
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.background.models import BackgroundTask
from wengang.background.services import Progress, background_task_start, task_kind
from wengang.core import crypto
from wengang.core.masking import mask_phone
from wengang.jobs.choices import PostingStatus
from wengang.jobs.models import Posting
from wengang.matching.models import Recommendation
from wengang.regions.selectors import region_names

from .choices import PENDING_STATES, RELAYED_CHANNELS, CampaignStatus, Channel, MessageState
from .conf import outreach_conf
from .models import Campaign, Message, Segment, Template, WeChatBinding
from .outbox import relay_soon
from .queueing import BatchWriter, Row
from .rendering import Renderer, hotline, job_text, mask_name, template_check
from .segments import PERSON_CHANNELS, segment_list, segment_people

QUEUE_KIND = "outreach.campaign_queue"
CHUNK = 5_000
_PERSON_FIELDS = (
    "id",
    "name",
    "village_code",
    "phone_hash",
    "consent_sms",
    "consent_wechat",
    "consent_app",
    "consent_phone",
)
OPEN_STATUSES = frozenset(
    {
        CampaignStatus.DRAFT,
        CampaignStatus.AWAITING_APPROVAL,
        CampaignStatus.SCHEDULED,
        CampaignStatus.QUEUING,
        CampaignStatus.SENDING,
    }
)


def _audit(actor: Any, campaign: Campaign, changes: dict[str, Any], request: Any = None) -> None:
    audit_record(
        action=Action.STATUS,
        actor=actor,
        object_type="outreach.campaign",
        object_id=campaign.pk,
        request=request,
        changes=changes,
    )


# --- Rendering for many people: everything a chunk needs is loaded in a few queries.


class _Context:
    """Caches that live for one queue run: posting texts, area names, specialists' phones."""

    def __init__(self) -> None:
        self.jobs: dict[int, str | None] = {}
        self.places: dict[str, str] = {}
        self.phones: dict[int, str] = {}
        self.hotline = hotline()

    def place(self, code: str) -> str:
        county = code[:6]
        if county not in self.places:
            self.places.update(region_names([county]))
            self.places.setdefault(county, "")
        return self.places[county]

    def load_postings(self, ids: set[int]) -> None:
        missing = ids - self.jobs.keys()
        if not missing:
            return
        rows = list(
            Posting.objects.filter(pk__in=missing).values(
                "id", "title", "monthly_min", "monthly_max", "area_code", "status"
            )
        )
        wanted = {r["area_code"][:6] for r in rows} - self.places.keys()
        if wanted:
            names = region_names(wanted)
            for code in wanted:
                self.places[code] = names.get(code, "")
        for pk in missing:
            self.jobs[pk] = None
        for r in rows:
            if r["status"] == PostingStatus.PUBLISHED:
                self.jobs[r["id"]] = job_text(
                    r["title"], r["monthly_min"], r["monthly_max"], self.places.get(r["area_code"][:6], "")
                )

    def load_phones(self, user_ids: set[int]) -> None:
        missing = user_ids - self.phones.keys()
        if not missing:
            return
        for pk, token in User.objects.filter(pk__in=missing).values_list("pk", "phone_encrypted"):
            try:
                self.phones[pk] = crypto.decrypt(token) if token else ""
            except Exception:  # a key rotated away: fall back to the hotline rather than stop the campaign
                self.phones[pk] = ""
        for pk in missing:
            self.phones.setdefault(pk, "")


@dataclass
class _Chunk:
    jobs: dict[int, list[tuple[int, str]]]
    bound: set[int]
    specialist: dict[int, int]


def _people_q(ids: list[int]) -> Q:
    """The chunk's people as a key range when they are dense (cheaper than 5,000 parameters), else a list;
    rows of people outside the chunk that a range lets through are dropped by the caller."""
    lo, hi = min(ids), max(ids)
    if hi - lo < 2 * len(ids):
        return Q(person_id__gte=lo, person_id__lte=hi)
    return Q(person_id__in=ids)


def _load_chunk(ids: list[int], ctx: _Context, *, need_jobs: bool, need_phone: bool) -> _Chunk:
    wanted = set(ids)
    people = _people_q(ids)
    jobs: dict[int, list[tuple[int, str]]] = {}
    if need_jobs:
        recs = [
            (person_id, posting_id)
            for person_id, posting_id in Recommendation.objects.filter(people, is_current=True, rank__lte=6)
            .order_by("person_id", "rank")
            .values_list("person_id", "posting_id")
            if person_id in wanted
        ]
        ctx.load_postings({posting for _person, posting in recs})
        for person_id, posting_id in recs:
            text = ctx.jobs.get(posting_id)
            if text is not None:
                jobs.setdefault(person_id, []).append((posting_id, text))
    bound = set(WeChatBinding.objects.filter(people).values_list("person_id", flat=True)) & wanted
    specialist: dict[int, int] = {}
    if need_phone:
        for person_id, user_id in PriorityCase.objects.filter(
            people, status=CaseStatus.OPEN, specialist__isnull=False
        ).values_list("person_id", "specialist_id"):
            if person_id in wanted:
                specialist[person_id] = user_id
        ctx.load_phones(set(specialist.values()))
    return _Chunk(jobs=jobs, bound=bound, specialist=specialist)


def _reachable(row: dict[str, Any], channel: str, bound: set[int], *, essential: bool) -> bool:
    if not essential and not row.get(f"consent_{channel}"):
        return False
    if channel in (Channel.SMS, Channel.PHONE):
        return bool(row["phone_hash"])
    if channel == Channel.WECHAT:
        return row["id"] in bound
    return channel == Channel.APP


def render_for_people(
    rows: Sequence[dict[str, Any]], *, body: str, essential: bool, masked: bool = False
) -> list[str]:
    """Texts of ``body`` for a few people (``rows``: id, name, village_code), names masked if asked."""
    ctx = _Context()
    renderer = Renderer(body, essential=essential)
    chunk = _load_chunk(
        [r["id"] for r in rows], ctx, need_jobs=renderer.has_jobs or renderer.has_link, need_phone=True
    )
    out = []
    for r in rows:
        phone = ctx.phones.get(chunk.specialist.get(r["id"], 0)) or ctx.hotline
        out.append(
            renderer.render(
                name=mask_name(r["name"]) if masked else r["name"],
                county=ctx.place(r["village_code"]),
                phone=mask_phone(phone) if masked and phone != ctx.hotline else phone,
                jobs=chunk.jobs.get(r["id"], []),
                sms_channel=False,
            ).body
        )
    return out


def _people_chunks(qs: QuerySet[Any], size: int) -> Iterator[list[dict[str, Any]]]:
    """Keyset pages by primary key, as plain dicts (no model instances)."""
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).order_by("pk").values(*_PERSON_FIELDS)[:size])
        if not rows:
            return
        yield rows
        last = rows[-1]["id"]


def _render_chunk(
    campaign: Campaign,
    rows: list[dict[str, Any]],
    renderer: Renderer,
    ctx: _Context,
    channels: list[str],
    used: set[str],
) -> list[Row]:
    """One message per person of the chunk: the channel, the state and the rendered text."""
    essential = renderer.essential
    prefix = f"campaign:{campaign.pk}:person:"
    chunk = _load_chunk(
        [r["id"] for r in rows],
        ctx,
        need_jobs=renderer.has_jobs or renderer.has_link,
        need_phone=renderer.has_phone,
    )
    batch: list[Row] = []
    for r in rows:
        channel = next((c for c in channels if _reachable(r, c, chunk.bound, essential=essential)), None)
        pk = r["id"]
        if channel is None:
            channel, state = channels[0], MessageState.SKIPPED
        elif channel == Channel.APP:
            state = MessageState.DELIVERED
        else:
            state = MessageState.QUEUED
        phone = ctx.hotline
        specialist = chunk.specialist.get(pk)
        if specialist:
            phone = ctx.phones.get(specialist) or phone
        rendered = renderer.render(
            name=r["name"],
            county=ctx.place(r["village_code"]),
            phone=phone,
            jobs=chunk.jobs.get(pk, ()),
            sms_channel=channel == Channel.SMS,
        )
        if state == MessageState.QUEUED:
            used.add(channel)
        batch.append(
            Row(
                idempotency_key=f"{prefix}{pk}",
                channel=channel,
                state=state,
                campaign_id=campaign.pk,
                person_id=pk,
                area_code=r["village_code"],
                body=rendered.body,
                essential=essential,
                urgent=campaign.urgent,
                postings=rendered.postings,
                segments=rendered.segments,
                delivered=state == MessageState.DELIVERED,
            )
        )
    return batch


def campaign_queue(campaign: Campaign, progress: Progress | None = None) -> int:
    """Write the campaign's messages to the outbox; return how many rows were new (0 on a re-run).

    Each person of the segment (in the creator's scope) gets one message on the first channel of the
    campaign on which they are reachable and consent; someone reachable on none gets a ``skipped`` row on
    the first channel, so the results show who was not reached and why.
    """
    campaign = Campaign.objects.select_related("template", "segment", "created_by").get(pk=campaign.pk)
    if campaign.status in (CampaignStatus.CANCELLED, CampaignStatus.DONE):
        return 0
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.QUEUING, queued_at=campaign.queued_at or now
    )
    template = campaign.template
    essential = template.essential
    channels = [c for c in (campaign.channels or [Channel.SMS]) if c in PERSON_CHANNELS] or [Channel.SMS]
    renderer = Renderer(template.body, essential=essential)
    ctx = _Context()
    qs = segment_people(campaign.segment, user=campaign.created_by)
    total = campaign.audience_size or qs.count()
    if progress is not None:
        progress.update(done=0, total=total, force=True)
    inserted = done = 0
    used: set[str] = set()
    started = time.monotonic()
    writer = BatchWriter()
    try:
        for rows in _people_chunks(qs, CHUNK):
            if Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.CANCELLED).exists():
                break
            batch = _render_chunk(campaign, rows, renderer, ctx, channels, used)
            inserted += writer.write(batch, now=timezone.now())
            done += len(rows)
            if progress is not None:
                progress.update(done=done, total=max(total, done))
    finally:
        inserted += writer.close()
    seconds = time.monotonic() - started
    if progress is not None:
        progress.update(done=done, total=max(total, done), force=True)
    status = (
        Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).first()
        or CampaignStatus.CANCELLED
    )
    if status == CampaignStatus.CANCELLED:
        _cancel_pending(campaign)
    elif Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.QUEUING).update(
        status=CampaignStatus.SENDING
    ):
        status = CampaignStatus.SENDING
    _audit(
        None,
        campaign,
        {"status": [CampaignStatus.QUEUING, status], "people": done, "new_messages": inserted},
    )
    if status == CampaignStatus.SENDING:
        campaign_refresh(campaign)
    for channel in sorted(used & RELAYED_CHANNELS):
        relay_soon(channel)
    campaign.refresh_from_db()
    if progress is not None:
        rate = int(done / seconds) if seconds > 0 else done
        progress.update(
            done=done,
            message=_("%(count)s messages queued (%(rate)s per second).") % {"count": inserted, "rate": rate},
            force=True,
        )
    return inserted


# Resumable: queuing is idempotent by key, so a message redelivered after its worker died (acks_late)
# claims the task left ``running`` and queues again, writing only the rows that are missing.
@task_kind(QUEUE_KIND, resumable=True)
def _queue_task(task: BackgroundTask, progress: Progress) -> dict[str, Any]:
    campaign = Campaign.objects.get(pk=task.params["campaign_id"])
    inserted = campaign_queue(campaign, progress)
    return {"campaign_id": campaign.pk, "messages": inserted}


# --- Follow-up and the lifecycle.


def _cancel_pending(campaign: Campaign) -> int:
    return Message.objects.filter(campaign_id=campaign.pk, state__in=list(PENDING_STATES)).update(
        state=MessageState.CANCELLED
    )


def campaign_refresh(campaign: Campaign) -> Campaign:
    """A sending campaign is finished when none of its messages is waiting any more."""
    if campaign.status == CampaignStatus.SENDING or (
        Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING).exists()
    ):
        pending = Message.objects.filter(
            campaign_id=campaign.pk,
            state__in=[*PENDING_STATES, MessageState.SENDING],
        ).exclude(channel=Channel.PHONE)
        if not pending.exists():
            now = timezone.now()
            if Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING).update(
                status=CampaignStatus.DONE, finished_at=now
            ):
                _audit(None, campaign, {"status": [CampaignStatus.SENDING, CampaignStatus.DONE]})
        campaign.refresh_from_db()
    return campaign


def campaign_counts(campaign: Campaign) -> dict[str, dict[str, int]]:
    """state → channel → number of messages."""
    out: dict[str, dict[str, int]] = {}
    rows = (
        Message.objects.filter(campaign_id=campaign.pk)
        .values_list("state", "channel")
        .annotate(n=Count("id"))
        .order_by()
    )
    for state, channel, n in rows:
        out.setdefault(state, {})[channel] = n
    return out


def campaign_list(*, user: Any) -> QuerySet[Campaign]:
    if not user.can("outreach.view"):
        return Campaign.objects.none()
    return scope_queryset(Campaign.objects.all(), user, field="area_code").select_related(
        "segment", "template", "created_by", "approved_by", "task"
    )


def campaign_get(*, user: Any, pk: Any) -> Campaign:
    return campaign_list(user=user).get(pk=pk)


def template_list(*, user: Any) -> QuerySet[Template]:
    if not user.can("outreach.view"):
        return Template.objects.none()
    return scope_queryset(Template.objects.all(), user, field="area_code").select_related("created_by")


def template_get(*, user: Any, pk: Any) -> Template:
    return template_list(user=user).get(pk=pk)


def template_save(
    *,
    actor: Any,
    name: str,
    body: str,
    essential: bool = False,
    wechat_template_id: str = "",
    template: Template | None = None,
    request: Any = None,
) -> Template:
    """Create or change a template, refusing unknown variables and texts over the SMS limit."""
    if not actor.can("outreach.send"):
        raise PermissionDenied(_("Your roles do not allow sending messages."))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("The name is longer than 100 characters.")})
    body = (body or "").strip()
    if len(body) > 1000:
        raise ValidationError({"body": _("The text is longer than 1000 characters.")})
    template_check(body, essential=essential)
    with transaction.atomic():
        if template is None:
            template = Template.objects.create(
                name=name,
                body=body,
                essential=essential,
                wechat_template_id=wechat_template_id.strip(),
                area_code=str(getattr(actor, "scope_code", "") or ""),
                created_by=actor,
            )
            action = Action.CREATE
        else:
            if not code_in_scope(actor, template.area_code):
                raise PermissionDenied(_("This template belongs to another area."))
            if Campaign.objects.filter(template=template).exclude(status=CampaignStatus.DRAFT).exists():
                raise ValidationError(
                    {"body": _("A campaign already sent this template; save it as a new one.")}
                )
            template.name, template.body, template.essential = name, body, essential
            template.wechat_template_id = wechat_template_id.strip()
            template.save(update_fields=["name", "body", "essential", "wechat_template_id", "updated_at"])
            action = Action.UPDATE
        audit_record(
            action=action,
            actor=actor,
            object_type="outreach.template",
            object_id=template.pk,
            request=request,
            changes={"name": name, "essential": essential},
        )
    return template


def _clean_channels(channels: Sequence[str]) -> list[str]:
    out: list[str] = []
    for channel in channels:
        if not channel:
            continue
        if channel not in PERSON_CHANNELS:
            raise ValidationError({"channels": _("Unknown channel %(channel)s.") % {"channel": channel}})
        if channel not in out:
            out.append(channel)
    if not out:
        raise ValidationError({"channels": _("Choose at least one channel.")})
    return out


def campaign_create(
    *,
    actor: Any,
    name: str,
    segment: Segment,
    template: Template,
    channels: Sequence[str],
    urgent: bool = False,
    scheduled_at: dt.datetime | None = None,
    request: Any = None,
) -> Campaign:
    """A draft campaign; its area is the segment's area filter, or the creator's own area."""
    if not actor.can("outreach.send"):
        raise PermissionDenied(_("Your roles do not allow sending messages."))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter a name.")})
    if not segment_list(user=actor).filter(pk=segment.pk).exists():
        raise ValidationError({"segment": _("The audience is outside your area.")})
    if not template_list(user=actor).filter(pk=template.pk).exists():
        raise ValidationError({"template": _("The template is outside your area.")})
    cleaned = _clean_channels(channels)
    if scheduled_at is not None and scheduled_at < timezone.now() - dt.timedelta(minutes=1):
        raise ValidationError({"scheduled_at": _("The sending time is in the past.")})
    area = str((segment.filters or {}).get("area") or getattr(actor, "scope_code", "") or "")
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name[:100],
            segment=segment,
            template=template,
            channels=cleaned,
            urgent=urgent,
            scheduled_at=scheduled_at,
            area_code=area,
            created_by=actor,
        )
        audit_record(
            action=Action.CREATE,
            actor=actor,
            object_type="outreach.campaign",
            object_id=campaign.pk,
            request=request,
            changes={
                "name": campaign.name,
                "segment": segment.pk,
                "template": template.pk,
                "channels": cleaned,
                "scheduled_at": scheduled_at.isoformat() if scheduled_at else "",
            },
        )
    return campaign


def _may_act(actor: Any, campaign: Campaign, perm: str) -> None:
    if not actor.can(perm):
        raise PermissionDenied(_("Your roles do not allow this."))
    if not code_in_scope(actor, campaign.area_code):
        raise PermissionDenied(_("This campaign belongs to another area."))


def _release(actor: Any, campaign: Campaign, *, request: Any = None) -> None:
    """Approved (or small enough): scheduled for later, or queued now as a background task."""
    before = campaign.status
    if campaign.scheduled_at and campaign.scheduled_at > timezone.now():
        campaign.status = CampaignStatus.SCHEDULED
        campaign.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
        _audit(actor, campaign, {"status": [before, campaign.status]}, request)
        return
    _start_queue(actor, campaign, before=before, request=request)


def _start_queue(actor: Any, campaign: Campaign, *, before: str, request: Any = None) -> None:
    task = background_task_start(
        kind=QUEUE_KIND, user=actor or campaign.created_by, params={"campaign_id": campaign.pk}
    )
    campaign.status = CampaignStatus.QUEUING
    campaign.task = task
    campaign.save(update_fields=["status", "task", "approved_by", "approved_at", "updated_at"])
    _audit(actor, campaign, {"status": [before, campaign.status], "task": str(task.pk)}, request)


def campaign_submit(*, actor: Any, campaign: Campaign, request: Any = None) -> Campaign:
    """Count the audience and send it on: to approval above the city's size, else on its way."""
    _may_act(actor, campaign, "outreach.send")
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.DRAFT:
            raise ValidationError({"status": _("Only a draft can be submitted.")})
        if campaign.scheduled_at is not None and campaign.scheduled_at < timezone.now() - dt.timedelta(
            minutes=1
        ):
            raise ValidationError({"scheduled_at": _("The sending time is in the past.")})
        creator = campaign.created_by or actor
        campaign.audience_size = segment_people(campaign.segment, user=creator).count()
        if campaign.audience_size == 0:
            raise ValidationError({"segment": _("The audience is empty.")})
        campaign.save(update_fields=["audience_size", "updated_at"])
        if campaign.audience_size > int(outreach_conf()["approval_size"]):
            campaign.status = CampaignStatus.AWAITING_APPROVAL
            campaign.save(update_fields=["status", "updated_at"])
            _audit(
                actor,
                campaign,
                {
                    "status": [CampaignStatus.DRAFT, campaign.status],
                    "audience_size": campaign.audience_size,
                },
                request,
            )
        else:
            _release(actor, campaign, request=request)
    return campaign


def campaign_approve(*, actor: Any, campaign: Campaign, request: Any = None) -> Campaign:
    """A second staff member approves a large campaign: not its creator, and its area in their scope."""
    _may_act(actor, campaign, "outreach.approve")
    if campaign.created_by_id == actor.pk:
        raise PermissionDenied(_("A campaign is approved by someone other than its creator."))
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.AWAITING_APPROVAL:
            raise ValidationError({"status": _("This campaign is not awaiting approval.")})
        campaign.approved_by = actor
        campaign.approved_at = timezone.now()
        _release(actor, campaign, request=request)
    return campaign


def campaign_cancel(*, actor: Any, campaign: Campaign, request: Any = None) -> Campaign:
    """Stop a campaign: messages still waiting are cancelled; those sent stay as they are."""
    _may_act(actor, campaign, "outreach.send")
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status not in OPEN_STATUSES:
            raise ValidationError({"status": _("This campaign is already over.")})
        before = campaign.status
        campaign.status = CampaignStatus.CANCELLED
        campaign.finished_at = timezone.now()
        campaign.save(update_fields=["status", "finished_at", "updated_at"])
        cancelled = _cancel_pending(campaign)
        _audit(
            actor, campaign, {"status": [before, campaign.status], "messages_cancelled": cancelled}, request
        )
    return campaign


def campaigns_start_due(now: dt.datetime | None = None) -> int:
    """Beat: queue the scheduled campaigns whose time has come; close the sending ones that are done."""
    now = now or timezone.now()
    started = 0
    for pk in Campaign.objects.filter(status=CampaignStatus.SCHEDULED, scheduled_at__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            campaign = (
                Campaign.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=CampaignStatus.SCHEDULED)
                .first()
            )
            if campaign is None:
                continue
            _start_queue(None, campaign, before=CampaignStatus.SCHEDULED)
            started += 1
    for campaign in Campaign.objects.filter(status=CampaignStatus.SENDING):
        campaign_refresh(campaign)
    return started


def campaign_queue_now(*, actor: Any, campaign: Campaign, progress: Progress | None = None) -> int:
    """Queue a campaign in this process (the command line): a draft within the approval size, or one
    already released (scheduled, queuing, sending — the queue is idempotent, so this also resumes)."""
    _may_act(actor, campaign, "outreach.send")
    campaign = Campaign.objects.get(pk=campaign.pk)
    if campaign.status == CampaignStatus.DRAFT:
        creator = campaign.created_by or actor
        size = segment_people(campaign.segment, user=creator).count()
        Campaign.objects.filter(pk=campaign.pk).update(audience_size=size)
        campaign.audience_size = size
        if size > int(outreach_conf()["approval_size"]):
            raise ValidationError({"status": _("This campaign needs approval first; submit it.")})
    elif campaign.status not in (CampaignStatus.SCHEDULED, CampaignStatus.QUEUING, CampaignStatus.SENDING):
        raise ValidationError(
            {
                "status": _("A campaign that is %(status)s cannot be queued.")
                % {"status": campaign.get_status_display()}
            }
        )
    _audit(actor, campaign, {"status": [campaign.status, CampaignStatus.QUEUING], "foreground": True})
    return campaign_queue(campaign, progress)
