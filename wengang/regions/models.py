"""Administrative areas (GB/T 2260 to county, NBS 统计用区划代码 to village) and their code changes."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wengang.core.models import TimeStampedModel

from .choices import Level


class Region(TimeStampedModel):
    """One administrative area. Codes are 6 digits to county, 9 for a township, 12 for a village.

    ``valid_to`` is set on codes that no longer exist (410381 偃师市 after 2021), which stay so that rows
    registered under them still resolve; ``is_statistical`` marks units such as 高新区 that NBS lists but
    GB/T 2260 does not.
    """

    code = models.CharField(_("area code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    data_version = models.CharField(_("data version"), max_length=40, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_statistical = models.BooleanField(_("statistical unit only"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


class RegionCodeChange(TimeStampedModel):
    """A code that was replaced by another (偃师市 410381 → 偃师区 410307), for crosswalks and scope."""

    old_code = models.CharField(_("old code"), max_length=12, db_index=True)
    new_code = models.CharField(_("new code"), max_length=12, db_index=True)
    effective_date = models.DateField(_("effective date"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["effective_date", "old_code"]
        constraints = [
            models.UniqueConstraint(fields=["old_code", "new_code"], name="uniq_region_code_change")
        ]
        verbose_name = _("region code change")
        verbose_name_plural = _("region code changes")

    def __str__(self) -> str:
        return f"{self.old_code} → {self.new_code}"
