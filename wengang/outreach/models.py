"""Outreach: templates, segments, campaigns, the outbox (``Message``), inbound replies and WeChat bindings.

The ``Message`` table is the outbox and the record of what was sent (DESIGN.md): a row is written in the
same transaction as the business change that causes it, and the relay moves it through its states. Its
``idempotency_key`` is unique, so queuing the same message twice writes one row, and it travels to the
gateway (WeChat ``client_msg_id``, SMTP ``Message-ID``, the SMS delivery-report address) so a resend after a
crash is recognised.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wengang.core.models import TimeStampedModel, UnicodeJSONEncoder

from .choices import CallOutcome, CampaignStatus, Channel, InboundAction, MessageState


class Template(TimeStampedModel):
    """A message text with variables ({姓名} …) rendered per person. ``essential`` texts (e.g. a login code
    or a bus departure change) carry no opt-out line and are sent even in quiet hours when urgent."""

    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("text"), max_length=1000)
    essential = models.BooleanField(_("essential (service) message"), default=False)
    wechat_template_id = models.CharField(_("WeChat template id"), max_length=64, blank=True)
    area_code = models.CharField(_("area"), max_length=12, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self) -> str:
        return self.name


class Segment(TimeStampedModel):
    """A saved audience: the registry's person filters (``registry.selectors.PersonFilters`` fields) plus
    ``priority`` ("1": only people with an open 131 case), applied within the user's scope when used."""

    name = models.CharField(_("name"), max_length=100)
    filters = models.JSONField(_("filters"), default=dict, blank=True, encoder=UnicodeJSONEncoder)
    area_code = models.CharField(_("area"), max_length=12, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("audience segment")
        verbose_name_plural = _("audience segments")

    def __str__(self) -> str:
        return self.name


class Campaign(TimeStampedModel):
    """One send of a template to a segment through channels in order of preference."""

    name = models.CharField(_("name"), max_length=100)
    segment = models.ForeignKey(Segment, verbose_name=_("audience"), on_delete=models.PROTECT)
    template = models.ForeignKey(Template, verbose_name=_("template"), on_delete=models.PROTECT)
    channels = models.JSONField(_("channels in order of preference"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    urgent = models.BooleanField(_("urgent (may be sent in quiet hours)"), default=False)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    area_code = models.CharField(_("area"), max_length=12, blank=True)
    audience_size = models.PositiveIntegerField(_("audience size"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    task = models.ForeignKey(
        "background.BackgroundTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [models.Index(fields=["status", "scheduled_at"], name="outreach_campaign_due")]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """One message to one recipient on one channel: the outbox row and the record of its delivery."""

    idempotency_key = models.CharField(max_length=100, unique=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=MessageState.choices, default=MessageState.QUEUED
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="outreach_messages"
    )
    # For recipients outside the registry (an enterprise's e-mail); a person's address is read when sending.
    address = models.CharField(_("address"), max_length=254, blank=True)
    area_code = models.CharField(_("area"), max_length=12, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    essential = models.BooleanField(default=False)
    urgent = models.BooleanField(default=False)
    postings = models.JSONField(default=list, blank=True)  # posting ids the text mentions, in order
    segments = models.PositiveSmallIntegerField(_("SMS segments"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    gateway_ref = models.CharField(max_length=100, blank=True, db_index=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)  # in-site messages
    purged_at = models.DateTimeField(null=True, blank=True)
    # Phone calls: what the caller recorded.
    call_outcome = models.CharField(_("outcome"), max_length=16, choices=CallOutcome.choices, blank=True)
    call_note = models.CharField(_("note"), max_length=300, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outreach_msg_due"),
            models.Index(fields=["campaign", "state"], name="outreach_msg_campaign_state"),
            models.Index(fields=["person", "channel", "created_at"], name="outreach_msg_person"),
            models.Index(fields=["channel", "state", "area_code"], name="outreach_msg_channel_area"),
            models.Index(fields=["created_at"], name="outreach_msg_created"),
            models.Index(fields=["channel", "sent_at"], name="outreach_msg_sent"),  # the daily quota
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.idempotency_key} {self.state}"


class Receipt(models.Model):
    """A delivery report as the gateway sent it (kept for tracing; the message holds the outcome)."""

    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="receipts"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=20)
    detail = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} {self.message_id}"


class Inbound(models.Model):
    """A reply from a worker (an SMS "TD", a "1" to a job message …) and what it did."""

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    sender_masked = models.CharField(_("sender"), max_length=20, blank=True)
    sender_hash = models.CharField(max_length=64, blank=True, db_index=True)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="outreach_replies"
    )
    body = models.CharField(_("text"), max_length=500, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=InboundAction.choices)
    in_reply_to = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    referral = models.ForeignKey(
        "jobs.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    gateway_ref = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "gateway_ref"],
                condition=~models.Q(gateway_ref=""),
                name="outreach_inbound_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.sender_masked} {self.action}"


class WeChatBinding(models.Model):
    """A person's WeChat Official Account openid, stored when they bind their account."""

    person = models.OneToOneField("registry.Person", on_delete=models.CASCADE, related_name="wechat_binding")
    openid = models.CharField(max_length=64, unique=True)
    bound_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("WeChat binding")
        verbose_name_plural = _("WeChat bindings")

    def __str__(self) -> str:
        return f"{self.person_id} {self.openid[:6]}…"
