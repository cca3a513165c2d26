"""Vocational training (职业技能培训): programmes and the people enrolled in them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wengang.core.models import TimeStampedModel

from .choices import EnrolmentStatus, ProgrammeStatus, SubsidyState


class Programme(TimeStampedModel):
    """A training course: who runs it, for which occupation, where, when, for how many and at what cost.

    ``is_on_the_job`` marks 在岗培训/以工代训 held inside an enterprise, which must then be named.
    """

    name = models.CharField(_("programme name"), max_length=200, db_index=True)
    provider = models.CharField(_("training provider"), max_length=200)
    occupation = models.ForeignKey(
        "jobs.Occupation",
        verbose_name=_("occupation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    area_code = models.CharField(_("area code"), max_length=12, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    places = models.PositiveIntegerField(_("places"))
    cost_per_person = models.DecimalField(
        _("cost per person (yuan)"), max_digits=9, decimal_places=2, default=0
    )
    subsidy_per_person = models.DecimalField(
        _("subsidy per person (yuan)"), max_digits=9, decimal_places=2, default=0
    )
    is_on_the_job = models.BooleanField(_("on-the-job training in an enterprise"), default=False)
    enterprise = models.ForeignKey(
        "employers.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="training_programmes",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ProgrammeStatus.choices,
        default=ProgrammeStatus.PLANNED,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("training programme")
        verbose_name_plural = _("training programmes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="training_programme_dates"
            ),
            models.CheckConstraint(
                condition=models.Q(is_on_the_job=False) | models.Q(enterprise__isnull=False),
                name="training_on_the_job_enterprise",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def duration_days(self) -> int:
        return (self.end_date - self.start_date).days + 1


class Enrolment(TimeStampedModel):
    """One person's place on a programme: attendance, completion, certificate and the subsidy claim."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="enrolments")
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="training_enrolments",
    )
    enrolled_on = models.DateField(_("enrolled on"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=EnrolmentStatus.choices,
        default=EnrolmentStatus.ENROLLED,
        db_index=True,
    )
    attendance_days = models.PositiveIntegerField(_("days attended"), default=0)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    certificate = models.CharField(_("certificate obtained"), max_length=100, blank=True)
    subsidy_state = models.CharField(
        _("subsidy"), max_length=10, choices=SubsidyState.choices, default=SubsidyState.NONE, db_index=True
    )
    subsidy_amount = models.DecimalField(
        _("subsidy amount (yuan)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["programme", "id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["programme", "person"], name="training_one_enrolment_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}/{self.person_id}"
