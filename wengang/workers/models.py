"""What the worker's own pages keep: one-time login codes, self-registrations and correction requests
awaiting a specialist, and postings a worker said they are not interested in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wengang.core.models import TimeStampedModel, UnicodeJSONEncoder


class LoginCode(models.Model):
    """One SMS one-time code for a phone. Only a keyed hash of the code is stored, never the code."""

    phone_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["ip", "created_at"], name="workers_code_ip")]

    def __str__(self) -> str:
        return f"{self.phone_hash[:8]}… {self.created_at:%Y-%m-%d %H:%M}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Registration(TimeStampedModel):
    """A person not in the registry who registered themselves; a township specialist reviews it.

    The ID number and phone are stored like the registry's (encrypted, with a keyed hash).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registrations")
    name = models.CharField(_("name"), max_length=50)
    id_hash = models.CharField(max_length=64, db_index=True)
    id_encrypted = models.TextField()
    id_masked = models.CharField(_("ID number"), max_length=18)
    phone_hash = models.CharField(max_length=64, db_index=True)
    phone_encrypted = models.TextField()
    phone_masked = models.CharField(_("mobile phone"), max_length=11)
    village_code = models.CharField(_("village"), max_length=12, db_index=True)
    details = models.JSONField(default=dict, blank=True, encoder=UnicodeJSONEncoder)  # skills, intent …
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=300, blank=True)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("self-registration")
        verbose_name_plural = _("self-registrations")
        indexes = [models.Index(fields=["status", "village_code"], name="workers_registration_queue")]

    def __str__(self) -> str:
        return f"{self.name} {self.village_code} {self.status}"


class CorrectionRequest(TimeStampedModel):
    """A worker's request to correct data the bureau holds about them (PIPL Art. 46)."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="correction_requests"
    )
    field = models.CharField(_("what is wrong"), max_length=50)
    text = models.CharField(_("the correct information"), max_length=500)
    area_code = models.CharField(_("village"), max_length=12, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    reply = models.CharField(_("reply"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        indexes = [models.Index(fields=["status", "area_code"], name="workers_correction_queue")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.field} {self.status}"


class Dismissal(models.Model):
    """A posting the worker said they are not interested in: never recommended to them again."""

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="dismissals")
    posting = models.ForeignKey("jobs.Posting", on_delete=models.CASCADE, related_name="dismissals")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "posting"], name="workers_dismissal_once")]

    def __str__(self) -> str:
        return f"{self.person_id}×{self.posting_id}"
