"""``wengang seed-postings --count N --seed S``: fictional enterprises and postings for demos and benches."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wengang.jobs.seed import seed_postings
from wengang.regions.models import Region
from wengang.regions.services import luoyang_load


class Command(BaseCommand):
    # Marked for translation here, translated in create_parser() (argparse needs a plain str).
    help = gettext_noop(
        "Generate fictional enterprises (in Luoyang and the partner cities) and postings, mostly published. "
        "The same --count and --seed always give the same postings. Does nothing if at least --count "
        "postings exist; otherwise adds the missing ones. If no counties are loaded, the shipped Luoyang "
        "areas are loaded first."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--count", type=int, required=True, help=_("number of postings wanted"))
        parser.add_argument("--seed", type=int, default=1, help=_("random seed (default 1)"))
        parser.add_argument(
            "--batch-size",
            dest="batch_size",
            type=int,
            default=5000,
            help=_("postings written per transaction (default %(default)s)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["count"]
        if count < 0 or options["batch_size"] < 1:
            raise CommandError(_("--count cannot be negative and --batch-size must be at least 1"))
        if not Region.objects.filter(level="county").exists():
            luoyang_load()
            self.stdout.write(_("No counties were loaded: the shipped Luoyang areas have been loaded."))
        started = time.perf_counter()
        created = seed_postings(count, seed=options["seed"], batch=options["batch_size"])
        if created == 0:
            self.stdout.write(
                _("At least %(n)d postings exist already; nothing was generated.") % {"n": count}
            )
            return
        self.stdout.write(
            _("%(n)d postings generated in %(s).1f seconds.")
            % {"n": created, "s": time.perf_counter() - started}
        )
