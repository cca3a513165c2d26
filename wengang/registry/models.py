"""Households, people, and the dated histories of their employment and intent.

ID numbers and phones are stored encrypted with a keyed hash beside each (exact search, de-duplication)
and a masked copy for display, so lists never decrypt and a database dump holds no plaintext.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wengang.core.models import TimeStampedModel, UnicodeJSONEncoder

from .choices import Education, EmploymentStatus, Gender, Health, Intent, PovertyCategory, Relation, Source


class ConsentChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    APP = "app", _("In-site app")
    PHONE = "phone", _("Phone call")


class ConsentSource(models.TextChoices):
    STAFF = "staff", _("Staff")
    WORKER = "worker", pgettext_lazy("source", "Worker")
    IMPORT = "import", _("Import")
    REPLY = "reply", _("Reply to a message")


# The Person column that holds the current consent of each channel (kept in step by wengang.registry.consent).
CONSENT_FIELDS: dict[str, str] = {channel: f"consent_{channel}" for channel in ConsentChannel.values}


class Household(TimeStampedModel):
    """A household (户). Poverty category lives here, with the date it was set."""

    village_code = models.CharField(_("village"), max_length=12, db_index=True)
    head = models.ForeignKey(
        "registry.Person",
        verbose_name=_("household head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    poverty_category = models.CharField(
        _("household type"),
        max_length=20,
        choices=PovertyCategory.choices,
        default=PovertyCategory.GENERAL,
        db_index=True,
    )
    poverty_set_on = models.DateField(_("type set on"), null=True, blank=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return f"{self.village_code}#{self.pk}"


class Person(TimeStampedModel):
    """A rural labourer, keyed by resident ID number (stored only encrypted, hashed and masked)."""

    # Unique and indexed through Meta (a plain B-tree: only equality lookups, no LIKE pattern index).
    id_hash = models.CharField(max_length=64)
    id_encrypted = models.TextField()
    id_masked = models.CharField(_("ID number"), max_length=18)
    name = models.CharField(pgettext_lazy("person", "Name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"), db_index=True)
    phone_hash = models.CharField(max_length=64, blank=True)
    phone_encrypted = models.TextField(blank=True)
    phone_masked = models.CharField(_("mobile phone"), max_length=11, blank=True)
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    relation = models.CharField(_("relation to head"), max_length=12, choices=Relation.choices, blank=True)
    village_code = models.CharField(_("village"), max_length=12)
    education = models.CharField(_("education"), max_length=10, choices=Education.choices, blank=True)
    health = models.CharField(_("health"), max_length=10, choices=Health.choices, default=Health.HEALTHY)
    skills = models.JSONField(_("skills"), default=list, blank=True, encoder=UnicodeJSONEncoder)
    certificates = models.JSONField(_("certificates"), default=list, blank=True, encoder=UnicodeJSONEncoder)
    is_three_without = models.BooleanField(_("three-without person"), default=False, db_index=True)
    # The current consent per channel; ``Consent`` rows are the history. ``db_default`` keeps raw INSERTs that
    # do not name these columns (the ledger loader, COPY) valid: no consent until someone records one.
    consent_sms = models.BooleanField(_("consents to SMS pushes"), default=False, db_default=False)
    consent_wechat = models.BooleanField(_("consents to WeChat pushes"), default=False, db_default=False)
    consent_app = models.BooleanField(_("consents to in-site pushes"), default=False, db_default=False)
    consent_phone = models.BooleanField(_("consents to phone calls"), default=False, db_default=False)
    return_date = models.DateField(_("return date"), null=True, blank=True, db_index=True)
    # The latest employment event and intent, kept in step by the services so lists can filter on them.
    status = models.CharField(
        _("employment status"), max_length=30, choices=EmploymentStatus.choices, blank=True
    )
    status_since = models.DateField(_("status since"), null=True, blank=True)
    intent = models.CharField(_("intent"), max_length=20, choices=Intent.choices, blank=True)
    notes = models.CharField(_("notes"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        # Every index is paid for on each imported row, so none duplicates another: village_code, status and
        # intent alone are served by the composites they lead (village prefixes are queried as ranges, see
        # accounts.scoping, so no LIKE pattern index is needed); the hashes are only ever compared whole. The
        # name has no index: it is searched with icontains, which a B-tree cannot serve.
        constraints = [models.UniqueConstraint(fields=["id_hash"], name="registry_person_id_hash_uniq")]
        indexes = [
            models.Index(fields=["phone_hash"], name="registry_person_phone_hash"),
            models.Index(fields=["village_code", "status"], name="registry_person_village_status"),
            # The list is ordered by (village_code, id): these let a filtered first page (and a keyset page)
            # walk an index in order and stop after 50 rows instead of sorting every match.
            models.Index(fields=["village_code", "id"], name="registry_person_list_order"),
            models.Index(fields=["status", "village_code", "id"], name="registry_person_status_order"),
            models.Index(fields=["intent", "village_code", "id"], name="registry_person_intent_order"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_masked}）"


class PovertyCategoryChange(models.Model):
    """One dated change of a household's poverty category (the history of ``Household.poverty_category``)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="poverty_changes")
    category_from = models.CharField(
        _("previous type"), max_length=20, choices=PovertyCategory.choices, blank=True
    )
    category_to = models.CharField(_("household type"), max_length=20, choices=PovertyCategory.choices)
    effective_on = models.DateField(_("effective from"))
    note = models.CharField(_("notes"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_on", "-id"]
        verbose_name = _("household type change")
        verbose_name_plural = _("household type changes")

    def __str__(self) -> str:
        return f"{self.household_id} {self.category_from}→{self.category_to} {self.effective_on}"


class Consent(models.Model):
    """One grant or withdrawal of consent to job pushes on one channel; the latest per channel is in force.

    The person's ``consent_<channel>`` columns mirror the latest row, so "may we push" is a column read.
    """

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=ConsentChannel.choices)
    granted = models.BooleanField(_("consents"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    source = models.CharField(_("source"), max_length=10, choices=ConsentSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["person", "channel", "-recorded_at"], name="registry_consent_latest")]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.person_id} {self.channel} {'+' if self.granted else '-'} {self.recorded_at:%Y-%m-%d}"


class EmploymentEvent(models.Model):
    """One dated change of a person's employment, with where it came from."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="employment_events")
    status = models.CharField(_("employment status"), max_length=30, choices=EmploymentStatus.choices)
    occurred_on = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    work_province = models.CharField(_("work province"), max_length=20, blank=True)
    work_city = models.CharField(_("work city"), max_length=30, blank=True)
    work_place = models.CharField(_("work place"), max_length=200, blank=True)
    employer_name = models.CharField(_("employer"), max_length=200, blank=True)
    enterprise = models.ForeignKey(
        "employers.Enterprise", verbose_name=_("enterprise"), null=True, blank=True, on_delete=models.SET_NULL
    )
    monthly_income = models.PositiveIntegerField(_("monthly income (yuan)"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("employment event")
        verbose_name_plural = _("employment events")

    def __str__(self) -> str:
        return f"{self.person_id} {self.status} {self.occurred_on}"


class IntentRecord(models.Model):
    """What a person intends for the season, as recorded on a date."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="intents")
    intent = models.CharField(_("intent"), max_length=20, choices=Intent.choices)
    destination = models.CharField(_("destination"), max_length=100, blank=True)
    recorded_on = models.DateField(_("recorded on"))
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_on", "-id"]
        verbose_name = _("intent")
        verbose_name_plural = _("intents")

    def __str__(self) -> str:
        return f"{self.person_id} {self.intent} {self.recorded_on}"


class ImportStatus(models.TextChoices):
    VALIDATED = "validated", _("Checked, waiting to load")
    LOADING = "loading", _("Loading")
    DONE = "done", _("Loaded")
    FAILED = "failed", _("Failed")


class LedgerImport(models.Model):
    """One uploaded ledger: checked on upload, then loaded in batches that resume after a crash.

    The checked rows wait encrypted (``sealed_file``) until they have been loaded, then are erased.
    ``next_index`` is the position in the valid rows up to which loading has committed; each batch moves it in
    the same transaction as the rows it wrote, so a killed worker resumes exactly where it stopped.
    """

    filename = models.CharField(_("file"), max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scope_code = models.CharField(_("scope"), max_length=12)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.VALIDATED
    )
    sealed_file = models.BinaryField(null=True, blank=True, editable=False)
    total_rows = models.PositiveIntegerField(_("rows read"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    rejected_rows = models.PositiveIntegerField(_("rejected rows"), default=0)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    next_index = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    error_report = models.BinaryField(null=True, blank=True, editable=False)
    task = models.ForeignKey("background.BackgroundTask", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
