"""``wengang campaign list|show|queue|approve``: follow and drive campaigns from the command line."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wengang.accounts.models import User
from wengang.background.services import Progress
from wengang.outreach.campaigns import campaign_approve, campaign_counts, campaign_queue_now, campaign_refresh
from wengang.outreach.choices import CampaignStatus
from wengang.outreach.models import Campaign


class LineProgress(Progress):
    """Progress written as one line that rewrites itself, instead of to a task row."""

    def __init__(self, out: Any) -> None:  # no task row
        self.out = out
        self.total: int | None = None
        self.started = time.monotonic()
        self._last = 0.0
        self.min_interval = 0.5

    def update(
        self,
        *,
        done: int,
        total: int | None = None,
        errors: int | None = None,
        message: str | None = None,
        force: bool = False,
    ) -> None:
        now = time.monotonic()
        if total is not None:
            self.total = total
        if not force and now - self._last < self.min_interval:
            return
        self._last = now
        rate = done / max(now - self.started, 1e-6)
        line = f"\r{done}/{self.total or '?'} people, {rate:,.0f}/s"
        if message:
            line += f" — {message}"
        self.out.write(line, ending="")
        self.out.flush()


class Command(BaseCommand):
    help = "List, show, queue (in this process) and approve outreach campaigns."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="campaigns, newest first")
        listing.add_argument("--status", default="", choices=["", *CampaignStatus.values])
        listing.add_argument("--limit", type=int, default=50)
        show = sub.add_parser("show", help="one campaign with its message counts")
        show.add_argument("id", type=int)
        queue = sub.add_parser("queue", help="write the campaign's messages now, showing progress")
        queue.add_argument("id", type=int)
        queue.add_argument("--user", required=True, help="username of the staff member who queues it")
        approve = sub.add_parser("approve", help="approve a campaign awaiting approval")
        approve.add_argument("id", type=int)
        approve.add_argument("--user", required=True, help="username of the approving administrator")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list(options["status"], options["limit"])
            return
        campaign = (
            Campaign.objects.select_related("segment", "template", "created_by")
            .filter(pk=options["id"])
            .first()
        )
        if campaign is None:
            raise CommandError(f"no campaign #{options['id']}")
        if action == "show":
            self._show(campaign)
            return
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']!r}")
        try:
            if action == "queue":
                progress = LineProgress(self.stdout)
                inserted = campaign_queue_now(actor=user, campaign=campaign, progress=progress)
                self.stdout.write("")
                self.stdout.write(f"campaign #{campaign.pk}: {inserted} new messages")
            else:
                campaign_approve(actor=user, campaign=campaign)
                self.stdout.write(f"campaign #{campaign.pk} approved by {user.username}")
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(text or "not allowed") from exc
        self._show(Campaign.objects.get(pk=campaign.pk))

    def _list(self, status: str, limit: int) -> None:
        qs = Campaign.objects.select_related("segment", "template").order_by("-created_at", "-id")
        if status:
            qs = qs.filter(status=status)
        for c in qs[:limit]:
            when = c.scheduled_at.isoformat(timespec="minutes") if c.scheduled_at else "-"
            self.stdout.write(
                f"#{c.pk}\t{c.status}\t{c.audience_size}\t{when}\t{c.area_code}\t{c.name}\t"
                f"{c.segment.name} / {c.template.name}"
            )

    def _show(self, campaign: Campaign) -> None:
        campaign = campaign_refresh(campaign)
        w = self.stdout.write
        w(f"campaign #{campaign.pk}: {campaign.name}")
        w(f"status: {campaign.status}")
        w(f"area: {campaign.area_code}")
        w(f"segment: #{campaign.segment_id} {campaign.segment.name}")
        w(f"template: #{campaign.template_id} {campaign.template.name}")
        w(f"channels: {' > '.join(campaign.channels or [])}")
        w(f"audience: {campaign.audience_size}")
        w(f"scheduled at: {campaign.scheduled_at.isoformat() if campaign.scheduled_at else '-'}")
        w(f"created by: {campaign.created_by.username if campaign.created_by else '-'}")
        w(f"approved by: {campaign.approved_by.username if campaign.approved_by else '-'}")
        for state, by_channel in sorted(campaign_counts(campaign).items()):
            parts = ", ".join(f"{ch} {n}" for ch, n in sorted(by_channel.items()))
            w(f"{state}: {sum(by_channel.values())} ({parts})")
        sys.stdout.flush()
