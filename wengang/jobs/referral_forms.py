"""Forms of the referral pages: list filters, the two ways to start a referral, and a pipeline step."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wengang.regions.models import Region

from .choices import OutcomeReason, ReferralSource, ReferralState

DATE = forms.DateInput(attrs={"type": "date"})


def _all(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


class ReferralFilterForm(forms.Form):
    q = forms.CharField(label=_("Posting, enterprise or person"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("State"), required=False, choices=_all(list(ReferralState.choices)))
    source = forms.ChoiceField(label=_("Source"), required=False, choices=_all(list(ReferralSource.choices)))
    posting = forms.IntegerField(label=_("Posting"), required=False, widget=forms.HiddenInput)
    date_from = forms.DateField(label=_("Referred from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("Referred until"), required=False, widget=DATE)

    def __init__(self, *args: Any, postings: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if postings is not None:  # an employer picks among its own postings
            self.fields["posting"] = forms.TypedChoiceField(
                label=_("Posting"),
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", _("All postings")), *postings],
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


def _counties() -> list[tuple[str, str]]:
    return list(Region.objects.filter(level="county", valid_to__isnull=True).values_list("code", "name"))


class PostingSearchForm(forms.Form):
    q = forms.CharField(label=_("Title, occupation or enterprise"), required=False, max_length=100)
    area = forms.ChoiceField(label=_("Work county"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.ChoiceField)
        area.choices = [("", _("Anywhere")), *_counties()]


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, ID number or phone"), required=False, max_length=50)


class ReferralCreateForm(forms.Form):
    """The chosen person and posting arrive as ids; the view resolves them through the scoped selectors."""

    person = forms.IntegerField(widget=forms.HiddenInput)
    posting = forms.IntegerField(widget=forms.HiddenInput)
    source = forms.ChoiceField(
        label=_("Source"), choices=ReferralSource.choices, initial=ReferralSource.STAFF
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=ReferralState.choices, widget=forms.HiddenInput)
    reason = forms.ChoiceField(label=_("Reason"), required=False, choices=[("", "—"), *OutcomeReason.choices])
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    hired_on = forms.DateField(label=_("Hired on"), required=False, widget=DATE)
