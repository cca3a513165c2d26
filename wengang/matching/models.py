"""Match runs and the recommendations they stored (the engine itself holds no Django; see ``engine.py``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wengang.core.models import UnicodeJSONEncoder


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class MatchRun(models.Model):
    """One full match run over an area: the weights it used, what it read and wrote, and how long it took."""

    scope_code = models.CharField(_("area"), max_length=12, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    weights = models.JSONField(_("weights"), default=dict, blank=True)
    seekers = models.PositiveIntegerField(_("job seekers"), default=0)
    postings = models.PositiveIntegerField(_("postings"), default=0)
    recommendations = models.PositiveIntegerField(_("recommendations"), default=0)
    stats = models.JSONField(_("statistics"), default=dict, blank=True)
    timings = models.JSONField(_("timings (s)"), default=dict, blank=True)
    notes = models.JSONField(default=list, blank=True, encoder=UnicodeJSONEncoder)
    message = models.CharField(_("message"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task = models.ForeignKey("background.BackgroundTask", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("match run")
        verbose_name_plural = _("match runs")

    def __str__(self) -> str:
        return f"{self.scope_code} #{self.pk} ({self.status})"


class Recommendation(models.Model):
    """One posting recommended to one person by a run, with its rank, score and reasons in Chinese.

    ``is_current`` marks the rows shown. A full run replaces the rows of its area (the old ones are deleted:
    a run keeps its statistics); an incremental update marks a person's replaced rows not current, and the
    next full run of their area removes them.

    The three foreign keys have no database constraint (``db_constraint=False``). The rows are derived data,
    rewritten by millions each night: on PostgreSQL each constrained key queued a check per row that ran at
    commit (45 s of a city run's 2.7 M rows, more than the ``COPY`` itself), and a person or posting deleted
    while a run computed made the whole run fail at that commit. Deletes still cascade (Django's collector
    deletes a person's, posting's or run's rows); a row whose posting or person vanished during a run is
    dropped by the run itself (:func:`wengang.matching.storing.drop_vanished`), and every reader joins the
    person or posting, so such a row is never shown in between.
    """

    run = models.ForeignKey(
        MatchRun, on_delete=models.CASCADE, related_name="recommendation_rows", db_constraint=False
    )
    # No single-column indexes: the composite (person, is_current) and (posting, is_current) indexes below
    # lead with them and serve every lookup and cascade; two indexes fewer to maintain on each run's write.
    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.CASCADE,
        related_name="recommendations",
        db_index=False,
        db_constraint=False,
    )
    posting = models.ForeignKey(
        "jobs.Posting",
        on_delete=models.CASCADE,
        related_name="recommendations",
        db_index=False,
        db_constraint=False,
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    score = models.FloatField(_("score"))
    reasons = models.CharField(_("reasons"), max_length=300, blank=True)
    # The score's terms (TERM_KEYS) as numbers joined by commas: a short text, not a JSON document — a run
    # writes millions of rows and PostgreSQL parsed each jsonb document (a fifth of the COPY's time).
    term_values = models.CharField(_("score terms"), max_length=120, blank=True)
    is_current = models.BooleanField(_("current"), default=True)

    class Meta:
        ordering = ["rank"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        indexes = [
            models.Index(fields=["person", "is_current"], name="matching_rec_person_current"),
            models.Index(fields=["posting", "is_current"], name="matching_rec_posting_current"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}→{self.posting_id} #{self.rank}"

    @property
    def terms(self) -> dict[str, float]:
        """The score's terms by name (and ``km``), as the run computed them; empty if none were stored."""
        return decode_terms(self.term_values)


# The order of the numbers in ``Recommendation.term_values``: the score's terms, then the distance in km.
TERM_KEYS = ("distance", "wage_income", "wage_local", "board", "skills", "key_enterprise", "priority", "km")


def encode_terms(terms: dict[str, float]) -> str:
    """``term_values`` for a dict of terms (missing ones as 0)."""
    return ",".join(repr(float(terms.get(k, 0.0))) for k in TERM_KEYS)


def decode_terms(text: str) -> dict[str, float]:
    if not text:
        return {}
    return dict(zip(TERM_KEYS, map(float, text.split(",")), strict=True))
