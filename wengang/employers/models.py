"""Enterprises. The foundation holds only what employer accounts link to; issue 4 grows the rest."""

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


class Enterprise(TimeStampedModel):
    """An enterprise, keyed by its 18-character 统一社会信用代码."""

    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField(_("name"), max_length=200)
    area_code = models.CharField(_("area code"), max_length=12, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return self.name
