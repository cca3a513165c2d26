"""Channel backends: how a message leaves for a gateway.

A backend sends a batch of ``Outgoing`` and answers, per item, a ``Sent`` or raises per-item errors as
``TransientError`` (retry later: HTTP 429, 5xx, a timeout) or ``PermanentError`` (never retry: an invalid
number, a blocked openid). ``confirms_by_receipt`` says whether the gateway reports every accepted message
back to us by its idempotency key (Kannel's and SMPP's submission reports): a relay that died mid-send then
waits for the report rather than resending.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib import import_module
from typing import ClassVar

from django.conf import settings

from wengang.core.masking import mask_phone

from ..conf import outreach_conf

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    message_id: int
    key: str  # the idempotency key
    channel: str
    address: str  # phone number, openid or e-mail address
    body: str  # the text as sent (SMS: signature and opt-out line included)
    subject: str = ""
    template_id: str = ""  # WeChat template id
    link: str = ""
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sent:
    gateway_ref: str = ""
    delivered: bool = False  # the gateway's answer is already the final delivery (in-site, SMTP relay)


class TransientError(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    pass


Outcome = Sent | TransientError | PermanentError


class Backend:
    channel: ClassVar[str] = ""
    confirms_by_receipt: ClassVar[bool] = False

    def send_many(self, items: list[Outgoing]) -> list[Outcome]:
        out: list[Outcome] = []
        for item in items:
            try:
                out.append(self.send(item))
            except (TransientError, PermanentError) as exc:
                out.append(exc)
        return out

    def send(self, item: Outgoing) -> Sent:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections (SMPP binds, HTTP sessions)."""


class ConsoleBackend(Backend):
    """Logs each message (address masked) and reports it sent: the embedded default with no gateway.

    The text itself (which names the person) is logged only in a demo install."""

    def send(self, item: Outgoing) -> Sent:
        shown = mask_phone(item.address) if item.channel == "sms" else item.address[:6] + "…"
        text = item.body if settings.WENGANG_DEMO else f"<{len(item.body)} characters>"
        logger.info("outreach %s to %s: %s", item.channel, shown, text)
        return Sent(gateway_ref=f"console-{item.message_id}")


class MemoryBackend(Backend):
    """Keeps what was sent in a list, for tests. ``fail`` maps an address to an error to raise."""

    outbox: ClassVar[list[Outgoing]] = []
    fail: ClassVar[dict[str, Exception]] = {}

    def send(self, item: Outgoing) -> Sent:
        error = self.fail.get(item.address)
        if error is not None:
            raise error
        type(self).outbox.append(item)
        return Sent(gateway_ref=f"mem-{item.message_id}")

    @classmethod
    def reset(cls) -> None:
        cls.outbox = []
        cls.fail = {}


# name → "module:Class"; gateways register here (kannel, smpp, wechat api, smtp).
BACKENDS: dict[str, str] = {
    "console": "wengang.outreach.backends:ConsoleBackend",
    "memory": "wengang.outreach.backends:MemoryBackend",
    "kannel": "wengang.outreach.backends.kannel:KannelBackend",
    "smpp": "wengang.outreach.backends.smpp:SmppBackend",
    "api": "wengang.outreach.backends.wechat:WeChatBackend",
    "smtp": "wengang.outreach.backends.email:SmtpBackend",
}


def backend_for(channel: str) -> Backend:
    name = outreach_conf()["backends"].get(channel, "console")
    module_name, _, cls_name = BACKENDS[name].partition(":")
    cls = getattr(import_module(module_name), cls_name)
    backend: Backend = cls()
    return backend
