"""Campaign pages: the campaign list, creating one, its page (counts, progress, approval, a masked sample
and the Excel export of its messages), segments with their preview, and templates with a live SMS count.
Every page reads through the scoped selectors; another area's campaign, segment or template is 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wengang.accounts.permissions import require_perm
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.excel import xlsx_response
from wengang.core.masking import redact_text

from . import sms
from .campaign_forms import CampaignFilterForm, CampaignForm, SegmentForm, TemplateForm
from .campaigns import (
    OPEN_STATUSES,
    campaign_approve,
    campaign_cancel,
    campaign_counts,
    campaign_create,
    campaign_get,
    campaign_list,
    campaign_refresh,
    campaign_submit,
    template_get,
    template_list,
    template_save,
)
from .choices import CampaignStatus, Channel, MessageState
from .models import Campaign, Message, Segment, Template
from .rendering import VARIABLES, mask_name, template_check
from .segments import PERSON_CHANNELS, segment_get, segment_list, segment_preview, segment_save

PAGE_SIZE = 50
SAMPLE_MESSAGES = 20


def _apply_errors(form: Any, exc: ValidationError | PermissionDenied) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc.messages)
    else:
        form.add_error(None, str(exc) or _("Your roles do not allow this."))


def _view_audit(request: HttpRequest, object_type: str, object_id: Any = "", **changes: Any) -> None:
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type=object_type,
        object_id=object_id,
        request=request,
        changes=changes or None,
    )


# --- Campaigns


@require_perm("outreach.view")
def campaign_list_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = CampaignFilterForm(request.GET or None)
    qs = campaign_list(user=user)
    if form.is_valid():
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["q"].strip():
            q = form.cleaned_data["q"].strip()
            qs = qs.filter(
                Q(name__icontains=q) | Q(segment__name__icontains=q) | Q(template__name__icontains=q)
            )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    _view_audit(request, "outreach.campaign", list=True, page=page.number)
    return render(
        request,
        "outreach/campaign_list.html",
        {"form": form, "page": page, "params": params.urlencode(), "can_send": user.can("outreach.send")},
    )


def _campaign_form(request: HttpRequest, data: Any = None) -> CampaignForm:
    user: Any = request.user
    segments = [(s.pk, s.name) for s in segment_list(user=user).order_by("name")]
    templates = [(t.pk, t.name) for t in template_list(user=user).order_by("name")]
    initial = {k: request.GET.get(k) for k in ("segment", "template") if request.GET.get(k)}
    return CampaignForm(data, segments=segments, templates=templates, initial=initial)


@require_perm("outreach.send")
@require_http_methods(["GET", "POST"])
def campaign_create_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = _campaign_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            campaign = campaign_create(
                actor=user,
                name=d["name"],
                segment=segment_get(user=user, pk=d["segment"]),
                template=template_get(user=user, pk=d["template"]),
                channels=form.channels(),
                urgent=d["urgent"],
                scheduled_at=d["scheduled_at"],
                request=request,
            )
        except (Segment.DoesNotExist, Template.DoesNotExist):
            form.add_error(None, _("The audience or the template is outside your area."))
        except (ValidationError, PermissionDenied) as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The campaign is saved as a draft; check it and submit it."))
            return redirect("outreach:campaign_detail", pk=campaign.pk)
    return render(request, "outreach/campaign_form.html", {"form": form})


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    try:
        return campaign_get(user=request.user, pk=pk)
    except Campaign.DoesNotExist as exc:
        raise Http404 from exc


def masked_body(message: Message) -> str:
    """The text with the person's name masked and any mobile or ID number in it masked."""
    body = message.body
    name = message.person.name if message.person_id and message.person else ""
    if name:
        body = body.replace(name, mask_name(name))
    return redact_text(body)


def _counts_table(campaign: Campaign) -> dict[str, Any]:
    counts = campaign_counts(campaign)
    channels = [c for c in PERSON_CHANNELS if any(c in row for row in counts.values())]
    states = [s for s in MessageState.values if s in counts]
    rows = [
        {
            "state": s,
            "label": MessageState(s).label,
            "cells": [counts[s].get(c, 0) for c in channels],
            "total": sum(counts[s].values()),
        }
        for s in states
    ]
    totals = [sum(counts[s].get(c, 0) for s in states) for c in channels]
    chart = [{"state": str(MessageState(s).label), "count": sum(counts[s].values())} for s in states]
    return {
        "count_channels": [Channel(c).label for c in channels],
        "count_rows": rows,
        "count_totals": totals,
        "count_total": sum(totals),
        "chart": chart,
    }


@require_perm("outreach.view")
def campaign_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    campaign = campaign_refresh(_campaign(request, pk))
    sample = list(
        Message.objects.filter(campaign=campaign).select_related("person").order_by("id")[:SAMPLE_MESSAGES]
    )
    context: dict[str, Any] = {
        "campaign": campaign,
        "channels": [Channel(c).label for c in campaign.channels or []],
        "sample": [(m, mask_name(m.person.name) if m.person else "", masked_body(m)) for m in sample],
        "can_submit": user.can("outreach.send") and campaign.status == CampaignStatus.DRAFT,
        "can_approve": user.can("outreach.approve")
        and campaign.status == CampaignStatus.AWAITING_APPROVAL
        and campaign.created_by_id != user.pk,
        "awaiting_other": campaign.status == CampaignStatus.AWAITING_APPROVAL
        and campaign.created_by_id == user.pk,
        "can_cancel": user.can("outreach.send") and campaign.status in OPEN_STATUSES,
        "task": campaign.task,
        "segments_worst": _worst(campaign.template),
    }
    context.update(_counts_table(campaign))
    _view_audit(request, "outreach.campaign", campaign.pk)
    return render(request, "outreach/campaign_detail.html", context)


@require_perm("outreach.view")
def campaign_progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The queuing progress fragment htmx polls every second until the task ends."""
    campaign = _campaign(request, pk)
    if campaign.task is None:
        raise Http404
    return render(
        request, "outreach/campaign_progress_part.html", {"campaign": campaign, "task": campaign.task}
    )


def _worst(template: Template) -> int | None:
    try:
        return template_check(template.body, essential=template.essential)
    except ValidationError:
        return None


def _campaign_action(request: HttpRequest, pk: int, action: Any, done: str) -> HttpResponse:
    campaign = _campaign(request, pk)
    try:
        action(actor=request.user, campaign=campaign, request=request)
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text or _("Your roles do not allow this."))
    else:
        messages.success(request, done)
    return redirect("outreach:campaign_detail", pk=campaign.pk)


@require_perm("outreach.send")
@require_POST
def campaign_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_action(request, pk, campaign_submit, _("The campaign is submitted."))


@require_perm("outreach.approve")
@require_POST
def campaign_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_action(request, pk, campaign_approve, _("The campaign is approved."))


@require_perm("outreach.send")
@require_POST
def campaign_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_action(request, pk, campaign_cancel, _("The campaign is cancelled."))


@require_perm("outreach.view")
def campaign_export_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's messages as Excel: names and numbers masked."""
    campaign = _campaign(request, pk)
    headers = [_("Name"), _("Village code"), _("Channel"), _("State"), _("SMS segments"), _("Text")]
    headers += [_("Queued at"), _("Sent at"), _("Delivered at"), _("Last error")]
    rows: list[list[Any]] = []
    local = timezone.localtime
    m: Any
    for m in Message.objects.filter(campaign=campaign).select_related("person").order_by("id").iterator(2000):
        rows.append(
            [
                mask_name(m.person.name) if m.person else "",
                m.area_code,
                m.get_channel_display(),
                m.get_state_display(),
                m.segments,
                masked_body(m),
                local(m.created_at).replace(tzinfo=None),
                local(m.sent_at).replace(tzinfo=None) if m.sent_at else None,
                local(m.delivered_at).replace(tzinfo=None) if m.delivered_at else None,
                m.last_error,
            ]
        )
    audit_record(
        action=Action.EXPORT,
        actor=request.user,
        object_type="outreach.campaign",
        object_id=campaign.pk,
        request=request,
        changes={"rows": len(rows), "masked": True},
    )
    return xlsx_response(
        filename=_("campaign-%(pk)s-messages.xlsx") % {"pk": campaign.pk},
        sheet=_("Messages"),
        headers=headers,
        rows=rows,
    )


# --- Segments


@require_perm("outreach.view")
def segment_list_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _view_audit(request, "outreach.segment", list=True)
    return render(
        request,
        "outreach/segment_list.html",
        {"segments": segment_list(user=user)[:200], "can_send": user.can("outreach.send")},
    )


def _segment_page(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    user: Any = request.user
    templates = list(template_list(user=user).order_by("name")[:100])
    template_id = request.POST.get("preview_template") or request.GET.get("template") or ""
    template = next((t for t in templates if str(t.pk) == template_id), None)
    preview = None
    if request.method == "POST":
        form = SegmentForm(request.POST)
        if form.is_valid():
            if request.POST.get("action") == "preview":
                preview = _preview(user, form.filters(), template)
            elif not user.can("outreach.send"):
                raise PermissionDenied
            else:
                try:
                    saved = segment_save(
                        actor=user,
                        name=form.cleaned_data["name"],
                        filters=form.filters(),
                        segment=segment,
                        request=request,
                    )
                except (ValidationError, PermissionDenied) as exc:
                    _apply_errors(form, exc)
                else:
                    messages.success(request, _("The segment is saved."))
                    return redirect("outreach:segment_edit", pk=saved.pk)
    else:
        form = SegmentForm(initial=SegmentForm.initial_of(segment) if segment else None)
        if segment is not None:
            preview = _preview(user, segment.filters or {}, template)
    return render(
        request,
        "outreach/segment_form.html",
        {
            "form": form,
            "segment": segment,
            "preview": preview,
            "templates": templates,
            "template_id": template_id,
            "channel_labels": {c: Channel(c).label for c in PERSON_CHANNELS},
            "can_send": user.can("outreach.send"),
        },
    )


def _preview(user: Any, filters: dict[str, Any], template: Template | None) -> Any:
    from .segments import filters_clean

    try:
        cleaned = filters_clean(filters)
    except ValidationError:
        return None
    return segment_preview(
        user=user,
        filters=cleaned,
        template_body=template.body if template else "",
        essential=template.essential if template else False,
    )


@require_perm("outreach.send")
@require_http_methods(["GET", "POST"])
def segment_create_view(request: HttpRequest) -> HttpResponse:
    return _segment_page(request, None)


@require_perm("outreach.view")
@require_http_methods(["GET", "POST"])
def segment_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        segment = segment_get(user=request.user, pk=pk)
    except Segment.DoesNotExist as exc:
        raise Http404 from exc
    _view_audit(request, "outreach.segment", segment.pk)
    return _segment_page(request, segment)


# --- Templates


@require_perm("outreach.view")
def template_list_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _view_audit(request, "outreach.template", list=True)
    return render(
        request,
        "outreach/template_list.html",
        {"templates": template_list(user=user)[:200], "can_send": user.can("outreach.send")},
    )


def _template_page(request: HttpRequest, template: Template | None) -> HttpResponse:
    user: Any = request.user
    if request.method == "POST":
        if not user.can("outreach.send"):
            raise PermissionDenied
        form = TemplateForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                saved = template_save(
                    actor=user,
                    name=d["name"],
                    body=d["body"],
                    essential=d["essential"],
                    wechat_template_id=d["wechat_template_id"],
                    template=template,
                    request=request,
                )
            except (ValidationError, PermissionDenied) as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The template is saved."))
                return redirect("outreach:template_edit", pk=saved.pk)
    else:
        form = TemplateForm(initial=TemplateForm.initial_of(template) if template else None)
    body = form["body"].value() or ""
    return render(
        request,
        "outreach/template_form.html",
        {
            "form": form,
            "template": template,
            "count": _count_context(str(body), bool(form["essential"].value())),
            "variables": VARIABLES,
            "can_send": user.can("outreach.send"),
        },
    )


def _count_context(body: str, essential: bool) -> dict[str, Any]:
    body = body.strip()
    if not body:
        return {"segments": 0, "worst": 0, "error": "", "limit": sms.MAX_SEGMENTS}
    try:
        worst = template_check(body, essential=essential)
        error = ""
    except ValidationError as exc:
        worst = None
        error = " ".join(exc.messages)
    return {
        "segments": sms.segment_count(sms.sms_text(body, essential=essential)),
        "worst": worst,
        "error": error,
        "limit": sms.MAX_SEGMENTS,
    }


@require_perm("outreach.send")
@require_http_methods(["GET", "POST"])
def template_create_view(request: HttpRequest) -> HttpResponse:
    return _template_page(request, None)


@require_perm("outreach.view")
@require_http_methods(["GET", "POST"])
def template_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        template = template_get(user=request.user, pk=pk)
    except Template.DoesNotExist as exc:
        raise Http404 from exc
    return _template_page(request, template)


@require_perm("outreach.send")
@require_POST
def template_count_view(request: HttpRequest) -> HttpResponse:
    """The live SMS count under the text box (htmx)."""
    context = _count_context(
        request.POST.get("body", ""), request.POST.get("essential") in ("on", "1", "true")
    )
    return render(request, "outreach/template_count_part.html", {"count": context})


urlpatterns: list[URLPattern] = [
    path("", campaign_list_view, name="campaign_list"),
    path("new/", campaign_create_view, name="campaign_create"),
    path("<int:pk>/", campaign_detail_view, name="campaign_detail"),
    path("<int:pk>/progress/", campaign_progress_view, name="campaign_progress"),
    path("<int:pk>/submit/", campaign_submit_view, name="campaign_submit"),
    path("<int:pk>/approve/", campaign_approve_view, name="campaign_approve"),
    path("<int:pk>/cancel/", campaign_cancel_view, name="campaign_cancel"),
    path("<int:pk>/export/", campaign_export_view, name="campaign_export"),
    path("segments/", segment_list_view, name="segment_list"),
    path("segments/new/", segment_create_view, name="segment_create"),
    path("segments/<int:pk>/", segment_edit_view, name="segment_edit"),
    path("templates/", template_list_view, name="template_list"),
    path("templates/new/", template_create_view, name="template_create"),
    path("templates/<int:pk>/", template_edit_view, name="template_edit"),
    path("templates/count/", template_count_view, name="template_count"),
]
