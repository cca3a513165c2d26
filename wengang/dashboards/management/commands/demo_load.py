from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wengang.dashboards.demo import DEMO_PASSWORD, demo_load, demo_logins


class Command(BaseCommand):
    help = "Load the Luoyang reference data and the demo population (idempotent), then print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the login table.")
        parser.add_argument("--people", type=int, default=20_000, help="Fictional people in the registry.")

    def handle(self, *args, quiet_logins=False, people=20_000, **options):
        result = demo_load(people=people)
        self.stdout.write(
            _("Registry: %(n)d fictional people generated.") % {"n": result.get("people_created", 0)}
        )
        self.stdout.write(
            _("Labour demand: %(e)d enterprises and %(p)d postings generated.")
            % {"e": result.get("enterprises_created", 0), "p": result.get("postings_created", 0)}
        )
        regions = result["regions"]
        accounts = len(result["accounts_created"])
        self.stdout.write(
            ngettext(
                "Regions: %(created)d created, %(updated)d updated, %(unchanged)d unchanged; "
                "%(accounts)d demo account created.",
                "Regions: %(created)d created, %(updated)d updated, %(unchanged)d unchanged; "
                "%(accounts)d demo accounts created.",
                accounts,
            )
            % {
                "created": regions.created,
                "updated": regions.updated,
                "unchanged": regions.unchanged,
                "accounts": accounts,
            }
        )
        from wengang.workers.demo import demo_worker_load

        worker_phone = demo_worker_load()
        from wengang.outreach.demo import outreach_demo_load
        from wengang.workers.auth_services import phone_hash

        outreach_demo_load(worker_phone_hash=phone_hash(worker_phone) if worker_phone else "")
        if quiet_logins:
            return
        self.stdout.write("")
        self.stdout.write(
            _("Demo accounts (the password is %(password)s for all):") % {"password": DEMO_PASSWORD}
        )
        # The column titles are padded by hand: Chinese characters take two columns in a terminal.
        self.stdout.write("  " + _("Username          Scope        Second-factor key (admins)        Roles"))
        for row in demo_logins():
            totp = row["totp"] or "—"
            self.stdout.write(f"  {row['username']:<18}{row['scope']:<13}{totp:<34}{row['roles']}")
        if worker_phone:
            self.stdout.write(
                _("Demo worker's phone: %(phone)s (the login code appears in the terminal running make demo)")
                % {"phone": worker_phone}
            )
        self.stdout.write("")
        self.stdout.write(
            _(
                "Admins (city, county…, auditor) need a second factor to log in: add the key above to any "
                "TOTP authenticator app, or run .venv/bin/wengang totp-code <username> for the current "
                "6-digit code."
            )
        )
