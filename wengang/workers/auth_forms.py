"""Forms of the worker's login, linking and self-registration. Errors name the field and the reason."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wengang.registry.choices import Intent
from wengang.registry.identity import IdentityError, normalize_phone


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone number"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )

    def clean_phone(self) -> str:
        try:
            phone = normalize_phone(self.cleaned_data["phone"])
        except IdentityError as exc:
            raise forms.ValidationError(_("Mobile phone number: %(reason)s") % {"reason": exc}) from exc
        if not phone:
            raise forms.ValidationError(_("Mobile phone number: enter your number."))
        return phone


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verification code (6 digits)"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(ch for ch in self.cleaned_data["code"] if not ch.isspace())
        code = code.translate({ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")})
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("Verification code: it has 6 digits."))
        return code


class LinkForm(forms.Form):
    id_text = forms.CharField(
        label=gettext_lazy("The last 6 characters of your ID number, or the whole number"),
        max_length=24,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_id_text(self) -> str:
        text = self.cleaned_data["id_text"].strip().upper().replace(" ", "")
        if len(text) not in (6, 18):
            raise forms.ValidationError(
                _("ID number: enter its last 6 characters or all 18; you entered %(n)d.") % {"n": len(text)}
            )
        return text


class RegisterForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50)
    id_number = forms.CharField(
        label=gettext_lazy("ID number"), max_length=24, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    village = forms.ChoiceField(label=gettext_lazy("Village"), choices=())
    skills = forms.CharField(
        label=gettext_lazy("Skills (separate with commas, optional)"), max_length=200, required=False
    )
    intent = forms.ChoiceField(
        label=gettext_lazy("What do you plan to do"),
        choices=[("", gettext_lazy("Not decided"))] + list(Intent.choices),
        required=False,
    )

    def __init__(self, *args: Any, villages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        village = self.fields["village"]
        assert isinstance(village, forms.ChoiceField)
        village.choices = [("", gettext_lazy("Choose a village")), *villages]
        self.fields["village"].error_messages["invalid_choice"] = gettext_lazy(
            "Village: choose your village from the list."
        )
        for field in self.fields.values():
            field.error_messages["required"] = _("%(field)s: this field is required.") % {
                "field": field.label
            }

    def skill_list(self) -> list[str]:
        raw = self.cleaned_data.get("skills") or ""
        for sep in "，、;；":
            raw = raw.replace(sep, ",")
        return [s.strip() for s in raw.split(",") if s.strip()]


class RejectForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Why (the worker sees this)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
