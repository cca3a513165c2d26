"""Callbacks from the SMS gateway (Kannel): delivery reports and replies.

Delivery reports come to the ``dlr-url`` each message carried (its id and an HMAC token, see
``backends.kannel``). Replies come from a Kannel ``sms-service`` whose ``get-url`` names this address with the
shared ``WENGANG_GATEWAY_TOKEN``::

    group = sms-service
    keyword = default
    catch-all = true
    max-messages = 0
    get-url = "https://<site>/outreach/gateway/kannel/mo/?k=<token>&from=%p&to=%P&text=%a&id=%I&charset=%C&coding=%c"

We answer a reply with an empty body and ``max-messages = 0`` keeps Kannel from sending anything back: an
opt-out is acted on silently, never answered with one more push.
"""

from __future__ import annotations

import hmac
import logging
from urllib.parse import parse_qs

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from . import receipts
from .backends.kannel import dlr_token_valid
from .choices import Channel
from .conf import outreach_conf
from .inbound import inbound_handle

logger = logging.getLogger(__name__)

# Kannel report types (the dlr-url's %d): 1 delivered, 2 failed, 4 buffered at the SMSC, 8 accepted by the
# SMSC, 16 rejected by the SMSC. "Buffered" says nothing new and is only acknowledged.
KANNEL_DLR: dict[int, str] = {
    1: receipts.DELIVERED,
    2: receipts.FAILED,
    8: receipts.SUBMITTED,
    16: receipts.FAILED,
}


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_GET
def kannel_dlr(request: HttpRequest) -> HttpResponse:
    """One delivery report for one of our messages."""
    try:
        message_id = int(request.GET.get("m", ""))
        kind = int(request.GET.get("type", ""))
    except ValueError:
        return _plain("bad report", 400)
    if not dlr_token_valid(message_id, request.GET.get("k", "")):
        return _plain("forbidden", 403)
    status = KANNEL_DLR.get(kind)
    if status is None:
        return _plain("ignored")
    detail = f"kannel {kind} {request.GET.get('smsc', '')} {request.GET.get('reply', '')}".strip()
    receipts.receipt_record(channel=Channel.SMS, status=status, message_id=message_id, detail=detail)
    return _plain("ok")


def _reply_text(raw_query: str) -> dict[str, str]:
    """The reply's fields; the text is decoded by the charset Kannel names (UTF-8 unless told otherwise)."""
    fields = {k: v[0] for k, v in parse_qs(raw_query, encoding="latin-1").items()}
    charset = fields.get("charset", "") or "UTF-8"
    raw = fields.get("text", "").encode("latin-1")
    try:
        fields["text"] = raw.decode(charset)
    except (LookupError, UnicodeDecodeError):
        fields["text"] = raw.decode("utf-8", errors="replace")
    for key in ("from", "id", "k"):
        fields[key] = fields.get(key, "").encode("latin-1").decode("utf-8", errors="replace")
    return fields


@csrf_exempt
@require_GET
def kannel_mo(request: HttpRequest) -> HttpResponse:
    """One reply from a worker's phone, handed on by Kannel."""
    fields = _reply_text(request.META.get("QUERY_STRING", ""))
    token = outreach_conf().get("gateway_token", "")
    if not token or not hmac.compare_digest(token, fields.get("k", "")):
        return _plain("forbidden", 403)
    sender = fields.get("from", "").strip()
    if not sender:
        return _plain("bad reply", 400)
    inbound_handle(
        channel=Channel.SMS, sender=sender, body=fields["text"], gateway_ref=fields.get("id", "")[:100]
    )
    return _plain("")


urlpatterns: list[URLPattern] = [
    path("gateway/kannel/dlr/", kannel_dlr, name="kannel_dlr"),
    path("gateway/kannel/mo/", kannel_mo, name="kannel_mo"),
]
