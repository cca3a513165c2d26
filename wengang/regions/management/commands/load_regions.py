"""``manage.py load_regions`` — load a region or code-change CSV file (format: docs/regions-format.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from wengang.regions.services import (
    LoadResult,
    RegionLoadError,
    code_changes_load_file,
    luoyang_load,
    regions_load_file,
)


def _summary(result: LoadResult) -> str:
    return _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }


class Command(BaseCommand):
    # Marked for translation here, translated in create_parser() (argparse needs a plain str).
    help = gettext_noop(
        "Load an administrative-area CSV file (UTF-8 or GBK). Header: code,name,parent_code,level, "
        "optionally longitude,latitude,valid_from,valid_to,is_statistical,data_version; "
        "the format is described in docs/regions-format.md. "
        "With --changes, FILE is a code-change file (old_code,new_code,effective_date,note); "
        "with --luoyang and no FILE, the shipped Luoyang areas and code changes are loaded. "
        "If the file has any error, every error is listed, nothing is written and the exit status is 1."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help=_("path of the CSV file"))
        parser.add_argument(
            "--data-version",
            dest="data_version",
            default=None,
            help=_("data version for rows without a data_version cell (default: the file name)"),
        )
        parser.add_argument(
            "--changes",
            action="store_true",
            help=_("FILE is a code-change file (old_code,new_code,effective_date,note)"),
        )
        parser.add_argument(
            "--luoyang",
            action="store_true",
            help=_("load the shipped Luoyang data (do not give FILE as well)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path | None = options["file"]
        if options["luoyang"]:
            if path is not None:
                raise CommandError(_("--luoyang cannot be used together with FILE"))
            if options["changes"] or options["data_version"] is not None:
                raise CommandError(_("--luoyang cannot be used together with --changes or --data-version"))
        elif path is None:
            raise CommandError(
                _("Give the path of a CSV file, or use --luoyang to load the shipped Luoyang data")
            )
        elif not path.is_file():
            raise CommandError(_("File not found: %(path)s") % {"path": path})
        elif options["changes"] and options["data_version"] is not None:
            raise CommandError(
                _("A code-change file has no data version: --data-version cannot be used with --changes")
            )

        try:
            if path is None:
                regions, changes = luoyang_load()
                self.stdout.write(_("Regions: %(summary)s") % {"summary": _summary(regions)})
                self.stdout.write(_("Code changes: %(summary)s") % {"summary": _summary(changes)})
            elif options["changes"]:
                self.stdout.write(_summary(code_changes_load_file(path=path)))
            else:
                self.stdout.write(
                    _summary(regions_load_file(path=path, data_version=options["data_version"]))
                )
        except RegionLoadError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            count = len(exc.errors)
            raise CommandError(
                ngettext(
                    "%(count)d error; nothing was written", "%(count)d errors; nothing was written", count
                )
                % {"count": count}
            ) from exc
