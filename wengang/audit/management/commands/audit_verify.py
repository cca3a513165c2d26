import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wengang.audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the whole audit hash chain and name the first broken link."

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = audit_verify(
            on_progress=lambda n: self.stderr.write(_("%(count)d events verified…") % {"count": n})
        )
        seconds = time.perf_counter() - started
        if not result.ok:
            raise CommandError(
                ngettext(
                    "The audit chain is broken at event %(id)s (%(reason)s); the %(checked)d event "
                    "before it is intact.",
                    "The audit chain is broken at event %(id)s (%(reason)s); the %(checked)d events "
                    "before it are intact.",
                    result.checked,
                )
                % {"id": result.broken_id, "reason": result.reason_display, "checked": result.checked}
            )
        self.stdout.write(
            ngettext(
                "The audit chain is intact: %(count)d event, checked in %(seconds).1f seconds.",
                "The audit chain is intact: %(count)d events, checked in %(seconds).1f seconds.",
                result.checked,
            )
            % {"count": result.checked, "seconds": seconds}
        )
