"""WeChat Official Account: binding a person's openid, and what WeChat pushes to our callback URL.

A page opened inside WeChat gets an OAuth ``code``; ``wechat_oauth_openid`` trades it for the person's
openid, and ``wechat_bind`` stores it (one openid per person and one person per openid: binding again
replaces). The account's callback receives ``TEMPLATESENDJOBFINISH`` events (the delivery report of a
template message, by its msgid) and the followers' text messages ("TD"/"退订" opts out of WeChat pushes).

Settings (``WENGANG_OUTREACH["wechat"]``): api, appid, secret, and ``token`` (the callback token set on the
WeChat admin page; the WENGANG_WECHAT_TOKEN setting or environment variable when absent) and
``template_id`` (the default template, WENGANG_WECHAT_TEMPLATE_ID).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.registry.models import Person

from . import receipts
from .choices import Channel
from .conf import outreach_conf
from .inbound import inbound_handle
from .models import Inbound, Message, WeChatBinding

logger = logging.getLogger(__name__)

TIMEOUT_S = 10.0
# TEMPLATESENDJOBFINISH ``Status``: "success", or "failed:user block" / "failed: system failed".
DELIVERED_STATUS = "success"


def _setting(key: str, name: str, default: str = "") -> str:
    conf = outreach_conf().get("wechat", {})
    value = conf.get(key) or getattr(settings, name, None) or os.environ.get(name, default)
    return str(value)


def wechat_conf() -> dict[str, str]:
    """api, appid, secret, token (callback) and template_id, with the fallbacks described above."""
    conf = outreach_conf().get("wechat", {})
    return {
        "api": str(conf.get("api") or "https://api.weixin.qq.com").rstrip("/"),
        "appid": str(conf.get("appid", "")),
        "secret": str(conf.get("secret", "")),
        "token": _setting("token", "WENGANG_WECHAT_TOKEN"),
        "template_id": _setting("template_id", "WENGANG_WECHAT_TEMPLATE_ID"),
    }


def mask_openid(openid: str) -> str:
    return openid[:6] + "…" if len(openid) > 6 else "…"


# Binding ------------------------------------------------------------------------------------------------


def wechat_oauth_openid(code: str) -> str:
    """The openid WeChat's OAuth ``code`` stands for (a ValidationError tells the person what went wrong)."""
    conf = wechat_conf()
    if not code:
        raise ValidationError(_("The WeChat sign-in code is missing; open this page from WeChat."))
    try:
        response = requests.get(
            f"{conf['api']}/sns/oauth2/access_token",
            params={
                "appid": conf["appid"],
                "secret": conf["secret"],
                "code": code,
                "grant_type": "authorization_code",
            },
            timeout=TIMEOUT_S,
        )
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("WeChat OAuth failed: %s", exc)
        raise ValidationError(_("WeChat could not be reached; please try again later.")) from exc
    errcode = int(answer.get("errcode") or 0)
    if errcode in (40029, 40163, 41008):  # invalid, already used, missing code
        raise ValidationError(
            _("The WeChat sign-in code is invalid or has expired; open this page from WeChat again.")
        )
    if errcode or not answer.get("openid"):
        logger.warning("WeChat OAuth answered %s %s", errcode, answer.get("errmsg", ""))
        raise ValidationError(
            _("WeChat refused the sign-in (error %(code)s); please try again later.") % {"code": errcode}
        )
    return str(answer["openid"])


def wechat_bind(
    *, person: Person, openid: str, actor: Any = None, request: HttpRequest | None = None
) -> WeChatBinding:
    """Store ``openid`` as the person's WeChat account; it leaves any other person it was bound to."""
    openid = openid.strip()
    if not openid or len(openid) > 64:
        raise ValidationError(_("The WeChat account id is not valid."))
    with transaction.atomic():
        previous = WeChatBinding.objects.select_for_update().filter(person=person).first()
        moved = list(
            WeChatBinding.objects.select_for_update()
            .filter(openid=openid)
            .exclude(person=person)
            .values_list("person_id", flat=True)
        )
        WeChatBinding.objects.filter(openid=openid).exclude(person=person).delete()
        if previous is not None and previous.openid == openid:
            return previous
        binding, _created = WeChatBinding.objects.update_or_create(
            person=person, defaults={"openid": openid, "bound_at": timezone.now()}
        )
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            object_type="registry.person",
            object_id=person.pk,
            request=request,
            changes={
                "wechat": [mask_openid(previous.openid) if previous else "", mask_openid(openid)],
                **({"unbound_from": moved} if moved else {}),
            },
        )
    return binding


def wechat_unbind(person: Person, *, actor: Any = None, request: HttpRequest | None = None) -> bool:
    """Forget the person's openid; answers whether there was one."""
    with transaction.atomic():
        binding = WeChatBinding.objects.select_for_update().filter(person=person).first()
        if binding is None:
            return False
        binding.delete()
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            object_type="registry.person",
            object_id=person.pk,
            request=request,
            changes={"wechat": [mask_openid(binding.openid), ""]},
        )
    return True


# The callback -------------------------------------------------------------------------------------------


def callback_signature(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's signature of a callback request: SHA-1 of the sorted token, timestamp and nonce."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()  # noqa: S324


def callback_signature_valid(*, signature: str, timestamp: str, nonce: str) -> bool:
    token = wechat_conf()["token"]
    if not token or not signature:
        return False
    return hmac.compare_digest(callback_signature(token, timestamp, nonce), signature)


def callback_event(fields: dict[str, str]) -> Message | Inbound | None:
    """Act on one pushed XML message (already parsed into its fields)."""
    kind = fields.get("MsgType", "")
    openid = fields.get("FromUserName", "")
    if kind == "event" and fields.get("Event", "").upper() == "TEMPLATESENDJOBFINISH":
        status = fields.get("Status", "")
        return receipts.receipt_record(
            channel=Channel.WECHAT,
            gateway_ref=fields.get("MsgID", "") or fields.get("MsgId", ""),
            status=receipts.DELIVERED if status == DELIVERED_STATUS else receipts.FAILED,
            detail=f"wechat {status}",
        )
    if kind == "text" and openid:
        return inbound_handle(
            channel=Channel.WECHAT,
            sender=openid,
            body=fields.get("Content", ""),
            gateway_ref=fields.get("MsgId", ""),
        )
    logger.info("WeChat push ignored: %s %s", kind, fields.get("Event", ""))
    return None
