import json as jsonlib
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wengang.accounts.models import User
from wengang.registry.imports import counts_of, ledger_import_load, ledger_import_validate


class Command(BaseCommand):
    help = "Import a labour ledger (xlsx, xls or csv) as USERNAME, within that account's scope."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--as", dest="username", required=True, help="The account the import acts as.")
        parser.add_argument(
            "--report", type=Path, help="Write the rejected rows (masked) to this .xlsx file."
        )
        parser.add_argument("--json", action="store_true", help="Print the counts as one JSON object.")

    def handle(self, *args, file, username, report, json: bool, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("No active account is named %(u)s.") % {"u": username})
        if not file.exists():
            raise CommandError(_("The file %(f)s does not exist.") % {"f": file})
        try:
            record = ledger_import_validate(user=user, data=file.read_bytes(), filename=file.name)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        if record.valid_rows:
            record = ledger_import_load(import_id=record.pk)
        if report is not None and record.error_report:
            report.write_bytes(bytes(record.error_report))
        counts = counts_of(record).as_dict()
        if json:
            self.stdout.write(jsonlib.dumps({"import_id": record.pk, **counts}, ensure_ascii=False))
            return
        for error in record.errors[:50]:
            self.stderr.write(_("Row %(row)s, column %(column)s (%(value)s): %(reason)s") % error)
        self.stdout.write(
            _(
                "Created %(created)d, updated %(updated)d, unchanged %(unchanged)d, rejected %(rejected)d, "
                "warnings %(warnings)d."
            )
            % counts
        )
