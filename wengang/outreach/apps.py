from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    """Reaching workers: channels, templates, segments, campaigns, the outbox and its relay, opt-outs."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "wengang.outreach"
    verbose_name = _("Outreach")
