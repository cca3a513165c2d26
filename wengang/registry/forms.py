from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import Education, EmploymentStatus, Health, Intent, PovertyCategory
from .models import ConsentChannel


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
    consent = forms.ChoiceField(
        label=_("Consents to pushes by"), required=False, choices=_blank(list(ConsentChannel.choices))
    )
    returned_from = forms.DateField(
        label=_("Returned from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    returned_to = forms.DateField(
        label=_("Returned until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("returned_from"), data.get("returned_to")
        if start and end and start > end:
            self.add_error("returned_to", _("The end of the return period is before its start."))
        return data


class UnmaskForm(forms.Form):
    field = forms.ChoiceField(
        choices=[("id_number", _("ID number")), ("phone", _("Mobile phone"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.TextInput(attrs={"autofocus": True})
    )


def _split(value: str) -> list[str]:
    import re

    return [part for part in (p.strip() for p in re.split(r"[、,，;；/\s]+", value or "")) if part]


class PersonForm(forms.Form):
    """Add or edit a person. The services validate ID, phone, village and scope exactly like the importer."""

    id_number = forms.CharField(label=_("ID number"), max_length=30)
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    village_code = forms.RegexField(
        label=_("Village code"),
        regex=r"^\d{12}$",
        error_messages={"invalid": _("A village code has 12 digits.")},
    )
    poverty_category = forms.ChoiceField(
        label=_("Household type"), choices=PovertyCategory.choices, initial=PovertyCategory.GENERAL
    )
    education = forms.ChoiceField(
        label=_("Education"), required=False, choices=[("", "—"), *Education.choices]
    )
    health = forms.ChoiceField(label=_("Health"), choices=Health.choices, initial=Health.HEALTHY)
    skills = forms.CharField(label=_("Skills"), required=False, help_text=_("Separate with 、 or commas."))
    certificates = forms.CharField(label=_("Certificates"), required=False)
    is_three_without = forms.BooleanField(label=_("Three-without person"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=500)
    return_date = forms.DateField(
        label=_("Return date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day the person returned (or will return) home for the season."),
    )
    status = forms.ChoiceField(
        label=_("Employment status"),
        required=False,
        choices=[("", _("(unchanged)")), *EmploymentStatus.choices],
    )
    status_date = forms.DateField(
        label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    work_province = forms.CharField(label=_("Work province"), required=False, max_length=20)
    work_city = forms.CharField(label=_("Work city"), required=False, max_length=30)
    employer_name = forms.CharField(label=_("Employer"), required=False, max_length=200)
    monthly_income = forms.IntegerField(
        label=_("Monthly income (yuan)"), required=False, min_value=0, max_value=1_000_000
    )
    intent = forms.ChoiceField(
        label=_("Intent"), required=False, choices=[("", _("(unchanged)")), *Intent.choices]
    )
    intent_destination = forms.CharField(label=_("Destination"), required=False, max_length=100)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["id_number"]
            del self.fields["poverty_category"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") and not data.get("status_date"):
            self.add_error("status_date", _("Give the date the status began."))
        data["skills"] = _split(data.get("skills", ""))
        data["certificates"] = _split(data.get("certificates", ""))
        return data


class ConsentForm(forms.Form):
    """Grant or withdraw consent to job pushes on one channel."""

    channel = forms.ChoiceField(label=_("Channel"), choices=ConsentChannel.choices)
    granted = forms.TypedChoiceField(
        label=_("Consent"),
        choices=[("1", _("Grant")), ("0", _("Withdraw"))],
        coerce=lambda v: v == "1",
    )
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[("staff", _("Staff")), ("worker", pgettext_lazy("source", "Worker"))],
        initial="staff",
    )
    note = forms.CharField(label=_("Notes"), required=False, max_length=200)


class LedgerUploadForm(forms.Form):
    file = forms.FileField(label=_("Ledger file (.xlsx, .xls or .csv)"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith((".xlsx", ".xls", ".csv")):
            raise forms.ValidationError(_("Upload an .xlsx, .xls or .csv file."))
        if upload.size > 200 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 200 MB; split it."))
        return upload
