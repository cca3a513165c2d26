"""Forms of the public-welfare placement pages; the services validate again and have the last word."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import WelfareExitReason, WelfarePlacementStatus


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


def _month() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class PlacementFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=50)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + list(WelfarePlacementStatus.choices)
    )
    township = forms.ChoiceField(label=_("Township"), required=False, choices=[("", _("All"))])
    posting = forms.IntegerField(label=_("Post"), required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: object, townships: list[tuple[str, str]] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["township"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("All")), *(townships or [])]


class PlacementForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    start_date = forms.DateField(label=_("Term starts"), widget=_date())
    end_date = forms.DateField(label=_("Term ends"), widget=_date())
    monthly_allowance = forms.DecimalField(
        label=_("Monthly allowance (yuan)"), min_value=0, max_value=100000, decimal_places=2, max_digits=8
    )


class RenewForm(forms.Form):
    new_end_date = forms.DateField(label=_("New term ends"), widget=_date())
    monthly_allowance = forms.DecimalField(
        label=_("Monthly allowance (yuan)"), min_value=0, max_value=100000, decimal_places=2, max_digits=8
    )


class ExitForm(forms.Form):
    exit_date = forms.DateField(label=_("Exit date"), widget=_date())
    reason = forms.ChoiceField(label=_("Exit reason"), choices=WelfareExitReason.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class WorkMonthForm(forms.Form):
    month = forms.DateField(label=_("Month"), input_formats=["%Y-%m", "%Y-%m-%d"], widget=_month())
    days_worked = forms.IntegerField(label=_("Days worked"), min_value=0, max_value=31)
    allowance_paid = forms.DecimalField(
        label=_("Allowance paid (yuan)"), min_value=0, max_value=100000, decimal_places=2, max_digits=8
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
