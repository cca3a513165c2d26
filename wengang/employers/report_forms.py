"""Forms for enterprise reports: they parse input; the services in ``reports.py`` apply the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AlertState, Enterprise, RetentionKind
from .report_selectors import ReportFilters
from .reports import MAX_COUNT, MeasureInput, amount_field, people_field


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=_date_input())
    date_to = forms.DateField(label=_("To"), required=False, widget=_date_input())
    county = forms.ChoiceField(label=_("County"), required=False)
    q = forms.CharField(label=_("Enterprise name or credit code"), required=False, max_length=100)
    enterprise = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, counties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        county = self.fields["county"]
        assert isinstance(county, forms.ChoiceField)
        county.choices = [("", _("All")), *counties]
        if not counties:
            del self.fields["county"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("To: the end date is before the start date."))
        return data

    def filters(self) -> ReportFilters:
        if not self.is_valid():
            return ReportFilters(enterprise=-1) if self.is_bound else ReportFilters()
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return ReportFilters(**data)


class AlertFilterForm(ReportFilterForm):
    state = forms.ChoiceField(
        label=_("Alert"),
        required=False,
        choices=[("", _("All")), *AlertState.choices],
    )


class SummaryForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=_date_input())
    date_to = forms.DateField(label=_("To"), widget=_date_input())
    county = forms.ChoiceField(label=_("County"), required=False)

    def __init__(self, *args: Any, counties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        county = self.fields["county"]
        assert isinstance(county, forms.ChoiceField)
        county.choices = [("", _("All")), *counties]
        if len(counties) <= 1:
            del self.fields["county"]

    @staticmethod
    def default_period() -> tuple[dt.date, dt.date]:
        today = timezone.localdate()
        return today - dt.timedelta(days=90), today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("To: the end date is before the start date."))
        return data


class _EnterpriseChoiceMixin:
    """Staff pick the enterprise from those in their scope; an employer's own enterprise is fixed."""

    fields: dict[str, forms.Field]

    def _set_enterprises(self, enterprises: QuerySet[Enterprise] | None) -> None:
        if enterprises is None:
            del self.fields["enterprise"]
        else:
            choice = self.fields["enterprise"]
            assert isinstance(choice, forms.ModelChoiceField)
            choice.queryset = enterprises


def _count(label: Any, *, required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, max_value=MAX_COUNT, required=required)


class StaffReportForm(_EnterpriseChoiceMixin, forms.Form):
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none())
    reported_on = forms.DateField(label=_("Report date"), widget=_date_input())
    staff_on_payroll = _count(_("Staff on payroll"))
    staying_over = _count(_("Workers staying over the festival"))
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, enterprises: QuerySet[Enterprise] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_enterprises(enterprises)
        for kind in RetentionKind:
            self.fields[amount_field(kind.value)] = _count(_("Amount (yuan)"), required=False)
            self.fields[people_field(kind.value)] = _count(_("People covered"), required=False)

    def measure_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """(label, amount field, people field) per kind, for the table on the page."""
        return [
            (str(kind.label), self[amount_field(kind.value)], self[people_field(kind.value)])
            for kind in RetentionKind
        ]

    @property
    def main_fields(self) -> list[forms.BoundField]:
        names = ("enterprise", "reported_on", "staff_on_payroll", "staying_over", "notes")
        return [self[n] for n in names if n in self.fields]

    def measures(self) -> list[MeasureInput]:
        """The measures with any value entered; an empty row means the measure was not used."""
        out: list[MeasureInput] = []
        for kind in RetentionKind.values:
            amount = self.cleaned_data.get(amount_field(kind))
            people = self.cleaned_data.get(people_field(kind))
            if amount or people:
                out.append((kind, amount or 0, people or 0))
        return out


class LayoffForm(_EnterpriseChoiceMixin, forms.Form):
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none())
    reported_on = forms.DateField(label=_("Layoff date"), widget=_date_input())
    people = forms.IntegerField(label=_("People laid off"), min_value=1, max_value=MAX_COUNT)
    staff_before = _count(_("Staff before the layoff"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, enterprises: QuerySet[Enterprise] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_enterprises(enterprises)
        self.fields["staff_before"].help_text = _(
            "Leave empty to use the enterprise's latest staff count on record."
        )


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "autofocus": True}),
        help_text=_("For example: visited the enterprise, checked the layoff plan, arranged re-employment."),
    )
