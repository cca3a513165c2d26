"""The call list pages: the list by village (for phones), dialling (an audited reveal of the number),
recording an outcome, adding a person from their page, and the printable Excel list (masked numbers)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wengang.accounts.permissions import require_perm
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.excel import xlsx_response
from wengang.regions.selectors import region_names
from wengang.registry.consent import may_push
from wengang.registry.models import Person
from wengang.registry.selectors import person_get

from . import calls
from .call_forms import CallAddForm, CallFilterForm, CallRecordForm
from .choices import Channel, MessageState
from .models import Campaign, Message

MAX_ROWS = 500  # one list page; the export has every row


def _errors(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(getattr(exc, "messages", [str(exc)]))


def _form_and_filters(request: HttpRequest) -> tuple[CallFilterForm, calls.CallFilters, QuerySet[Message]]:
    user: Any = request.user
    queued = calls.call_list(user=user)
    codes = set(queued.values_list("area_code", flat=True).distinct())
    townships = {c[:9] for c in codes if len(c) >= 9}
    names = region_names(codes | townships)
    areas = [(c, f"{names.get(c, c)}") for c in sorted(townships)]
    areas += [(c, f"{names.get(c[:9], '')} {names.get(c, c)}".strip()) for c in sorted(codes)]
    campaign_ids = set(queued.exclude(campaign=None).values_list("campaign_id", flat=True).distinct())
    campaigns = [(c.pk, c.name) for c in Campaign.objects.filter(pk__in=campaign_ids).order_by("-created_at")]
    form = CallFilterForm(request.GET or None, areas=areas, campaigns=campaigns)
    filters = calls.CallFilters()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = calls.CallFilters(area=d["area"] or "", q=d["q"] or "", campaign=d["campaign"])
    return form, filters, calls.call_list(user=user, filters=filters)


@require_perm("outreach.calls")
def call_list_view(request: HttpRequest) -> HttpResponse:
    form, filters, qs = _form_and_filters(request)
    total = qs.count()
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type=calls.OBJECT_TYPE,
        request=request,
        changes={"list": "calls", "count": total, "filters": {k: v for k, v in vars(filters).items() if v}},
    )
    return render(
        request,
        "outreach/call_list.html",
        {
            "form": form,
            "groups": calls.call_groups(qs[:MAX_ROWS]),
            "total": total,
            "truncated": total > MAX_ROWS,
            "record_form": CallRecordForm(),
            "params": request.GET.urlencode(),
        },
    )


def _call(request: HttpRequest, pk: int) -> Message:
    try:
        return calls.call_get(user=request.user, pk=pk)
    except Message.DoesNotExist as exc:
        raise Http404 from exc


@require_perm("outreach.calls")
@require_POST
def call_dial_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal the number after an explicit click (audited as an unmask), with the outcome form below."""
    message = _call(request, pk)
    try:
        number = calls.call_dial(actor=request.user, message=message, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
        return redirect("outreach:call_list")
    row = calls.call_groups([message])[0].rows[0]
    return render(
        request,
        "outreach/call_dial.html",
        {"row": row, "number": number, "record_form": CallRecordForm()},
    )


@require_perm("outreach.calls")
@require_POST
def call_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    message = _call(request, pk)
    form = CallRecordForm(request.POST)
    withdrawn = message.person is not None and not may_push(message.person, Channel.PHONE)
    if not withdrawn and not form.is_valid():
        for errs in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errs))
        return redirect("outreach:call_list")
    d = form.cleaned_data if form.is_valid() else {}
    try:
        result = calls.call_record(
            actor=request.user,
            message=message,
            outcome=d.get("outcome", ""),
            note=d.get("note", ""),
            guidance_given=bool(d.get("guidance_given")),
            request=request,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
        return redirect("outreach:call_list")
    name = message.person.name if message.person else ""
    if result.message.state == MessageState.SKIPPED:
        messages.warning(
            request, _("%(name)s no longer accepts phone calls; removed from the list.") % {"name": name}
        )
    else:
        messages.success(
            request,
            _("Call to %(name)s recorded: %(outcome)s.")
            % {"name": name, "outcome": result.message.get_call_outcome_display()},
        )
    if result.referrals:
        messages.success(request, _("Referred to %(n)s posting(s).") % {"n": len(result.referrals)})
    if result.records:
        messages.success(request, _("%(n)s 131 service record(s) added.") % {"n": len(result.records)})
    for reason in result.skipped:
        messages.warning(request, reason)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("outreach:call_list")


@require_perm("outreach.calls")
@require_POST
def call_add_view(request: HttpRequest, person_pk: int) -> HttpResponse:
    """Add a person to the call list from their page."""
    try:
        person = person_get(user=request.user, pk=person_pk)
    except Person.DoesNotExist as exc:
        raise Http404 from exc
    form = CallAddForm(request.POST)
    if not form.is_valid():
        for errs in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errs))
        return redirect("registry:person_detail", pk=person.pk)
    d = form.cleaned_data
    try:
        message = calls.call_add(
            actor=request.user,
            person=person,
            reason=d["reason"],
            postings=d["postings"],
            note=d["note"],
            request=request,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
    else:
        if message.state == MessageState.SKIPPED:
            messages.warning(
                request,
                _("%(name)s does not accept phone calls; not put on the call list.") % {"name": person.name},
            )
        else:
            messages.success(request, _("%(name)s is on the call list.") % {"name": person.name})
    return redirect("registry:person_detail", pk=person.pk)


@require_perm("outreach.calls")
def call_export_view(request: HttpRequest) -> HttpResponse:
    """The filtered list as Excel for staff who print it: masked phones only."""
    user: Any = request.user
    _form, filters, qs = _form_and_filters(request)
    headers = [_("Village"), _("Name"), _("Mobile phone"), _("Why call"), _("Postings to mention")]
    headers += [_("Campaign"), _("Added on"), _("Attempts"), _("Outcome"), _("Note")]
    rows: list[list[Any]] = []
    for group in calls.call_groups(qs.iterator(chunk_size=2000)):
        for row in group.rows:
            m = row.message
            person = m.person
            rows.append(
                [
                    group.name,
                    person.name if person else "",
                    (person.phone_masked if person else "") if row.may_call else _("No longer accepts calls"),
                    m.body,
                    "；".join(f"{p.title}（{p.enterprise}，{p.pay}，{p.place}）" for p in row.postings),
                    m.campaign.name if m.campaign else "",
                    timezone.localtime(m.created_at).date(),
                    m.attempts,
                    "",
                    "",
                ]
            )
    audit_record(
        action=Action.EXPORT,
        actor=user,
        object_type=calls.OBJECT_TYPE,
        request=request,
        changes={"list": "calls", "rows": len(rows), "masked": True},
    )
    return xlsx_response(filename=_("call-list.xlsx"), sheet=_("Call list"), headers=headers, rows=rows)


urlpatterns: list[URLPattern] = [
    path("calls/", call_list_view, name="call_list"),
    path("calls/export/", call_export_view, name="call_export"),
    path("calls/<int:pk>/dial/", call_dial_view, name="call_dial"),
    path("calls/<int:pk>/record/", call_record_view, name="call_record"),
    path("calls/add/<int:person_pk>/", call_add_view, name="call_add"),
]
