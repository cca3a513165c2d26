"""Labour demand: the occupation table, postings with their review workflow, referrals, and the lists of
workers an enterprise expects back after the festival."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from wengang.core.models import TimeStampedModel, UnicodeJSONEncoder
from wengang.registry.choices import Education

from .choices import (
    OPEN_REFERRAL_STATES,
    Board,
    ContactStatus,
    MatchMethod,
    OutcomeReason,
    PostingStatus,
    ReferralSource,
    ReferralState,
    Shift,
    WageUnit,
)


class Occupation(models.Model):
    """An occupation of 中华人民共和国职业分类大典 (2022), kept in step with ``data/occupations.csv``."""

    code = models.CharField(_("occupation code"), max_length=12, primary_key=True)
    name = models.CharField(_("occupation"), max_length=60, db_index=True)
    major_code = models.CharField(max_length=2)
    major_name = models.CharField(_("major group"), max_length=60)
    middle_code = models.CharField(max_length=6)
    middle_name = models.CharField(_("middle group"), max_length=60)
    general_labour = models.BooleanField(_("general labour"), default=False)
    related = models.JSONField(default=list, blank=True)
    synonyms = models.JSONField(default=list, blank=True, encoder=UnicodeJSONEncoder)

    class Meta:
        ordering = ["code"]
        verbose_name = _("occupation")
        verbose_name_plural = _("occupations")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Posting(TimeStampedModel):
    """用工需求: an enterprise's request for workers, reviewed by staff before the public sees it."""

    enterprise = models.ForeignKey(
        "employers.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="postings",
    )
    occupation = models.ForeignKey(
        Occupation, verbose_name=_("occupation"), null=True, blank=True, on_delete=models.PROTECT
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    headcount = models.PositiveIntegerField(_("headcount"))
    filled_count = models.PositiveIntegerField(_("filled"), default=0)
    wage_unit = models.CharField(
        _("pay unit"), max_length=6, choices=WageUnit.choices, default=WageUnit.MONTH
    )
    wage_min = models.DecimalField(_("pay from"), max_digits=9, decimal_places=2, null=True, blank=True)
    wage_max = models.DecimalField(_("pay up to"), max_digits=9, decimal_places=2, null=True, blank=True)
    wage_note = models.CharField(_("pay details"), max_length=200, blank=True)
    # Monthly equivalents for comparison and search (yuan).
    monthly_min = models.PositiveIntegerField(_("monthly pay from"), null=True, blank=True, db_index=True)
    monthly_max = models.PositiveIntegerField(_("monthly pay up to"), null=True, blank=True)
    age_min = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    certificates = models.JSONField(
        _("required certificates"), default=list, blank=True, encoder=UnicodeJSONEncoder
    )
    education = models.CharField(_("minimum education"), max_length=10, choices=Education.choices, blank=True)
    area_code = models.CharField(_("work place (area)"), max_length=12, db_index=True)
    address = models.CharField(_("work address"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    board = models.CharField(_("board and lodging"), max_length=8, choices=Board.choices, default=Board.NONE)
    shift = models.CharField(_("shift"), max_length=10, choices=Shift.choices, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True, db_index=True)
    is_directed_export = models.BooleanField(_("directed labour export"), default=False)
    partner_region = models.CharField(_("partner region"), max_length=50, blank=True)
    is_public_welfare = models.BooleanField(_("public-welfare post"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=PostingStatus.choices, default=PostingStatus.DRAFT, db_index=True
    )
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        indexes = [
            models.Index(fields=["status", "area_code"], name="jobs_posting_status_area"),
            models.Index(fields=["status", "occupation"], name="jobs_posting_status_occ"),
            models.Index(fields=["updated_at", "id"], name="jobs_posting_updated"),
            # The public board: counting live postings, and "best paid first" read in index order.
            models.Index(fields=["status", "end_date"], name="jobs_posting_status_end"),
            models.Index(
                F("status"),
                Coalesce("monthly_max", "monthly_min", Value(0)).desc(),
                F("id").desc(),
                name="jobs_posting_status_pay",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(headcount__gte=1), name="jobs_posting_headcount_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def open_places(self) -> int:
        return max(self.headcount - self.filled_count, 0)


class Referral(TimeStampedModel):
    """A person sent to, recommended for, or applying to a posting, and where that stands."""

    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="referrals"
    )
    posting = models.ForeignKey(
        Posting, verbose_name=_("posting"), on_delete=models.CASCADE, related_name="referrals"
    )
    source = models.CharField(_("source"), max_length=16, choices=ReferralSource.choices)
    state = models.CharField(
        _("state"),
        max_length=14,
        choices=ReferralState.choices,
        default=ReferralState.RECOMMENDED,
        db_index=True,
    )
    reason = models.CharField(_("reason"), max_length=20, choices=OutcomeReason.choices, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    hired_on = models.DateField(_("hired on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "posting"],
                condition=Q(state__in=sorted(OPEN_REFERRAL_STATES)),
                name="jobs_one_open_referral",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id}→{self.posting_id} {self.state}"


class ReferralEvent(models.Model):
    """One step of a referral's pipeline, shown on its page (the audit log holds the same, sealed)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    state = models.CharField(_("state"), max_length=14, choices=ReferralState.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=OutcomeReason.choices, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.state}"


class ReturnWorkerList(models.Model):
    """An enterprise's list of its workers who went home for the festival (名单、电话、居住地址)."""

    enterprise = models.ForeignKey(
        "employers.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="return_lists",
    )
    filename = models.CharField(_("file"), max_length=255)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("returning-worker list")
        verbose_name_plural = _("returning-worker lists")

    def __str__(self) -> str:
        return self.filename


class ReturnWorker(models.Model):
    """One worker on a returning-worker list, matched to the registry when possible.

    The enterprise sees what it uploaded and the bureau's contact status, nothing else about the person.
    ``area_code`` is the matched person's village (or blank), which decides which staff see the row.
    """

    worker_list = models.ForeignKey(ReturnWorkerList, on_delete=models.CASCADE, related_name="workers")
    row_number = models.PositiveIntegerField(_("row"))
    name = models.CharField(_("name"), max_length=50)
    id_hash = models.CharField(max_length=64, blank=True, db_index=True)
    id_encrypted = models.TextField(blank=True)
    id_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone_encrypted = models.TextField(blank=True)
    phone_masked = models.CharField(_("mobile phone"), max_length=11, blank=True)
    address = models.CharField(_("home address"), max_length=200, blank=True)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="return_entries"
    )
    match_method = models.CharField(
        _("matched by"), max_length=12, choices=MatchMethod.choices, default=MatchMethod.NONE
    )
    area_code = models.CharField(_("area code"), max_length=12, blank=True, db_index=True)
    contact_status = models.CharField(
        _("contact status"), max_length=14, choices=ContactStatus.choices, default=ContactStatus.NOT_CONTACTED
    )
    contact_note = models.CharField(_("contact note"), max_length=300, blank=True)
    contacted_at = models.DateTimeField(_("contacted at"), null=True, blank=True)
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["worker_list", "row_number"]
        verbose_name = _("returning worker")
        verbose_name_plural = _("returning workers")

    def __str__(self) -> str:
        return f"{self.name} ({self.row_number})"


class WelfarePlacementStatus(models.TextChoices):
    ACTIVE = "active", _("On the post")
    RENEWED = "renewed", _("Renewed")
    ENDED = "ended", _("Ended")


class WelfareExitReason(models.TextChoices):
    FOUND_JOB = "found_job", _("Found other work")
    MOVED = "moved", _("Moved away")
    HEALTH = "health", _("Health")
    TERM_ENDED = "term_ended", _("Term ended")
    DISMISSED = "dismissed", _("Dismissed")
    OTHER = "other", _("Other reason")


class WelfarePlacement(models.Model):
    """公益性岗位安置: a 三无 person placed on a public-welfare post near home, for a term and an allowance.

    A renewal is a new row pointing at the one it continues (``renewed_from``); the old row is marked
    renewed and keeps its place, so the posting's filled count moves only on placement and exit.
    """

    posting = models.ForeignKey(
        Posting,
        verbose_name=_("public-welfare post"),
        on_delete=models.PROTECT,
        related_name="welfare_placements",
        limit_choices_to={"is_public_welfare": True},
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="welfare_placements",
    )
    start_date = models.DateField(_("term starts"))
    end_date = models.DateField(_("term ends"))
    monthly_allowance = models.DecimalField(_("monthly allowance (yuan)"), max_digits=8, decimal_places=2)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=WelfarePlacementStatus.choices,
        default=WelfarePlacementStatus.ACTIVE,
        db_index=True,
    )
    exit_date = models.DateField(_("exit date"), null=True, blank=True)
    exit_reason = models.CharField(
        _("exit reason"), max_length=12, choices=WelfareExitReason.choices, blank=True
    )
    exit_note = models.CharField(_("exit note"), max_length=300, blank=True)
    renewed_from = models.OneToOneField(
        "self",
        verbose_name=_("renewal of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewal",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("public-welfare placement")
        verbose_name_plural = _("public-welfare placements")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="active"),
                name="jobs_welfare_one_active_per_person",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="jobs_welfare_term_order"
            ),
            models.CheckConstraint(
                condition=Q(monthly_allowance__gte=0), name="jobs_welfare_allowance_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.posting_id} {self.start_date}–{self.end_date}"


class WelfareWorkMonth(models.Model):
    """Days a placed person worked in one month and the allowance paid for it."""

    placement = models.ForeignKey(WelfarePlacement, on_delete=models.CASCADE, related_name="work_months")
    month = models.DateField(_("month"))  # always the first day of the month
    days_worked = models.PositiveSmallIntegerField(_("days worked"))
    allowance_paid = models.DecimalField(
        _("allowance paid (yuan)"), max_digits=8, decimal_places=2, default=0
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["placement", "month"]
        verbose_name = _("public-welfare work month")
        verbose_name_plural = _("public-welfare work months")
        constraints = [
            models.UniqueConstraint(fields=["placement", "month"], name="jobs_welfare_month_unique"),
            models.CheckConstraint(condition=Q(days_worked__lte=31), name="jobs_welfare_days_max"),
            models.CheckConstraint(condition=Q(allowance_paid__gte=0), name="jobs_welfare_paid_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.placement_id} {self.month:%Y-%m}"
