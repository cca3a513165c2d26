"""Forms of the campaign pages: segments (the registry's person filters), templates, campaigns, filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wengang.registry.forms import PersonFilterForm

from .choices import CampaignStatus, Channel
from .models import Segment, Template
from .segments import FILTER_FIELDS, PERSON_CHANNELS


class SegmentForm(PersonFilterForm):
    """A name plus the registry's person filters (no free-text search) and "priority people only"."""

    name = forms.CharField(label=_("Segment name"), max_length=100)
    priority = forms.ChoiceField(
        label=_("Priority people (open 131 case)"),
        required=False,
        choices=[("", _("All")), ("1", _("Only priority people"))],
    )

    field_order = ["name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("q", None)
        self.fields.pop("updated_since", None)

    def filters(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k in FILTER_FIELDS}

    @classmethod
    def initial_of(cls, segment: Segment) -> dict[str, Any]:
        return {"name": segment.name, **(segment.filters or {})}


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Template name"), max_length=100)
    body = forms.CharField(
        label=_("Text"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Variables: {姓名} {岗位} {链接} {专员电话} {区县}"),
    )
    essential = forms.BooleanField(
        label=_("Essential service message (no opt-out line; only for notices the person must get)"),
        required=False,
    )
    wechat_template_id = forms.CharField(label=_("WeChat template id"), max_length=64, required=False)

    @classmethod
    def initial_of(cls, template: Template) -> dict[str, Any]:
        return {
            "name": template.name,
            "body": template.body,
            "essential": template.essential,
            "wechat_template_id": template.wechat_template_id,
        }


def _channel_choices(blank: Any) -> list[tuple[str, Any]]:
    return [("", blank), *((c, Channel(c).label) for c in PERSON_CHANNELS)]


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=100)
    segment = forms.TypedChoiceField(label=_("Audience"), coerce=int)
    template = forms.TypedChoiceField(label=_("Template"), coerce=int)
    channel_1 = forms.ChoiceField(label=_("First channel"), choices=_channel_choices("—"))
    channel_2 = forms.ChoiceField(label=_("Else"), required=False, choices=_channel_choices(_("None")))
    channel_3 = forms.ChoiceField(label=_("Else"), required=False, choices=_channel_choices(_("None")))
    urgent = forms.BooleanField(label=_("Urgent: may be sent in quiet hours"), required=False)
    send = forms.ChoiceField(
        label=_("When"),
        choices=[("now", _("As soon as submitted (and approved)")), ("at", _("At a set time"))],
        initial="now",
        widget=forms.RadioSelect,
    )
    scheduled_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(
        self,
        *args: Any,
        segments: list[tuple[int, str]] | None = None,
        templates: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        segment: Any = self.fields["segment"]
        segment.choices = [("", "—"), *(segments or [])]
        template: Any = self.fields["template"]
        template.choices = [("", "—"), *(templates or [])]
        if not self.is_bound:
            self.initial.setdefault("channel_1", Channel.WECHAT)
            self.initial.setdefault("channel_2", Channel.SMS)

    def channels(self) -> list[str]:
        d = self.cleaned_data
        return [c for c in (d.get("channel_1"), d.get("channel_2"), d.get("channel_3")) if c]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = [c for c in (data.get("channel_1"), data.get("channel_2"), data.get("channel_3")) if c]
        if len(chosen) != len(set(chosen)):
            self.add_error("channel_2", _("Each channel may be chosen once."))
        if data.get("send") == "at":
            when = data.get("scheduled_at")
            if when is None:
                self.add_error("scheduled_at", _("Enter the sending time."))
            elif when <= timezone.now():
                self.add_error("scheduled_at", _("The sending time is in the past."))
        else:
            data["scheduled_at"] = None
        return data


class CampaignFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *CampaignStatus.choices]
    )
