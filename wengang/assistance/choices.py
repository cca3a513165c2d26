"""Enumerations of the 131 service: why a case is open, how it ends, and what a service record is."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CaseReason(models.TextChoices):
    # The first four equal the registry's PovertyCategory values, so a household's category is the reason.
    UNSTABLE = "unstable", _("Unstable out-of-poverty household")
    MARGINAL = "marginal", _("Marginal household at risk of poverty")
    SUDDEN_DIFFICULTY = "sudden_difficulty", _("Household in sudden severe difficulty")
    MONITORED = "monitored", _("Monitored household (category not given)")
    THREE_WITHOUT = "three_without", _("Three-without person")
    STAFF_ADDED = "staff_added", _("Added by staff")


class CaseStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("case", "Open")
    CLOSED = "closed", pgettext_lazy("case", "Closed")


class CloseReason(models.TextChoices):
    EMPLOYED = "employed", _("Employed")
    MOVED = "moved", _("Moved away")
    OTHER = "other", _("Other")


class RecordKind(models.TextChoices):
    GUIDANCE = "guidance", _("Career guidance")
    JOB_OFFER = "job_offer", _("Job information given")
    TRAINING_OFFER = "training_offer", _("Training offered")
    TRAINING_TAKEN = "training_taken", _("Training taken")


TRAINING_KINDS = frozenset({RecordKind.TRAINING_OFFER, RecordKind.TRAINING_TAKEN})


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")


# The 131 rule: at least this many of each, per priority person.
REQUIRED_GUIDANCE = 1
REQUIRED_JOB_OFFERS = 3  # distinct postings
REQUIRED_TRAINING = 1
