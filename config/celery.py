"""The Celery app. Tasks are discovered in each app's ``tasks.py``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("wengang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Shared tasks resolve to the current app of the calling thread, else to the process default: make this app
# the default, so web-server threads (which have no current app of their own) send to the configured broker.
app.set_default()
