"""The job board's search form (GET, no JavaScript): what a worker types or picks on a phone."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import OUTSIDE_CITY, SORT_NEWEST, SORT_PAY, BoardFilters, county_choices, occupation_choices

BOARD_CHOICES = [
    ("", _("Any board and lodging")),
    ("both", _("Board and lodging")),
    ("lodging", _("Lodging provided")),
    ("meals", _("Meals provided")),
]
SORT_CHOICES = [(SORT_NEWEST, _("Newest first")), (SORT_PAY, _("Best paid first"))]


class BoardSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Keyword"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={"placeholder": _("Job, trade or enterprise, e.g. 电焊工"), "type": "search"}
        ),
    )
    occupation = forms.ChoiceField(label=_("Occupation"), required=False)
    county = forms.ChoiceField(label=_("Where"), required=False)
    min_pay = forms.IntegerField(
        label=_("Monthly pay of at least (yuan)"),
        required=False,
        min_value=0,
        max_value=100000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 500}),
    )
    board = forms.ChoiceField(label=_("Meals and housing"), required=False, choices=BOARD_CHOICES)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        occupation = cast(forms.ChoiceField, self.fields["occupation"])
        occupation.choices = [("", _("All occupations")), *occupation_choices()]
        county = cast(forms.ChoiceField, self.fields["county"])
        county.choices = [
            ("", _("Anywhere")),
            *county_choices(),
            (OUTSIDE_CITY, _("Outside the city")),
        ]

    def filters(self) -> BoardFilters:
        """The valid part of the search; a bad field is ignored (and shown with its error)."""
        if self.is_bound:
            self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return BoardFilters(
            q=data.get("q") or "",
            occupation=data.get("occupation") or "",
            county=data.get("county") or "",
            min_pay=data.get("min_pay"),
            board=data.get("board") or "",
            sort=data.get("sort") or SORT_NEWEST,
        )
