"""Import an enterprise list (.xlsx/.xls/.csv) as a given account, with that account's scope and rights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wengang.employers import importers
from wengang.registry.importers.reading import TableError


class Command(BaseCommand):
    help = "Import an enterprise list as an account (its scope applies); prints every rejected row."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--user", required=True, help="the account the import is done as (audited)")
        parser.add_argument(
            "--valid-rows",
            action="store_true",
            help="load the valid rows even when some are rejected (default: load nothing if any is)",
        )
        parser.add_argument("--report", type=Path, help="write the rejected rows to this .xlsx file")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            user = get_user_model().objects.get(username=options["user"], is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No active account {options['user']!r}.") from exc
        try:
            result = importers.enterprise_import(
                user=user,
                data=path.read_bytes(),
                filename=path.name,
                all_or_nothing=not options["valid_rows"],
            )
        except (OSError, TableError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from exc
        for message in result.file_warnings + result.messages():
            self.stderr.write(message)
        if result.errors and options["report"]:
            options["report"].write_bytes(importers.error_report_xlsx_bytes(result))
        self.stdout.write(
            f"rows={result.total_rows} created={result.created} updated={result.updated} "
            f"unchanged={result.unchanged} rejected={result.rejected} loaded={result.loaded}"
        )
        if result.errors and not result.loaded:
            raise CommandError(
                "Nothing was loaded: some rows have errors (use --valid-rows to load the rest)."
            )
