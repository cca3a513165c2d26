"""States of training programmes, enrolments and subsidy claims."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgrammeStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    OPEN = "open", _("Open for enrolment")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    ATTENDING = "attending", _("Attending")
    COMPLETED = "completed", _("Completed")
    DROPPED = "dropped", _("Dropped out")


class SubsidyState(models.TextChoices):
    NONE = "none", _("Not claimed")
    CLAIMED = "claimed", _("Claimed")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    REFUSED = "refused", _("Refused")


# Enrolments that hold a place; a dropped one frees it.
HOLDS_PLACE = (EnrolmentStatus.ENROLLED, EnrolmentStatus.ATTENDING, EnrolmentStatus.COMPLETED)
# Enrolments that count as "one training" of the 131 service (一次职业培训).
COUNTS_AS_TRAINING = (EnrolmentStatus.ATTENDING, EnrolmentStatus.COMPLETED)
# Programmes people may still be enrolled in.
ENROLLABLE = (ProgrammeStatus.PLANNED, ProgrammeStatus.OPEN, ProgrammeStatus.RUNNING)

ENROLMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    EnrolmentStatus.ENROLLED: frozenset(
        {EnrolmentStatus.ATTENDING, EnrolmentStatus.COMPLETED, EnrolmentStatus.DROPPED}
    ),
    EnrolmentStatus.ATTENDING: frozenset({EnrolmentStatus.COMPLETED, EnrolmentStatus.DROPPED}),
    EnrolmentStatus.DROPPED: frozenset({EnrolmentStatus.ENROLLED}),
    EnrolmentStatus.COMPLETED: frozenset(),
}

SUBSIDY_TRANSITIONS: dict[str, frozenset[str]] = {
    SubsidyState.NONE: frozenset({SubsidyState.CLAIMED}),
    SubsidyState.CLAIMED: frozenset({SubsidyState.APPROVED, SubsidyState.REFUSED}),
    SubsidyState.APPROVED: frozenset({SubsidyState.PAID}),
    SubsidyState.REFUSED: frozenset({SubsidyState.CLAIMED}),
    SubsidyState.PAID: frozenset(),
}
