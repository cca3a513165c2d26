"""Forms for enterprise pages. Values are checked again by the services, the same way as the importer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wengang.accounts.scoping import area_q
from wengang.regions.models import Region

from . import industries
from .models import KeyCategory, Size

Choices = list[tuple[str, Any]]


def area_choices(user: Any, *, include: str = "") -> Choices:
    """Counties and townships in the user's scope, grouped by county (a county's own code comes first)."""
    rows = list(
        Region.objects.filter(area_q(user, "code"), level__in=("county", "township"), valid_to__isnull=True)
        .order_by("code")
        .values_list("code", "name", "level")
    )
    counties = {code: name for code, name, level in rows if level == "county"}
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, level in rows:
        county = code[:6]
        label = counties.get(county, county)
        entry = (
            (code, str(_("%(name)s (whole county)") % {"name": name})) if level == "county" else (code, name)
        )
        groups.setdefault(label, []).append(entry)
    out: Choices = list(groups.items())
    if include and not any(include == c for _label, entries in groups.items() for c, _n in entries):
        region = Region.objects.filter(code=include).first()
        out.insert(0, (include, str(region) if region else include))
    return out


def section_choices() -> Choices:
    return [(letter, f"{letter} {name}") for letter, name in industries.sections()]


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class EnterpriseFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or credit code"), required=False, max_length=100)
    area = forms.ChoiceField(label=_("Area"), required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    key = forms.ChoiceField(label=_("Key enterprise"), required=False)
    size = forms.ChoiceField(label=_("Size"), required=False, choices=[("", _("All")), *Size.choices])

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "area").choices = [("", _("All")), *area_choices(user)]
        _choice(self, "industry").choices = [("", _("All")), *section_choices()]
        _choice(self, "key").choices = [
            ("", _("All")),
            ("1", _("Key enterprises (any category)")),
            ("0", _("Not a key enterprise")),
            *KeyCategory.choices,
        ]


class EnterpriseForm(forms.Form):
    """Register or edit an enterprise. An enterprise's own account sees only address, size and contact."""

    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=30,
        help_text=_("18 characters, as on the business licence."),
    )
    name = forms.CharField(label=_("Enterprise name"), max_length=200)
    area_code = forms.ChoiceField(label=_("County or township"))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    industry_division = forms.ChoiceField(label=_("Industry (GB/T 4754)"), required=False)
    size = forms.ChoiceField(label=_("Size"), required=False, choices=[("", "—"), *Size.choices])
    contact_name = forms.CharField(label=_("Contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    staff_count = forms.IntegerField(label=_("Staff on payroll"), required=False, min_value=0)

    def __init__(
        self, *args: Any, user: Any, employer: bool = False, current_area: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if employer:
            for name in list(self.fields):
                if name not in ("address", "size", "contact_name", "contact_phone"):
                    del self.fields[name]
            return
        _choice(self, "area_code").choices = [("", "—"), *area_choices(user, include=current_area)]
        _choice(self, "industry_division").choices = [("", "—"), *industries.division_choices()]


class DesignateForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Key-enterprise category"),
        required=False,
        choices=[("", _("Not a key enterprise (remove the designation)")), *KeyCategory.choices],
    )
    confirm = forms.BooleanField(
        label=_("I confirm this category; the decision is recorded with my name and the time."),
        required=True,
    )


class ImportMode:
    ALL_OR_NOTHING = "all_or_nothing"
    VALID_ROWS = "valid_rows"


class EnterpriseImportForm(forms.Form):
    file = forms.FileField(label=_("Enterprise list (.xlsx, .xls or .csv)"))
    mode = forms.ChoiceField(
        label=_("When some rows have errors"),
        widget=forms.RadioSelect,
        initial=ImportMode.ALL_OR_NOTHING,
        choices=[
            (ImportMode.ALL_OR_NOTHING, _("Load nothing; I will fix the file and upload it again")),
            (ImportMode.VALID_ROWS, _("Load the valid rows and list the rejected ones")),
        ],
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".xls", ".csv")):
            raise forms.ValidationError(_("Upload an .xlsx, .xls or .csv file."))
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 20 MB; split it."))
        return upload
