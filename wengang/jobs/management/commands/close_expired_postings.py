from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from wengang.jobs.services import postings_close_expired


class Command(BaseCommand):
    help = "Close every open posting whose end date has passed (Celery beat runs this hourly)."

    def handle(self, *args: Any, **options: Any) -> None:
        closed = postings_close_expired()
        self.stdout.write(_("%(n)d expired postings closed.") % {"n": closed})
