from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wengang.accounts.models import User
from wengang.accounts.services import token_create


class Command(BaseCommand):
    help = "Print a new API token for USERNAME (shown once; use it as 'Authorization: Bearer <token>')."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                _("There is no account with the username %(username)s.") % {"username": username}
            )
        if not user.is_active:
            raise CommandError(_("The account %(username)s is disabled.") % {"username": username})
        self.stdout.write(token_create(user=user, name=name))
