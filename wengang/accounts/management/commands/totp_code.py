import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wengang.accounts.models import User
from wengang.accounts.services import totp_secret


class Command(BaseCommand):
    help = "Demo installs only: print the current second-factor code of a demo admin account."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.WENGANG_DEMO:
            raise CommandError(_("Only available in demo installs (WENGANG_DEMO=1)."))
        user = User.objects.filter(username=username).first()
        if user is None or not user.totp_secret_encrypted:
            raise CommandError(
                _("The account %(username)s has no second-factor key.") % {"username": username}
            )
        self.stdout.write(pyotp.TOTP(totp_secret(user)).now())
