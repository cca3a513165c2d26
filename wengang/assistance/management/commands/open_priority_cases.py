from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from wengang.assistance.services import cases_open_automatically
from wengang.regions.models import Region


class Command(BaseCommand):
    help = (
        "Open a priority case (131 service) for every person in a monitored household or three-without, "
        "who has none open. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scope", default="", help="Only this area code (county, township or village).")

    def handle(self, *args: Any, **options: Any) -> None:
        scope = (options["scope"] or "").strip()
        if scope and not Region.objects.filter(code=scope).exists():
            raise CommandError(_("Unknown area code “%(code)s”.") % {"code": scope})
        result = cases_open_automatically(scope_code=scope)
        self.stdout.write(_("%(n)d priority cases opened.") % {"n": result["opened"]})
