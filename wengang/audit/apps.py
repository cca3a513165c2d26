from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "wengang.audit"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers this app's background kinds)

    verbose_name = _("Audit log")
