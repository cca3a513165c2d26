"""``wengang outreach_purge``: empty message texts older than the retention period (beat runs it daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from wengang.outreach.conf import outreach_conf
from wengang.outreach.retention import messages_purge


class Command(BaseCommand):
    help = "Empty the texts of outreach messages and replies older than the retention period."

    def handle(self, *args: Any, **options: Any) -> None:
        count = messages_purge()
        days = outreach_conf()["retention_days"]
        self.stdout.write(f"{count} message texts older than {days} days emptied.")
