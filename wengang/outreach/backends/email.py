"""E-mail to enterprises through an SMTP relay (``WENGANG_OUTREACH["email"]``: host, port, from).

One connection carries a whole batch. The ``Message-ID`` is made from the idempotency key, so a message
resent after a crash carries the same id and mail systems can recognise the repeat. The relay accepting a
message is all SMTP tells us: such a message is ``sent``. A 4xx answer (or a lost connection) is retried;
a 5xx answer (an unknown mailbox, a refused sender) is final.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from ..conf import outreach_conf
from . import Backend, Outgoing, PermanentError, Sent, TransientError

logger = logging.getLogger(__name__)

TIMEOUT_S = 20.0


def message_id_for(key: str, sender: str) -> str:
    """``<key-digest@sender's domain>``: the same key always gives the same Message-ID."""
    domain = sender.rpartition("@")[2] or "wengang.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def _mask(address: str) -> str:
    name, _, domain = address.partition("@")
    return (name[:2] + "…@" + domain) if domain else "…"


class SmtpBackend(Backend):
    channel = "email"
    confirms_by_receipt = False

    def __init__(self) -> None:
        conf: dict[str, Any] = dict(outreach_conf().get("email", {}))
        self.host = str(conf.get("host") or "127.0.0.1")
        self.port = int(conf.get("port") or 25)
        self.sender = str(conf.get("from") or "noreply@wengang.invalid")
        self.smtp: smtplib.SMTP | None = None

    def build(self, item: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = item.address
        subject = item.subject or item.body.strip().split("\n", 1)[0][:60]
        mail["Subject"] = " ".join(subject.split())
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = message_id_for(item.key, self.sender)
        body = item.body if not item.link else f"{item.body}\n\n{item.link}"
        mail.set_content(body, charset="utf-8")
        return mail

    def _connection(self) -> smtplib.SMTP:
        if self.smtp is None:
            try:
                self.smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_S)
            except (OSError, smtplib.SMTPException) as exc:
                raise TransientError(f"SMTP connection: {exc}") from exc
        return self.smtp

    def _drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def send_many(self, items: list[Outgoing]) -> list[Any]:
        try:
            return super().send_many(items)
        finally:
            self.close()

    def send(self, item: Outgoing) -> Sent:
        try:
            mail = self.build(item)
        except (ValueError, TypeError) as exc:  # an address or subject no header can carry
            raise PermanentError(f"e-mail not built: {exc}") from exc
        smtp = self._connection()
        try:
            refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise self._error(code, reply) from exc
        except smtplib.SMTPResponseException as exc:
            if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
                self._reset()
            else:
                self._drop()
            raise self._error(exc.smtp_code, exc.smtp_error) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise TransientError(f"SMTP connection: {exc}") from exc
        if refused:
            code, reply = next(iter(refused.values()))
            raise self._error(code, reply)
        logger.info("e-mail to %s accepted", _mask(item.address))
        return Sent(gateway_ref=mail["Message-ID"].strip("<>")[:100])

    def _reset(self) -> None:
        try:
            if self.smtp is not None:
                self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    @staticmethod
    def _error(code: int, reply: bytes | str) -> Exception:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        reason = f"SMTP {code} {text}"[:300]
        if 400 <= code < 500:
            return TransientError(reason)
        return PermanentError(reason)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            finally:
                self.smtp = None
