"""Forms for training pages. The services validate everything again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wengang.jobs.posting_forms import occupation_choices

from .choices import EnrolmentStatus, ProgrammeStatus, SubsidyState

_AREA: dict[str, Any] = {
    "regex": r"^\d{6}(\d{3})?$",
    "error_messages": {"invalid": _("Enter a county (6 digits) or township (9 digits) code.")},
}


def _all(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


class ProgrammeFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or provider"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_all(list(ProgrammeStatus.choices)))
    area = forms.RegexField(label=_("County or township code"), required=False, **_AREA)
    occupation = forms.ChoiceField(label=_("Occupation"), required=False)
    on_the_job = forms.ChoiceField(
        label=_("On-the-job training"),
        required=False,
        choices=[("", _("All")), ("1", _("Yes")), ("0", _("No"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occupation"].choices = occupation_choices()  # type: ignore[attr-defined]


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Programme name"), max_length=200)
    provider = forms.CharField(label=_("Training provider"), max_length=200)
    occupation = forms.ChoiceField(label=_("Occupation"), required=False)
    area_code = forms.RegexField(label=_("Held in (county or township code)"), **_AREA)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    start_date = forms.DateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}))
    places = forms.IntegerField(label=_("Places"), min_value=1)
    cost_per_person = forms.DecimalField(label=_("Cost per person (yuan)"), min_value=0, decimal_places=2)
    subsidy_per_person = forms.DecimalField(
        label=_("Subsidy per person (yuan)"), min_value=0, decimal_places=2
    )
    is_on_the_job = forms.BooleanField(
        label=_("On-the-job training in an enterprise (在岗培训/以工代训)"), required=False
    )
    enterprise = forms.TypedChoiceField(label=_("Enterprise"), coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(label=_("Status"), choices=ProgrammeStatus.choices)

    def __init__(self, *args: Any, enterprises: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occupation"].choices = occupation_choices()  # type: ignore[attr-defined]
        self.fields["enterprise"].choices = [("", "—"), *enterprises]  # type: ignore[attr-defined]


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, ID number or phone"), required=False)


class EnrolForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    enrolled_on = forms.DateField(
        label=_("Enrolled on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class EnrolmentForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=EnrolmentStatus.choices)
    attendance_days = forms.IntegerField(label=_("Days attended"), min_value=0)
    completed_on = forms.DateField(
        label=_("Completed on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    certificate = forms.CharField(
        label=_("Certificate obtained"),
        max_length=100,
        required=False,
        help_text=_("For example 焊工证 初级; it is added to the person's certificates."),
    )


class SubsidyForm(forms.Form):
    state = forms.ChoiceField(label=_("Subsidy"), choices=SubsidyState.choices)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        required=False,
        min_value=0,
        decimal_places=2,
        help_text=_("When claiming; defaults to the programme's subsidy per person."),
    )
