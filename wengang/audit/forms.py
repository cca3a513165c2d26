from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Action, Result


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("All"))] + list(Action.choices)
    )
    object_type = forms.CharField(label=_("Object type"), required=False)
    result = forms.ChoiceField(
        label=_("Result"), required=False, choices=[("", _("All"))] + list(Result.choices)
    )
    q = forms.CharField(label=_("Reason, object id or IP"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
