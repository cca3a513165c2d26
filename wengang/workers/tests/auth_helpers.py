"""Shared by the worker-login tests: the in-memory SMS gateway and a helper that logs a phone in."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from wengang.outreach.backends import MemoryBackend


@pytest.fixture
def sms():
    MemoryBackend.reset()
    yield MemoryBackend
    MemoryBackend.reset()


def last_code(phone: str) -> str:
    sent = [m for m in MemoryBackend.outbox if m.address == phone]
    assert sent, f"no SMS to {phone}"
    found = re.search(r"(\d{6})$", sent[-1].body)
    assert found, sent[-1].body
    return found.group(1)


def ask_code(client, phone: str, ip: str = "10.0.0.1"):
    return client.post(reverse("workers:login"), {"phone": phone}, REMOTE_ADDR=ip)


def log_in(client, phone: str, ip: str = "10.0.0.1"):
    """Ask for a code and enter it; returns the response to the code page's POST."""
    response = ask_code(client, phone, ip)
    assert response.status_code == 302, response.content[:300]
    return client.post(reverse("workers:login_code"), {"code": last_code(phone)}, REMOTE_ADDR=ip)


def english(client):
    """Ask for English pages: the messages tests read are the msgids, whatever the catalogue holds."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
