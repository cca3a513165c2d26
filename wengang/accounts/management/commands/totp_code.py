import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from wengang.accounts.models import User
from wengang.accounts.services import totp_secret


class Command(BaseCommand):
    help = "Demo installs only: print the current second-factor code of a demo admin account."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.WENGANG_DEMO:
            raise CommandError("仅演示环境（WENGANG_DEMO=1）可用。")
        user = User.objects.filter(username=username).first()
        if user is None or not user.totp_secret_encrypted:
            raise CommandError(f"账户 {username} 没有第二因素密钥。")
        self.stdout.write(pyotp.TOTP(totp_secret(user)).now())
