"""Typed access to ``settings.WENGANG_OUTREACH`` (see config/settings/base.py)."""

from typing import Any

from django.conf import settings


def outreach_conf() -> dict[str, Any]:
    conf: dict[str, Any] = settings.WENGANG_OUTREACH
    return conf
