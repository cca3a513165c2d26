from django.core.management.base import BaseCommand, CommandError

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
            raise CommandError(f"没有用户名为 {username} 的账户。")
        if not user.is_active:
            raise CommandError(f"账户 {username} 已停用。")
        self.stdout.write(token_create(user=user, name=name))
