from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "wengang.matching"
    verbose_name = _("Job matching")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the match-run background kind)
