from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "wengang.registry"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers this app's background kinds)

    verbose_name = _("Labour registry")
