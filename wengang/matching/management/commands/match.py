"""``wengang match --scope CODE``: a full match run for an area, in this process (no worker needed)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wengang.matching.runs import match_run_create, match_run_execute
from wengang.regions.models import Region


class Command(BaseCommand):
    help = "Run job matching for an area code and store the recommendations (prints counts and statistics)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scope", required=True, help="area code: city, county, township or village")

    def handle(self, *args: Any, **options: Any) -> None:
        scope = options["scope"].strip()
        if not Region.objects.filter(code=scope).exists():
            raise CommandError(f"unknown area code {scope!r} (load the regions first?)")
        run = match_run_create(actor=None, scope_code=scope)
        run = match_run_execute(run_id=run.pk)
        self.stdout.write(f"match run #{run.pk} for {scope}: {run.status}")
        self.stdout.write(f"seekers: {run.seekers}")
        self.stdout.write(f"postings: {run.postings}")
        self.stdout.write(f"recommendations: {run.recommendations}")
        self.stdout.write("timings: " + json.dumps(run.timings))
        self.stdout.write("stats: " + json.dumps(run.stats, ensure_ascii=False))
        for note in run.notes:
            self.stdout.write(f"note: {note}")
