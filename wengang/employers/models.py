"""Enterprises, their key-enterprise designation, and their reports: payroll, retention, layoffs."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from wengang.core.models import TimeStampedModel


def validate_uscc(value: str) -> None:
    try:
        uscc.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("%(value)s is not a valid unified social credit code: %(reason)s"),
            params={"value": value, "reason": str(exc)},
            code="invalid_uscc",
        ) from exc


class KeyCategory(models.TextChoices):
    MEDICAL_SUPPLIES = "medical_supplies", _("Key medical supplies")
    DAILY_NECESSITIES = "daily_necessities", _("Daily necessities")
    CITY_OPERATION = "city_operation", _("City operation")
    KEY_INDUSTRIAL_CHAIN = "key_industrial_chain", _("Key industrial chain")
    MAJOR_PROJECT = "major_project", _("Major project or works")


class Size(models.TextChoices):
    MICRO = "micro", _("Micro")
    SMALL = "small", _("Small")
    MEDIUM = "medium", _("Medium")
    LARGE = "large", _("Large")


class Enterprise(TimeStampedModel):
    """An enterprise, keyed by its 18-character 统一社会信用代码."""

    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    area_code = models.CharField(_("area code"), max_length=12, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    industry_section = models.CharField(_("industry section"), max_length=1, blank=True)
    industry_division = models.CharField(_("industry"), max_length=2, blank=True, db_index=True)
    size = models.CharField(_("size"), max_length=10, choices=Size.choices, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    staff_count = models.PositiveIntegerField(_("staff on payroll"), null=True, blank=True)
    key_category = models.CharField(
        _("key-enterprise category"), max_length=24, choices=KeyCategory.choices, blank=True, db_index=True
    )
    key_designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("designated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    key_designated_at = models.DateTimeField(_("designated at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return self.name

    @property
    def is_key(self) -> bool:
        return bool(self.key_category)


class RetentionKind(models.TextChoices):
    BONUS = "bonus", _("Retention bonus")
    GIFT = "gift", _("Festival gift")
    BOARD = "board", _("Better board and lodging")
    CULTURE = "culture", _("Cultural and recreational activities")
    TRAINING = "training", _("On-the-job training")


class StaffReport(models.Model):
    """An enterprise's report for a date: staff on payroll and workers staying over the festival."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="staff_reports")
    reported_on = models.DateField(_("report date"))
    staff_on_payroll = models.PositiveIntegerField(_("staff on payroll"))
    staying_over = models.PositiveIntegerField(_("workers staying over the festival"), default=0)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reported_on", "-id"]
        verbose_name = _("staff report")
        verbose_name_plural = _("staff reports")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "reported_on"], name="employers_one_report_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.reported_on}"


class RetentionMeasure(models.Model):
    """One retention measure in a staff report: what, how much in total, how many people it covered."""

    report = models.ForeignKey(StaffReport, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("measure"), max_length=10, choices=RetentionKind.choices)
    amount = models.PositiveIntegerField(_("amount (yuan)"), default=0)
    people_covered = models.PositiveIntegerField(_("people covered"), default=0)

    class Meta:
        verbose_name = _("retention measure")
        verbose_name_plural = _("retention measures")
        constraints = [models.UniqueConstraint(fields=["report", "kind"], name="employers_one_measure_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


# Labour Contract Law Art. 41: a layoff of 20 people or more, or of 10% or more of the staff.
MASS_LAYOFF_PEOPLE = 20
MASS_LAYOFF_SHARE = 0.10


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class LayoffReport(models.Model):
    """A reported layoff. A mass layoff raises an alert for the county until staff acknowledge it."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="layoffs")
    reported_on = models.DateField(_("layoff date"))
    people = models.PositiveIntegerField(_("people laid off"))
    staff_before = models.PositiveIntegerField(_("staff before the layoff"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    is_mass = models.BooleanField(_("mass layoff"), default=False, db_index=True)
    alert_state = models.CharField(
        _("alert"), max_length=14, choices=AlertState.choices, blank=True, db_index=True
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledge_note = models.CharField(_("acknowledgement note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reported_on", "-id"]
        verbose_name = _("layoff report")
        verbose_name_plural = _("layoff reports")

    def __str__(self) -> str:
        return f"{self.enterprise_id} −{self.people} {self.reported_on}"


def is_mass_layoff(people: int, staff_before: int) -> bool:
    return people >= MASS_LAYOFF_PEOPLE or (staff_before > 0 and people >= MASS_LAYOFF_SHARE * staff_before)
