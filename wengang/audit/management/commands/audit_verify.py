import time

from django.core.management.base import BaseCommand, CommandError

from wengang.audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the whole audit hash chain and name the first broken link."

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = audit_verify(on_progress=lambda n: self.stderr.write(f"已校验 {n} 条…"))
        seconds = time.perf_counter() - started
        if not result.ok:
            raise CommandError(
                f"审计链在第 {result.broken_id} 条断开（{result.reason}），此前 {result.checked} 条完好。"
            )
        self.stdout.write(f"审计链完好：共 {result.checked} 条，用时 {seconds:.1f} 秒。")
