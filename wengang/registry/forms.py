from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import EmploymentStatus, Intent, PovertyCategory


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


class PersonFilterForm(forms.Form):
    q = forms.CharField(label=_("Name, ID number or phone"), required=False)
    area = forms.RegexField(
        label=_("Area code"),
        regex=r"^\d{6}(\d{3}){0,2}$",
        required=False,
        error_messages={"invalid": _("Enter a county, township or village code.")},
    )
    status = forms.ChoiceField(
        label=_("Employment status"), required=False, choices=_blank(list(EmploymentStatus.choices))
    )
    poverty_category = forms.ChoiceField(
        label=_("Household type"), required=False, choices=_blank(list(PovertyCategory.choices))
    )
    three_without = forms.ChoiceField(
        label=_("Three-without"), required=False, choices=[("", _("All")), ("1", _("Yes")), ("0", _("No"))]
    )
    intent = forms.ChoiceField(label=_("Intent"), required=False, choices=_blank(list(Intent.choices)))
    age_min = forms.IntegerField(label=_("Age from"), required=False, min_value=0, max_value=120)
    age_max = forms.IntegerField(label=_("Age to"), required=False, min_value=0, max_value=120)
    skill = forms.CharField(label=_("Skill"), required=False)
    certificate = forms.CharField(label=_("Certificate"), required=False)
    updated_since = forms.DateField(
        label=_("Updated since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class UnmaskForm(forms.Form):
    field = forms.ChoiceField(
        choices=[("id_number", _("ID number")), ("phone", _("Mobile phone"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.TextInput(attrs={"autofocus": True})
    )
