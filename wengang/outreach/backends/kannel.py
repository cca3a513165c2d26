"""SMS through Kannel's HTTP ``sendsms`` interface (smsbox).

Each message is one GET to ``cgi-bin/sendsms`` with the text in UTF-8 (``coding=2`` asks Kannel for UCS-2,
which every Chinese text needs; Kannel splits a long text into concatenated parts itself). Every message asks
for delivery reports (``dlr-mask``) to our ``dlr-url``, which carries the message id and an HMAC token so no
one else can forge a report. Kannel answers the submission report (type 8) as soon as the operator accepts
the message: that is how a relay that died mid-send learns which messages left (``confirms_by_receipt``).

Kannel gives no message reference in its answer: reports find the message by our id, not by ``gateway_ref``.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac

from wengang.core.masking import mask_phone

from ..conf import outreach_conf
from . import Backend, Outcome, Outgoing, PermanentError, Sent, TransientError

logger = logging.getLogger(__name__)

_DLR_SALT = "wengang.outreach.kannel.dlr"
# Kannel fills these in when it calls the dlr-url: the report type, its SMSC's id and the SMSC's answer.
_DLR_PLACEHOLDERS = "type=%d&smsc=%i&reply=%A"


def dlr_token(message_id: int) -> str:
    """The HMAC that proves a delivery report for ``message_id`` came through a dlr-url we gave out."""
    return salted_hmac(_DLR_SALT, str(message_id), algorithm="sha256").hexdigest()[:32]


def dlr_token_valid(message_id: int, token: str) -> bool:
    return hmac.compare_digest(dlr_token(message_id), token or "")


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:  # an HTTP date: rare from Kannel or a proxy before it; use our own backoff
        return None


class Pacer:
    """Holds request starts to at most ``rate`` in any window of one second, spaced at least
    ``1 / (1.5 × rate)`` apart: the relay's token bucket allows a one-second burst on top of the refill, and
    Kannel's ``throughput`` does not hold back every kind of SMSC, so the contract is kept here. The pauses
    between the relay's batches are caught up on only as far as the window allows."""

    def __init__(self, rate: float) -> None:
        self.limit = int(rate) if rate >= 1 else 0
        self.spacing = 1.0 / (1.5 * rate) if rate > 0 else 0.0
        self.starts: deque[float] = deque()
        self.next = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.limit:
            return
        while True:
            with self.lock:
                now = time.monotonic()
                while self.starts and self.starts[0] <= now - 1.0:
                    self.starts.popleft()
                if len(self.starts) < self.limit and now >= self.next:
                    self.starts.append(now)
                    self.next = now + self.spacing
                    return
                full = self.starts[0] + 1.0 if len(self.starts) >= self.limit else now
                delay = max(full, self.next) - now
            time.sleep(max(delay, 0.0002))


class KannelBackend(Backend):
    """Kannel smsbox over HTTP, many requests at once (a session and a thread pool)."""

    channel: ClassVar[str] = "sms"
    confirms_by_receipt: ClassVar[bool] = True

    def __init__(self, conf: dict[str, Any] | None = None) -> None:
        self.conf = conf or outreach_conf()["kannel"]
        self.workers = int(self.conf.get("workers", 32))
        self.timeout = (float(self.conf.get("connect_timeout", 3)), float(self.conf.get("read_timeout", 15)))
        callback = self.conf.get("callback_url") or settings.WENGANG_PUBLIC_URL
        self.dlr_base = callback.rstrip("/") + reverse("outreach:kannel_dlr")
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy or .netrc look-up per request: Kannel is local
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=1, pool_maxsize=self.workers, max_retries=0, pool_block=True
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._pool: ThreadPoolExecutor | None = None
        self.pacer = Pacer(float(outreach_conf()["rate_per_s"].get("sms", 0)))

    def params(self, item: Outgoing) -> dict[str, str]:
        dlr_url = f"{self.dlr_base}?m={item.message_id}&k={dlr_token(item.message_id)}&{_DLR_PLACEHOLDERS}"
        params = {
            "username": self.conf["user"],
            "password": self.conf["password"],
            "from": self.conf["from"],
            "to": item.address,
            "text": item.body,
            "charset": "UTF-8",
            # 7-bit only for plain ASCII; anything else (every text with the 【signature】) as UCS-2.
            "coding": "0" if item.body.isascii() else "2",
            "dlr-mask": str(self.conf.get("dlr_mask", 31)),
            "dlr-url": dlr_url,
        }
        if self.conf.get("smsc"):
            params["smsc"] = self.conf["smsc"]
        return params

    def send(self, item: Outgoing) -> Sent:
        url = self.conf["url"] + "?" + urlencode(self.params(item))
        self.pacer.wait()
        try:
            response = self.session.get(url, timeout=self.timeout)
        except requests.exceptions.ConnectTimeout as exc:
            raise TransientError(f"Kannel unreachable: {exc.__class__.__name__}") from exc
        except requests.exceptions.ReadTimeout as exc:
            # Kannel may have taken it: wait for its submission report before sending again.
            raise TransientError(
                "Kannel did not answer in time", retry_after=float(outreach_conf()["receipt_grace_s"])
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            if "aborted" in str(exc):  # the request went out and the answer was cut: as for a timeout
                raise TransientError(
                    "Kannel closed the connection", retry_after=float(outreach_conf()["receipt_grace_s"])
                ) from exc
            raise TransientError(f"Kannel unreachable: {exc.__class__.__name__}") from exc
        except requests.exceptions.RequestException as exc:
            raise TransientError(f"Kannel request failed: {exc.__class__.__name__}") from exc
        status = response.status_code
        answer = response.text.strip()[:200]
        if status in (200, 202):
            return Sent()
        if status == 429 or status >= 500:
            raise TransientError(f"Kannel HTTP {status}: {answer}", retry_after=_retry_after(response))
        logger.warning(
            "Kannel refused the message to %s: HTTP %s %s", mask_phone(item.address), status, answer
        )
        raise PermanentError(f"Kannel HTTP {status}: {answer}")

    def _one(self, item: Outgoing) -> Outcome:
        try:
            return self.send(item)
        except (TransientError, PermanentError) as exc:
            return exc

    def send_many(self, items: list[Outgoing]) -> list[Outcome]:
        if len(items) <= 1:
            return [self._one(item) for item in items]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="kannel")
        return list(self._pool.map(self._one, items))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self.session.close()
