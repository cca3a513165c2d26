from django.core.management.base import BaseCommand

from wengang.dashboards.demo import DEMO_PASSWORD, demo_load, demo_logins


class Command(BaseCommand):
    help = "Load the Luoyang reference data and the demo population (idempotent), then print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the login table.")

    def handle(self, *args, quiet_logins=False, **options):
        result = demo_load()
        regions = result["regions"]
        self.stdout.write(
            f"区划：新增 {regions.created}，更新 {regions.updated}，未变 {regions.unchanged}；"
            f"新建演示账户 {len(result['accounts_created'])} 个。"
        )
        if quiet_logins:
            return
        self.stdout.write("")
        self.stdout.write(f"演示账户（密码均为 {DEMO_PASSWORD}）：")
        self.stdout.write("  用户名              范围         第二因素密钥（管理员）            角色")
        for row in demo_logins():
            totp = row["totp"] or "—"
            self.stdout.write(f"  {row['username']:<18}{row['scope']:<13}{totp:<34}{row['roles']}")
        self.stdout.write("")
        self.stdout.write(
            "管理员（city、county…、auditor）登录需第二因素：把上面的密钥加入任一 TOTP 验证器 App，"
            "或运行 .venv/bin/wengang totp-code <用户名> 取当前 6 位验证码。"
        )
