"""Forms for postings: filters, the posting form (with free-text occupation matching) and transitions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wengang.registry.choices import Education

from .choices import Board, PostingStatus, Shift, WageUnit
from .models import Occupation


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


def occupation_choices() -> list[tuple[str, Any]]:
    """Occupations grouped by major group, for a ``<select>`` with optgroups."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, major in Occupation.objects.values_list("code", "name", "major_name"):
        groups.setdefault(major, []).append((code, f"{name}（{code}）"))
    return [("", "—"), *((major, items) for major, items in groups.items())]


class PostingFilterForm(forms.Form):
    q = forms.CharField(label=_("Title, enterprise or occupation"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_blank(list(PostingStatus.choices)))
    area = forms.RegexField(
        label=_("Work place (area code)"),
        regex=r"^\d{6}(\d{3}){0,2}$",
        required=False,
        error_messages={"invalid": _("Enter a county, township or village code.")},
    )
    key = forms.ChoiceField(
        label=_("Key enterprises"), required=False, choices=[("", _("All")), ("1", _("Key enterprises only"))]
    )
    public_welfare = forms.ChoiceField(
        label=_("Public-welfare post"),
        required=False,
        choices=[("", _("All")), ("1", _("Yes")), ("0", _("No"))],
    )


class PostingForm(forms.Form):
    """Fields of a posting. The services validate everything again (the API goes straight to them)."""

    enterprise = forms.TypedChoiceField(label=_("Enterprise"), coerce=int, required=False)
    describe = forms.CharField(
        label=_("Describe the job in your own words"),
        required=False,
        help_text=_("For example “招聘电焊工两名，要求持证”: the occupation is suggested from it."),
    )
    occupation = forms.ChoiceField(label=_("Occupation"), required=False)
    title = forms.CharField(label=_("Title"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    headcount = forms.IntegerField(label=_("Headcount"), min_value=1, max_value=100000)
    wage_unit = forms.ChoiceField(label=_("Pay unit"), choices=WageUnit.choices, initial=WageUnit.MONTH)
    wage_min = forms.DecimalField(label=_("Pay from (yuan)"), required=False, min_value=0, decimal_places=2)
    wage_max = forms.DecimalField(label=_("Pay up to (yuan)"), required=False, min_value=0, decimal_places=2)
    wage_note = forms.CharField(label=_("Pay details"), required=False, max_length=200)
    monthly_min = forms.IntegerField(
        label=_("Expected monthly pay from (piece rates)"), required=False, min_value=0
    )
    monthly_max = forms.IntegerField(
        label=_("Expected monthly pay up to (piece rates)"), required=False, min_value=0
    )
    age_min = forms.IntegerField(label=_("Minimum age"), required=False, min_value=0, max_value=99)
    age_max = forms.IntegerField(label=_("Maximum age"), required=False, min_value=0, max_value=99)
    certificates = forms.CharField(
        label=_("Required certificates"), required=False, help_text=_("Separate with 、 or commas.")
    )
    education = forms.ChoiceField(
        label=_("Minimum education"), required=False, choices=[("", _("No requirement")), *Education.choices]
    )
    area_code = forms.RegexField(
        label=_("Work place (area code)"),
        regex=r"^\d{6}(\d{3}){0,2}$",
        error_messages={"invalid": _("Enter a county, township or village code.")},
    )
    address = forms.CharField(label=_("Work address"), required=False, max_length=200)
    latitude = forms.FloatField(label=_("Latitude"), required=False)
    longitude = forms.FloatField(label=_("Longitude"), required=False)
    board = forms.ChoiceField(label=_("Board and lodging"), choices=Board.choices, initial=Board.NONE)
    shift = forms.ChoiceField(label=_("Shift"), required=False, choices=[("", "—"), *Shift.choices])
    start_date = forms.DateField(
        label=_("Start date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(
        label=_("End date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    is_directed_export = forms.BooleanField(label=_("Recruits for directed labour export"), required=False)
    partner_region = forms.CharField(label=_("Partner region"), required=False, max_length=50)
    is_public_welfare = forms.BooleanField(label=_("Public-welfare post"), required=False)

    def __init__(
        self, *args: Any, user: Any = None, enterprises: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occupation"].choices = occupation_choices()  # type: ignore[attr-defined]
        if user is not None:
            # A select of the counties and townships the user serves (plus the current place, wherever it is):
            # an HR clerk picks a township by name, never types a code.
            from wengang.employers.forms import area_choices

            current = str(self.initial.get("area_code") or self.data.get("area_code") or "")
            self.fields["area_code"] = forms.ChoiceField(
                label=_("Work place"), choices=[("", "—"), *area_choices(user, include=current)]
            )
        if enterprises is None:
            del self.fields["enterprise"]
        else:
            self.fields["enterprise"].choices = [("", "—"), *enterprises]  # type: ignore[attr-defined]
            self.fields["enterprise"].required = True

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("enterprise", None)
        data.pop("describe", None)
        for key in ("education", "shift", "occupation"):
            data[key] = data.get(key) or ""
        return data


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=PostingStatus.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
