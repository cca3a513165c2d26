"""Enumerations of labour demand: posting workflow, pay units, referral pipeline and its coded outcomes."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PostingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for review")
    PUBLISHED = "published", _("Published")
    PAUSED = "paused", _("Paused")
    FILLED = "filled", _("Filled")
    CLOSED = "closed", _("Closed")


# Which status may follow which. Review (submitted → published/draft) is staff-only; see services.
TRANSITIONS: dict[str, frozenset[str]] = {
    PostingStatus.DRAFT: frozenset({PostingStatus.SUBMITTED, PostingStatus.CLOSED}),
    PostingStatus.SUBMITTED: frozenset({PostingStatus.PUBLISHED, PostingStatus.DRAFT, PostingStatus.CLOSED}),
    PostingStatus.PUBLISHED: frozenset({PostingStatus.PAUSED, PostingStatus.FILLED, PostingStatus.CLOSED}),
    PostingStatus.PAUSED: frozenset({PostingStatus.PUBLISHED, PostingStatus.CLOSED}),
    PostingStatus.FILLED: frozenset({PostingStatus.PUBLISHED, PostingStatus.CLOSED}),
    PostingStatus.CLOSED: frozenset(),
}
# Statuses in which a posting still wants people (the dispatch board and matching count these).
OPEN_STATUSES = frozenset({PostingStatus.SUBMITTED, PostingStatus.PUBLISHED, PostingStatus.PAUSED})


class WageUnit(models.TextChoices):
    MONTH = "month", _("per month")
    DAY = "day", _("per day")
    HOUR = "hour", _("per hour")
    PIECE = "piece", _("piece rate")


# Conversion to a monthly figure for comparison: 21.75 paid days and 174 paid hours a month, the
# Ministry's standard (劳社部发〔2008〕3号). Piece rates carry the enterprise's own monthly estimate.
MONTHLY_FACTOR = {WageUnit.MONTH: 1.0, WageUnit.DAY: 21.75, WageUnit.HOUR: 174.0}


class Board(models.TextChoices):
    NONE = "none", _("No board or lodging")
    MEALS = "meals", _("Meals provided")
    LODGING = "lodging", _("Lodging provided")
    BOTH = "both", _("Board and lodging")


class Shift(models.TextChoices):
    DAY = "day", _("Day shift")
    TWO = "two", _("Two shifts")
    THREE = "three", _("Three shifts")
    NIGHT = "night", _("Night shift")
    FLEXIBLE = "flexible", _("Flexible hours")


class ReferralSource(models.TextChoices):
    STAFF = "staff", _("Referred by staff")
    RECOMMENDATION = "recommendation", _("Recommended by matching")
    SELF = "self", _("Applied themselves")


class ReferralState(models.TextChoices):
    RECOMMENDED = "recommended", _("Recommended")
    CONTACTED = "contacted", _("Contacted")
    INTERVIEWING = "interviewing", _("Interviewing")
    HIRED = "hired", _("Hired")
    DECLINED = "declined", _("Declined")
    NO_SHOW = "no_show", _("Did not show up")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_REFERRAL_STATES = frozenset(
    {ReferralState.RECOMMENDED, ReferralState.CONTACTED, ReferralState.INTERVIEWING}
)
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralState.RECOMMENDED: frozenset(
        {ReferralState.CONTACTED, ReferralState.INTERVIEWING, ReferralState.DECLINED, ReferralState.WITHDRAWN}
    ),
    ReferralState.CONTACTED: frozenset(
        {
            ReferralState.INTERVIEWING,
            ReferralState.HIRED,
            ReferralState.DECLINED,
            ReferralState.NO_SHOW,
            ReferralState.WITHDRAWN,
        }
    ),
    ReferralState.INTERVIEWING: frozenset(
        {ReferralState.HIRED, ReferralState.DECLINED, ReferralState.NO_SHOW, ReferralState.WITHDRAWN}
    ),
    ReferralState.HIRED: frozenset(),
    ReferralState.DECLINED: frozenset(),
    ReferralState.NO_SHOW: frozenset(),
    ReferralState.WITHDRAWN: frozenset(),
}


class OutcomeReason(models.TextChoices):
    """Coded reasons for a referral that did not end in a hire."""

    WAGE = "wage", _("Pay too low")
    DISTANCE = "distance", _("Too far from home")
    SKILLS = "skills", _("Skills or certificates do not fit")
    AGE = "age", _("Age outside the range")
    CONDITIONS = "conditions", _("Working conditions or hours")
    FOUND_OTHER = "found_other", _("Found another job")
    FAMILY = "family", _("Family reasons")
    HEALTH = "health", _("Health")
    ENTERPRISE_REJECTED = "enterprise_rejected", _("Enterprise did not accept")
    UNREACHABLE = "unreachable", _("Could not be reached")
    POSTING_CLOSED = "posting_closed", _("Posting closed")
    OTHER = "other", pgettext_lazy("reason", "Other")


class ContactStatus(models.TextChoices):
    """The bureau's contact with a worker on an enterprise's returning-worker list."""

    NOT_CONTACTED = "not_contacted", _("Not yet contacted")
    UNREACHABLE = "unreachable", _("Could not be reached")
    RETURNING = "returning", _("Will return to the enterprise")
    RETURNED = "returned", _("Back at work")
    UNDECIDED = "undecided", _("Undecided")
    NOT_RETURNING = "not_returning", _("Will not return")


class MatchMethod(models.TextChoices):
    ID = "id", _("ID number")
    NAME_PHONE = "name_phone", _("Name and phone")
    MANUAL = "manual", _("Linked by staff")
    NONE = "none", _("Not matched")
