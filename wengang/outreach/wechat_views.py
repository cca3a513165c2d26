"""The WeChat Official Account's callback URL (set on the WeChat admin page, plaintext mode).

``GET`` is WeChat checking the URL: we answer ``echostr`` when the signature (SHA-1 of the token we share,
the timestamp and the nonce) matches. ``POST`` carries one XML message, signed the same way: template
delivery reports and followers' texts (``wechat.callback_event``). We answer ``success``, which tells WeChat
not to retry and sends nothing back to the follower.
"""

from __future__ import annotations

import logging

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .wechat import callback_event, callback_signature_valid

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def wechat_callback(request: HttpRequest) -> HttpResponse:
    """WeChat's URL check (GET) and its pushed messages (POST)."""
    if not callback_signature_valid(
        signature=request.GET.get("signature", ""),
        timestamp=request.GET.get("timestamp", ""),
        nonce=request.GET.get("nonce", ""),
    ):
        return _plain("forbidden", 403)
    if request.method == "GET":
        return _plain(request.GET.get("echostr", ""))
    if len(request.body) > MAX_BODY:
        return _plain("too large", 413)
    try:
        root = ElementTree.fromstring(request.body)
    except (ElementTree.ParseError, DefusedXmlException):
        return _plain("bad message", 400)
    fields = {child.tag: (child.text or "").strip() for child in root}
    callback_event(fields)
    return _plain("success")


urlpatterns: list[URLPattern] = [
    path("gateway/wechat/", wechat_callback, name="wechat_callback"),
]
