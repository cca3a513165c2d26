from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wengang.employers.models import Enterprise

from .roles import Role, grantable_by


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TotpForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=50)
    phone = forms.RegexField(
        label=_("Mobile phone"),
        regex=r"^1[3-9]\d{9}$",
        required=False,
        error_messages={"invalid": _("Enter an 11-digit mainland mobile number.")},
    )
    roles = forms.MultipleChoiceField(label=_("Roles"), widget=forms.CheckboxSelectMultiple)
    scope_code = forms.CharField(label=_("Scope (area code)"), max_length=12)
    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"), queryset=Enterprise.objects.none(), required=False
    )
    password = forms.CharField(label=_("Initial password"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, actor: Any, enterprises: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = grantable_by(actor.roles)
        roles_field = self.fields["roles"]
        enterprise_field = self.fields["enterprise"]
        assert isinstance(roles_field, forms.MultipleChoiceField)
        assert isinstance(enterprise_field, forms.ModelChoiceField)
        roles_field.choices = [(r.value, r.label) for r in Role if r.value in allowed]
        enterprise_field.queryset = enterprises
        self.fields["scope_code"].initial = actor.scope_code


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.TextInput(attrs={"autofocus": True})
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("The two new passwords differ."))
        return data
