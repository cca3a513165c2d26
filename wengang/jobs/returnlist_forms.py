"""Forms of the returning-worker lists: upload, filters, contact status, matching a row to a person."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wengang.employers.models import Enterprise
from wengang.employers.selectors import enterprise_queryset, is_employer_only

from .choices import ContactStatus


class ReturnListUploadForm(forms.Form):
    """Staff choose an enterprise of their area; an employer's list is always its own enterprise's."""

    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"),
        queryset=Enterprise.objects.none(),
        error_messages={"invalid_choice": _("That enterprise is not one you may upload a list for.")},
    )
    file = forms.FileField(
        label=_("File (.xlsx, .xls or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.employer_only = is_employer_only(user)
        qs = enterprise_queryset(user).order_by("name", "pk")
        field = self.fields["enterprise"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = qs
        self._enterprises = qs
        if self.employer_only:
            # Taken from the account; a value posted for another enterprise fails validation (400).
            field.required = False
            field.widget = forms.HiddenInput()

    def clean_enterprise(self) -> Enterprise | None:
        enterprise: Enterprise | None = self.cleaned_data.get("enterprise")
        if self.employer_only and enterprise is None:
            enterprise = self._enterprises.first()
            if enterprise is None:
                raise forms.ValidationError(_("Your account is not linked to an enterprise."))
        return enterprise


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


class ReturnWorkerFilterForm(forms.Form):
    q = forms.CharField(label=pgettext_lazy("person", "Name"), required=False, max_length=50)
    matched = forms.ChoiceField(
        label=_("Registry match"),
        required=False,
        choices=_blank([("1", _("Matched")), ("0", _("Not matched"))]),
    )
    status = forms.ChoiceField(
        label=_("Contact status"), required=False, choices=_blank(list(ContactStatus.choices))
    )


class ContactForm(forms.Form):
    status = forms.ChoiceField(label=_("Contact status"), choices=ContactStatus.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. back on 20 February by bus")}),
    )


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, ID number or phone"), required=False, max_length=50)


class MatchForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
