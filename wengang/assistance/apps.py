from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    """The 131 service: priority cases and the guidance, job offers and training given to each person."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "wengang.assistance"
    verbose_name = _("Employment assistance")
