"""Replies from workers: "TD" (or 退订/T/N) opts out of non-essential messages on that channel; "1" (or 是)
to a job message records interest and refers the person to the posting it named, for the specialist."""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from wengang.core import crypto
from wengang.core.masking import mask_phone
from wengang.jobs.choices import ReferralSource
from wengang.jobs.models import Posting
from wengang.jobs.referrals import referral_record
from wengang.registry.consent import consent_record
from wengang.registry.identity import IdentityError, normalize_phone
from wengang.registry.models import ConsentSource, Person

from .choices import Channel, InboundAction
from .models import Inbound, Message, WeChatBinding

logger = logging.getLogger(__name__)

OPT_OUT_WORDS = frozenset({"TD", "T", "N", "退订", "TD退订", "退订TD", "取消", "STOP", "UNSUBSCRIBE"})
INTEREST_WORDS = frozenset({"1", "是", "Y", "YES", "好", "要", "报名", "我要报名"})
# A "1" answers the newest job message sent to the person on the channel within this many days.
INTEREST_WINDOW_DAYS = 14


def normalise_reply(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(text.split()).strip("。.!！").upper()


def _person_for(channel: str, sender: str) -> tuple[Person | None, str, str]:
    """(person, keyed hash, masked sender) for a phone number or an openid."""
    if channel == Channel.WECHAT:
        binding = WeChatBinding.objects.select_related("person").filter(openid=sender).first()
        return (binding.person if binding else None), "", sender[:6] + "…"
    try:
        phone = normalize_phone(sender)
    except IdentityError:
        return None, "", mask_phone(sender)
    digest = crypto.blind_index(phone)
    return Person.objects.filter(phone_hash=digest).first(), digest, mask_phone(phone)


def inbound_handle(*, channel: str, sender: str, body: str, gateway_ref: str = "") -> Inbound:
    """Act on one reply and record it (a repeat of the same ``gateway_ref`` is acted on once)."""
    if gateway_ref:
        seen = Inbound.objects.filter(channel=channel, gateway_ref=gateway_ref).first()
        if seen is not None:
            return seen
    person, digest, masked = _person_for(channel, sender)
    word = normalise_reply(body)
    in_reply_to: Message | None = None
    referral = None
    if person is None:
        action = InboundAction.UNKNOWN_SENDER
    elif word in OPT_OUT_WORDS:
        action = InboundAction.OPT_OUT
    elif word in INTEREST_WORDS:
        in_reply_to = (
            Message.objects.filter(
                person=person,
                channel=channel,
                sent_at__gte=timezone.now() - dt.timedelta(days=INTEREST_WINDOW_DAYS),
            )
            .exclude(postings=[])
            .order_by("-sent_at", "-id")
            .first()
        )
        action = InboundAction.INTEREST if in_reply_to is not None else InboundAction.UNRECOGNISED
    else:
        action = InboundAction.UNRECOGNISED
    try:
        with transaction.atomic():
            if action == InboundAction.OPT_OUT and person is not None and channel in ("sms", "wechat"):
                consent_record(
                    actor=None,
                    person=person,
                    channel=channel,
                    granted=False,
                    source=ConsentSource.REPLY,
                    note=f"回复“{body.strip()[:20]}”",
                )
            if action == InboundAction.INTEREST and person is not None and in_reply_to is not None:
                posting = Posting.objects.filter(pk=in_reply_to.postings[0]).first()
                if posting is not None:
                    try:
                        referral = referral_record(
                            actor=None,
                            person=person,
                            posting=posting,
                            source=ReferralSource.SELF,
                            note=f"短信回复“{body.strip()[:20]}”表示有意向",
                        )
                    except ValidationError as exc:
                        logger.info("interest reply without referral: %s", exc)
            return Inbound.objects.create(
                channel=channel,
                sender_masked=masked,
                sender_hash=digest,
                person=person,
                body=body[:500],
                action=action,
                in_reply_to=in_reply_to,
                referral=referral,
                gateway_ref=gateway_ref[:100],
            )
    except IntegrityError:  # the same reply delivered twice at once
        return Inbound.objects.get(channel=channel, gateway_ref=gateway_ref)
