"""The outreach app's enumerations."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    APP = "app", _("In-site message")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone call")


# Channels a relay delivers through a gateway; in-site messages are delivered by being written, and phone
# calls are made by people (the call list).
RELAYED_CHANNELS = frozenset({Channel.SMS, Channel.WECHAT, Channel.EMAIL})
# Channels a worker's push consent covers (registry ``consent_<channel>``); e-mail goes to enterprises.
CONSENT_CHANNELS = frozenset({Channel.SMS, Channel.WECHAT, Channel.APP, Channel.PHONE})


class MessageState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    HELD = "held", _("Held for quiet hours")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped: opted out")
    CANCELLED = "cancelled", _("Cancelled")


# States the relay picks up; a message in any other state is never sent again.
PENDING_STATES = frozenset({MessageState.QUEUED, MessageState.HELD})
FINAL_STATES = frozenset(
    {
        MessageState.DELIVERED,
        MessageState.FAILED,
        MessageState.SKIPPED,
        MessageState.CANCELLED,
    }
)


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting", _("Awaiting approval")
    SCHEDULED = "scheduled", _("Scheduled")
    QUEUING = "queuing", _("Queuing messages")
    SENDING = "sending", _("Sending")
    DONE = "done", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class CallOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    INTERESTED = "interested", _("Interested")
    NOT_INTERESTED = "not_interested", _("Not interested")


class InboundAction(models.TextChoices):
    OPT_OUT = "opt_out", _("Opted out")
    INTEREST = "interest", _("Interest recorded")
    UNKNOWN_SENDER = "unknown_sender", _("Sender not in the registry")
    UNRECOGNISED = "unrecognised", _("Not understood")
