"""``manage.py seed --persons N --seed S`` — a fictional, reproducible population for demos and benchmarks."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wengang.regions.models import Region
from wengang.regions.services import luoyang_load
from wengang.registry.seed import BATCH_SIZE, SeedError, seed_population


class Command(BaseCommand):
    # Marked for translation here, translated in create_parser() (argparse needs a plain str).
    help = gettext_noop(
        "Generate a fictional working-age population (households, people with valid made-up ID numbers, "
        "employment and intents) in the villages loaded in the database. The same --persons and --seed "
        "always give the same people. Does nothing if at least --persons people are already registered; "
        "otherwise adds the missing ones. If no villages are loaded, the shipped Luoyang areas are loaded "
        "first."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--persons", type=int, required=True, help=_("number of people wanted"))
        parser.add_argument("--seed", type=int, default=2026, help=_("random seed (default 2026)"))
        parser.add_argument(
            "--scope", default="", help=_("only villages whose code starts with CODE (default: all loaded)")
        )
        parser.add_argument(
            "--postings",
            type=int,
            default=0,
            help=_("also top the labour demand up to this many postings (the jobs app's seed-postings)"),
        )
        parser.add_argument(
            "--batch-size",
            dest="batch_size",
            type=int,
            default=BATCH_SIZE,
            help=_("people written per transaction (default %(default)s)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        persons: int = options["persons"]
        scope: str = options["scope"].strip()
        if persons < 0 or options["batch_size"] < 1:
            raise CommandError(_("--persons cannot be negative and --batch-size must be at least 1"))
        if not scope and not Region.objects.filter(level="village").exists():
            luoyang_load()
            self.stdout.write(_("No villages were loaded: the shipped Luoyang areas have been loaded."))

        def progress(done: int, wanted: int) -> None:
            self.stdout.write(
                _("%(done)d of %(wanted)d people generated…") % {"done": done, "wanted": wanted}
            )

        try:
            result = seed_population(
                persons=persons,
                seed=options["seed"],
                scope=scope,
                batch_size=options["batch_size"],
                progress=progress,
            )
        except SeedError:
            raise CommandError(
                _("No villages have a code starting with %(scope)s.") % {"scope": scope}
            ) from None
        if result.people == 0:
            self.stdout.write(
                _("%(existing)d people are already registered (%(n)d asked for); nothing was generated.")
                % {"existing": result.existing, "n": persons}
            )
        else:
            self.stdout.write(
                _("%(n)d people in %(h)d households generated in %(s).1f seconds.")
                % {"n": result.people, "h": result.households, "s": result.seconds}
            )
        if options["postings"] > 0:
            # The command line is the one place that spans apps; registry domain code never imports jobs.
            call_command("seed_postings", count=options["postings"], seed=options["seed"], stdout=self.stdout)
