"""Priority cases (一对一精准帮扶) and the service records that make up their 1 / 3 / 1 progress."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wengang.core.models import TimeStampedModel

from .choices import CaseReason, CaseStatus, Channel, CloseReason, RecordKind


class PriorityCase(TimeStampedModel):
    """One person at risk whom a specialist serves until the 131 service is given or the case ends.

    ``area_code`` copies the person's village code when the case opens, so scoping and the dashboard's
    per-area counts read this table alone. ``opened_by`` is empty for cases the system opened itself.
    """

    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="priority_cases"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=CaseReason.choices)
    reason_note = models.CharField(_("reason details"), max_length=500, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("specialist"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assistance_cases",
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=10, choices=CloseReason.choices, blank=True)
    close_note = models.CharField(_("close note"), max_length=500, blank=True)
    area_code = models.CharField(_("village"), max_length=12)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("priority case")
        verbose_name_plural = _("priority cases")
        indexes = [
            models.Index(fields=["status", "area_code"], name="assist_case_status_area"),
            models.Index(fields=["area_code", "due_date", "id"], name="assist_case_area_due"),
            models.Index(fields=["specialist", "status"], name="assist_case_specialist"),
            models.Index(fields=["status", "due_date"], name="assist_case_status_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(status="open"), name="assistance_one_open_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.reason} {self.status}"

    @property
    def is_overdue(self) -> bool:
        return self.status == CaseStatus.OPEN and self.due_date < timezone.localdate()


class ServiceRecord(models.Model):
    """One service given on a case: a guidance session, a posting passed on, or a training programme."""

    case = models.ForeignKey(PriorityCase, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(_("kind"), max_length=16, choices=RecordKind.choices)
    date = models.DateField(_("date"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    content = models.CharField(_("content"), max_length=1000, blank=True)
    outcome = models.CharField(_("outcome"), max_length=500, blank=True)
    posting = models.ForeignKey(
        "jobs.Posting",
        verbose_name=_("posting"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    # The training app comes later: until then a programme is named in free text.
    programme = models.CharField(_("training programme"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        indexes = [
            models.Index(fields=["case", "kind", "posting"], name="assist_record_progress"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="job_offer") | Q(posting__isnull=False), name="assist_offer_has_posting"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.date}"
