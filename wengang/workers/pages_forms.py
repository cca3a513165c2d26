"""Forms of the worker's pages: plain HTML forms that work without JavaScript, every field labelled."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wengang.jobs.choices import OutcomeReason
from wengang.registry.choices import EmploymentStatus, Intent
from wengang.registry.services import EmploymentChange

WITHDRAW_REASONS = [
    (OutcomeReason.FOUND_OTHER, OutcomeReason.FOUND_OTHER.label),
    (OutcomeReason.WAGE, OutcomeReason.WAGE.label),
    (OutcomeReason.DISTANCE, OutcomeReason.DISTANCE.label),
    (OutcomeReason.CONDITIONS, OutcomeReason.CONDITIONS.label),
    (OutcomeReason.FAMILY, OutcomeReason.FAMILY.label),
    (OutcomeReason.HEALTH, OutcomeReason.HEALTH.label),
    (OutcomeReason.OTHER, OutcomeReason.OTHER.label),
]

CORRECTION_FIELDS = [
    ("name", _("Name")),
    ("id_number", _("ID number")),
    ("phone", _("Mobile phone")),
    ("village", _("Village")),
    ("household", _("Household and household type")),
    ("employment", _("Employment history")),
    ("other", _("Something else")),
]


def split_items(value: str) -> list[str]:
    """“电焊、叉车, 砌墙” → ["电焊", "叉车", "砌墙"]."""
    return [part for part in (p.strip() for p in re.split(r"[、,，;；/\s]+", value or "")) if part]


class DateInput(forms.DateInput):
    input_type = "date"


class ApplyForm(forms.Form):
    note = forms.CharField(
        label=_("A word to the enterprise (optional)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. when you can start")}),
    )


class WithdrawForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why do you withdraw?"), choices=WITHDRAW_REASONS, initial="other")


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("What are you doing now?"), choices=EmploymentStatus.choices)
    occurred_on = forms.DateField(label=_("Since"), widget=DateInput())
    work_province = forms.CharField(label=_("Work province"), required=False, max_length=20)
    work_city = forms.CharField(label=_("Work city"), required=False, max_length=30)
    employer_name = forms.CharField(label=_("Employer"), required=False, max_length=200)
    monthly_income = forms.IntegerField(
        label=_("Monthly income (yuan)"),
        required=False,
        min_value=0,
        max_value=200000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    intent = forms.ChoiceField(
        label=_("What do you plan for the season?"),
        required=False,
        choices=[("", _("Not decided")), *Intent.choices],
    )
    destination = forms.CharField(label=_("Where to (optional)"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_on"].initial = timezone.localdate()

    def change(self) -> EmploymentChange:
        d = self.cleaned_data
        return EmploymentChange(
            status=d["status"],
            occurred_on=d["occurred_on"],
            work_province=d["work_province"].strip(),
            work_city=d["work_city"].strip(),
            employer_name=d["employer_name"].strip(),
            monthly_income=d["monthly_income"],
        )


class SkillsForm(forms.Form):
    skills = forms.CharField(
        label=_("Skills"),
        required=False,
        max_length=600,
        help_text=_("Separate with 、 or commas, e.g. 电焊、叉车"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    certificates = forms.CharField(
        label=_("Certificates"),
        required=False,
        max_length=600,
        help_text=_("Separate with 、 or commas, e.g. 焊工证"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CorrectionForm(forms.Form):
    field = forms.ChoiceField(label=_("What is wrong?"), choices=CORRECTION_FIELDS)
    text = forms.CharField(
        label=_("The correct information"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def field_label(self) -> str:
        return str(dict(CORRECTION_FIELDS).get(self.cleaned_data["field"], self.cleaned_data["field"]))


class CorrectionHandleForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accepted", _("Accept: I will correct the record")), ("rejected", _("Reject"))],
        widget=forms.RadioSelect,
    )
    reply = forms.CharField(
        label=_("Reply to the worker"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )
