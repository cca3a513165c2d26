from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from wengang.accounts.roles import Role
from wengang.accounts.services import user_create


class Command(BaseCommand):
    help = "Create an account: wengang user-create USERNAME --role county_admin --scope 410329 --password ..."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", action="append", required=True, choices=Role.values)
        parser.add_argument("--scope", required=True, help="Area code the account sees (6, 9 or 12 digits).")
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument("--enterprise-id", type=int, default=None)

    def handle(self, *args, **o):
        try:
            user = user_create(
                actor=None,
                username=o["username"],
                password=o["password"],
                roles=o["role"],
                scope_code=o["scope"],
                full_name=o["name"],
                phone=o["phone"],
                enterprise_id=o["enterprise_id"],
            )
        except ValidationError as exc:
            raise CommandError(pgettext("sentence separator", "; ").join(exc.messages)) from exc
        self.stdout.write(
            _("Created the account %(username)s (%(roles)s, scope %(scope)s).")
            % {
                "username": user.username,
                "roles": pgettext("list separator", ", ").join(user.role_labels),
                "scope": user.scope_code,
            }
        )
