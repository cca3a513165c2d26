"""Project-level guards: migrations match the models; no page loads assets from another host."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_migrations_match_models():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def test_templates_load_nothing_from_another_host():
    offenders = []
    for path in (ROOT / "wengang").rglob("*.html"):
        text = path.read_text()
        if re.search(r"""(src|href)=["'](https?:)?//""", text):
            offenders.append(str(path))
    assert offenders == []


def test_vendored_assets_carry_licence_and_version():
    for name in ("echarts", "htmx"):
        folder = ROOT / "wengang" / "static" / "vendor" / name
        assert (folder / "LICENSE").exists()
        assert (folder / "VERSION").read_text().strip()
