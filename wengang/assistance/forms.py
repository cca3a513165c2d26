"""Forms of the 131 service pages: list filters, opening a case, assigning, closing, and service records."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import CaseReason, CaseStatus, Channel, CloseReason, RecordKind

YES = [("", _("All")), ("1", _("Yes"))]


class DateInput(forms.DateInput):
    input_type = "date"


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=50)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *CaseStatus.choices]
    )
    reason = forms.ChoiceField(
        label=_("Reason"), required=False, choices=[("", _("All")), *CaseReason.choices]
    )
    specialist = forms.TypedChoiceField(label=_("Specialist"), required=False, coerce=int, empty_value=None)
    overdue = forms.ChoiceField(label=_("Overdue"), required=False, choices=YES)
    incomplete = forms.ChoiceField(label=_("131 not complete"), required=False, choices=YES)
    area = forms.CharField(label=_("Area code"), required=False, max_length=12)

    def __init__(self, *args: Any, specialists: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["specialist"]
        field.choices = [("", _("All")), ("0", _("Not assigned")), *(specialists or [])]

    def clean_area(self) -> str:
        value: str = self.cleaned_data["area"].strip()
        if value and not value.isdigit():
            raise forms.ValidationError(_("An area code has digits only."))
        return value


class CaseOpenForm(forms.Form):
    reason_note = forms.CharField(label=_("Why this person needs one-to-one assistance"), max_length=500)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput)
    specialist = forms.TypedChoiceField(label=_("Specialist"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, specialists: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["specialist"]
        field.choices = [("", _("Not yet")), *(specialists or [])]


class AssignForm(forms.Form):
    specialist = forms.TypedChoiceField(label=_("Specialist"), coerce=int)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput)

    def __init__(self, *args: Any, specialists: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["specialist"]
        field.choices = list(specialists or [])


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why the case ends"), choices=CloseReason.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class RecordForm(forms.Form):
    """One form for every kind; the page shows the fields its kind uses and the service checks the rest."""

    kind = forms.ChoiceField(choices=RecordKind.choices, widget=forms.HiddenInput)
    date = forms.DateField(label=_("Date"), widget=DateInput)
    content = forms.CharField(
        label=_("Content"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=500)
    posting = forms.IntegerField(label=_("Posting"), required=False, widget=forms.HiddenInput)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", "—"), *Channel.choices])
    programme = forms.CharField(label=_("Training programme"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("date", timezone.localdate())
        super().__init__(*args, **kwargs)


class PostingSearchForm(forms.Form):
    pq = forms.CharField(label=_("Search postings"), required=False, max_length=50)
