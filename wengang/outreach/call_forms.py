"""Forms of the call list: filters, adding a person to the list, and recording the outcome of a call."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import CallOutcome


class CallFilterForm(forms.Form):
    area = forms.ChoiceField(label=_("Village or township"), required=False)
    q = forms.CharField(label=_("Reason contains"), required=False, max_length=50)
    campaign = forms.TypedChoiceField(label=_("Campaign"), required=False, coerce=int, empty_value=None)

    def __init__(
        self,
        *args: Any,
        areas: list[tuple[str, str]] | None = None,
        campaigns: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        area: Any = self.fields["area"]
        area.choices = [("", _("All")), *(areas or [])]
        campaign: Any = self.fields["campaign"]
        campaign.choices = [("", _("All")), *(campaigns or [])]


class CallAddForm(forms.Form):
    reason = forms.CharField(
        label=_("Why call"),
        max_length=500,
        error_messages={"required": _("Say why the person is to be called.")},
    )
    postings = forms.CharField(
        label=_("Postings to mention (numbers)"),
        required=False,
        max_length=200,
        help_text=_("Posting numbers separated by commas, e.g. 12, 15."),
    )
    note = forms.CharField(label=_("Note for the caller"), required=False, max_length=300)

    def clean_postings(self) -> list[str]:
        value: str = self.cleaned_data["postings"]
        parts = [p for p in re.split(r"[、,，;；\s]+", value or "") if p]
        bad = [p for p in parts if not p.isdigit()]
        if bad:
            raise forms.ValidationError(
                _("Postings to mention: “%(value)s” is not a posting number.") % {"value": bad[0]}
            )
        return parts


class CallRecordForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=CallOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome of the call.")},
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)
    guidance_given = forms.BooleanField(label=_("Gave career guidance"), required=False)
