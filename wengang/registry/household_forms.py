"""Forms of the household page: each one a small action the services carry out."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import PovertyCategory, Relation

MEMBER_RELATIONS = [(value, label) for value, label in Relation.choices if value != Relation.HEAD]


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class HouseholdCreateForm(forms.Form):
    """Open a household for a person who has none."""

    poverty_category = forms.ChoiceField(
        label=_("Household type"), choices=PovertyCategory.choices, initial=PovertyCategory.GENERAL
    )
    effective_on = forms.DateField(label=_("Type effective from"), required=False, widget=_date_widget())


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, ID number or phone"), required=False, max_length=50)


class MemberAddForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    relation = forms.ChoiceField(label=_("Relation to head"), choices=MEMBER_RELATIONS)
    move_village = forms.BooleanField(label=_("Move to the household's village"), required=False)


class MemberRelationForm(forms.Form):
    relation = forms.ChoiceField(label=_("Relation to head"), choices=MEMBER_RELATIONS)


class HeadSetForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    former_head_relation = forms.ChoiceField(
        label=_("The former head becomes"), choices=MEMBER_RELATIONS, initial=Relation.SPOUSE
    )


class PovertySetForm(forms.Form):
    poverty_category = forms.ChoiceField(label=_("Household type"), choices=PovertyCategory.choices)
    effective_on = forms.DateField(label=_("Effective from"), widget=_date_widget())
    note = forms.CharField(label=_("Notes"), required=False, max_length=200)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["effective_on"].initial = timezone.localdate()
