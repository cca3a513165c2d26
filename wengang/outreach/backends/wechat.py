"""WeChat Official Account template messages through WeChat's HTTP API.

The access token (``GET /cgi-bin/token``) is kept in Django's cache per appid until five minutes before it
expires; an answer saying it is invalid or expired (40001, 40014, 42001) fetches a new one and sends again,
once. Each message goes to ``POST /cgi-bin/message/template/send`` with ``client_msg_id`` = our
idempotency key, so WeChat sends a message resent after a crash only once (within its 10-minute window).

The text is put into the template's fields as follows; the default template (WENGANG_WECHAT_TEMPLATE_ID)
must have them, e.g. "工作通知":
{{first.DATA}} 内容：{{keyword1.DATA}} 时间：{{keyword2.DATA}} {{remark.DATA}}

- ``first``: the message's subject (or the first line of the text when it has none),
- ``keyword1``: the text,
- ``keyword2``: the local date and time of sending,
- ``remark``: "Tap to see the details" when the message links to a posting, else empty.

``Outgoing.data`` given by the caller (field → value) replaces this mapping.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import requests
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..wechat import mask_openid, wechat_conf
from . import Backend, Outgoing, PermanentError, Sent, TransientError

logger = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
TRANSIENT_ERRORS = frozenset({-1, 45009, 45047, 45015})
PERMANENT_ERRORS = frozenset({40003, 40037, 43004, 43101, 47001, 40036})
REFRESH_EARLY_S = 300
TIMEOUT_S = 10.0


def token_cache_key(appid: str) -> str:
    return f"outreach:wechat:token:{appid}"


class WeChatBackend(Backend):
    channel = "wechat"
    confirms_by_receipt = False
    errors: ClassVar[dict[int, str]] = {
        43004: "the person does not follow the account",
        40003: "invalid openid",
        40037: "invalid template id",
        43101: "the person refused messages from the account",
        45009: "daily quota reached",
        45047: "message limit reached",
        -1: "WeChat system busy",
    }

    def __init__(self) -> None:
        self.conf = wechat_conf()
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    # The access token -----------------------------------------------------------------------------------

    def access_token(self, *, refresh: bool = False) -> str:
        key = token_cache_key(self.conf["appid"])
        if not refresh:
            token = cache.get(key)
            if token:
                return str(token)
        answer = self._call(
            "GET",
            "/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": self.conf["appid"],
                "secret": self.conf["secret"],
            },
        )
        token = answer.get("access_token")
        if not token:
            # A wrong appid or secret, or this server's address not on the account's IP whitelist: nothing
            # is sent until an operator fixes it, and the messages wait.
            raise TransientError(f"WeChat token refused: {answer.get('errcode')} {answer.get('errmsg', '')}")
        expires_in = int(answer.get("expires_in") or 7200)
        cache.set(key, token, timeout=max(30, expires_in - REFRESH_EARLY_S))
        return str(token)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.request(method, self.conf["api"] + path, timeout=TIMEOUT_S, **kwargs)
        except requests.RequestException as exc:
            raise TransientError(f"WeChat API unreachable: {exc.__class__.__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"WeChat API HTTP {response.status_code}")
        if response.status_code != 200:
            raise TransientError(f"WeChat API HTTP {response.status_code}")
        try:
            answer: dict[str, Any] = response.json()
        except ValueError as exc:
            raise TransientError("WeChat API answered something other than JSON") from exc
        return answer

    # Sending --------------------------------------------------------------------------------------------

    def payload(self, item: Outgoing) -> dict[str, Any]:
        if item.data:
            data = {name: {"value": value} for name, value in item.data.items()}
        else:
            with translation.override("zh-hans"):
                first = item.subject or item.body.strip().split("\n", 1)[0][:40]
                data = {
                    "first": {"value": first},
                    "keyword1": {"value": item.body},
                    "keyword2": {"value": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
                    "remark": {"value": _("Tap to see the details") if item.link else ""},
                }
        payload: dict[str, Any] = {
            "touser": item.address,
            "template_id": item.template_id or self.conf["template_id"],
            "data": data,
            "client_msg_id": item.key[:64],
        }
        if item.link:
            payload["url"] = item.link
        return payload

    def send(self, item: Outgoing) -> Sent:
        payload = self.payload(item)
        answer: dict[str, Any] = {}
        for attempt in range(2):
            token = self.access_token(refresh=attempt > 0)
            answer = self._call(
                "POST",
                "/cgi-bin/message/template/send",
                params={"access_token": token},
                json=payload,
            )
            errcode = int(answer.get("errcode") or 0)
            if errcode not in TOKEN_ERRORS:
                break
            logger.info("WeChat token %s; fetching a new one", errcode)
        errcode = int(answer.get("errcode") or 0)
        if errcode == 0:
            return Sent(gateway_ref=str(answer.get("msgid", "")))
        reason = f"WeChat {errcode}: {self.errors.get(errcode) or answer.get('errmsg', '')}"
        logger.info("WeChat to %s: %s", mask_openid(item.address), reason)
        if errcode in PERMANENT_ERRORS:
            raise PermanentError(reason)
        raise TransientError(reason, retry_after={45009: 3600.0, 45047: 60.0}.get(errcode))
