"""``wengang outreach_relay [--channel sms] [--once] [--max-seconds N]``: the relay daemon, one per channel.

It drains the channel's outbox at the contracted rate, in windows of a few seconds (each window first
requeues what a dead relay left behind), until stopped. SIGTERM or SIGINT lets the current window finish its
batch in flight and exits; a second signal exits at once (what is in flight is then recovered like after a
crash: see ``relay.reclaim_stale``).
"""

from __future__ import annotations

import signal
import sys
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from wengang.outreach.choices import RELAYED_CHANNELS
from wengang.outreach.relay import RelayStats, relay_drain


class Command(BaseCommand):
    help = "Relay queued outreach messages on one channel to its gateway, until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", default="sms", choices=sorted(RELAYED_CHANNELS))
        parser.add_argument("--once", action="store_true", help="send what is due, then exit")
        parser.add_argument("--max-seconds", type=float, default=0.0, help="exit after this long (0: never)")
        parser.add_argument("--window", type=float, default=5.0, help="seconds per drain window")

    def handle(self, *args: Any, **options: Any) -> None:
        channel: str = options["channel"]
        window: float = options["window"]
        max_seconds: float = options["max_seconds"]
        if options["once"]:
            stats = relay_drain(channel, max_seconds=max_seconds or 3600.0, stop_when_idle=True)
            self._report(channel, stats)
            return
        stopping = {"asked": False}

        def stop(signum: int, _frame: FrameType | None) -> None:
            if stopping["asked"]:
                sys.exit(128 + signum)
            stopping["asked"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        deadline = time.monotonic() + max_seconds if max_seconds else float("inf")
        total = RelayStats()
        self.stdout.write(f"outreach relay for {channel} started")
        while not stopping["asked"] and time.monotonic() < deadline:
            close_old_connections()
            span = min(window, max(0.1, deadline - time.monotonic()))
            total.add(relay_drain(channel, max_seconds=span, stop_when_idle=False))
        self._report(channel, total)

    def _report(self, channel: str, stats: RelayStats) -> None:
        shown = ", ".join(f"{k} {v}" for k, v in sorted(stats.counts.items())) or "nothing due"
        self.stdout.write(f"outreach relay for {channel}: {shown}")
