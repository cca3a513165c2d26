from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkersConfig(AppConfig):
    """The worker's own pages under /m/: SMS one-time-code login, jobs, applications, messages, consent."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "wengang.workers"
    verbose_name = _("Worker pages")
