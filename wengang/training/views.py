"""Training pages: the programme list, a programme with its enrolments, and the enrolments export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from wengang.accounts.permissions import require_perm
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.excel import xlsx_response
from wengang.core.forms import add_service_errors
from wengang.employers.selectors import enterprise_queryset
from wengang.jobs.models import Occupation
from wengang.regions.selectors import region_names
from wengang.registry.selectors import person_list

from .choices import EnrolmentStatus, SubsidyState
from .forms import EnrolForm, EnrolmentForm, PersonSearchForm, ProgrammeFilterForm, ProgrammeForm, SubsidyForm
from .models import Enrolment, Programme
from .selectors import (
    ProgrammeFilters,
    enrolment_get,
    enrolment_queryset,
    person_candidates,
    places_taken,
    programme_editable,
    programme_get,
    programme_list,
)
from .services import (
    PROGRAMME_FIELDS,
    enrol,
    enrolment_record,
    programme_create,
    programme_update,
    subsidy_transition,
)


def _filters(request: HttpRequest) -> tuple[ProgrammeFilterForm, ProgrammeFilters]:
    form = ProgrammeFilterForm(request.GET or None)
    data: dict[str, Any] = {}
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v}
    return form, ProgrammeFilters(**data)


def _can_edit(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.can("training.edit"))


@require_perm("training.view")
def programme_list_view(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    page = Paginator(programme_list(user=request.user, filters=filters), 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="training.programme",
        request=request,
        changes={
            "list": True,
            "page": page.number,
            "filters": {k: v for k, v in filters.__dict__.items() if v},
        },
    )
    return render(
        request,
        "training/programme_list.html",
        {
            "form": form,
            "page": page,
            "params": params.urlencode(),
            "area_names": region_names({p.area_code for p in page}),
            "can_edit": _can_edit(request),
        },
    )


def _programme(request: HttpRequest, pk: int) -> Programme:
    try:
        return programme_get(user=request.user, pk=pk)
    except Programme.DoesNotExist as exc:
        raise Http404 from exc


def _enterprise_choices(request: HttpRequest) -> list[tuple[int, str]]:
    return list(enterprise_queryset(request.user).order_by("name").values_list("pk", "name")[:2000])


def _programme_values(request: HttpRequest, form: ProgrammeForm) -> dict[str, Any]:
    """The form's values with the occupation and (scoped) enterprise rows in place of their keys."""
    data = dict(form.cleaned_data)
    data["occupation"] = (
        Occupation.objects.filter(pk=data["occupation"]).first() if data["occupation"] else None
    )
    enterprise_id = data.pop("enterprise")
    data["enterprise"] = (
        enterprise_queryset(request.user).filter(pk=enterprise_id).first() if enterprise_id else None
    )
    return data


@require_perm("training.edit")
@require_http_methods(["GET", "POST"])
def programme_create_view(request: HttpRequest) -> HttpResponse:
    form = ProgrammeForm(request.POST or None, enterprises=_enterprise_choices(request))
    if request.method == "POST" and form.is_valid():
        try:
            programme = programme_create(
                actor=request.user, request=request, **_programme_values(request, form)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Programme saved."))
            return redirect("training:programme_detail", pk=programme.pk)
    return render(request, "training/programme_form.html", {"form": form, "programme": None})


@require_perm("training.edit")
@require_http_methods(["GET", "POST"])
def programme_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    if not programme_editable(request.user, programme):
        raise PermissionDenied
    initial = {name: getattr(programme, name) for name in PROGRAMME_FIELDS}
    initial["occupation"] = programme.occupation_id or ""
    initial["enterprise"] = programme.enterprise_id or ""
    form = ProgrammeForm(request.POST or None, initial=initial, enterprises=_enterprise_choices(request))
    if request.method == "POST" and form.is_valid():
        try:
            programme_update(
                actor=request.user, programme=programme, request=request, **_programme_values(request, form)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Programme saved."))
            return redirect("training:programme_detail", pk=programme.pk)
    return render(request, "training/programme_form.html", {"form": form, "programme": programme})


def _detail(request: HttpRequest, programme: Programme, **extra: Any) -> HttpResponse:
    enrolments = list(
        enrolment_queryset(request.user).filter(programme=programme).order_by("person__name", "id")
    )
    taken = places_taken(programme)
    search = PersonSearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    candidates = list(person_candidates(user=request.user, q=query)[:20]) if query else []
    user: Any = request.user
    forms_by_id = extra.pop("forms_by_id", {})
    rows = [
        {
            "enrolment": e,
            "form": forms_by_id.get(("record", e.pk))
            or EnrolmentForm(
                initial={
                    "status": e.status,
                    "attendance_days": e.attendance_days,
                    "completed_on": e.completed_on,
                    "certificate": e.certificate,
                },
                prefix=f"e{e.pk}",
            ),
            "subsidy_form": forms_by_id.get(("subsidy", e.pk)) or SubsidyForm(prefix=f"s{e.pk}"),
        }
        for e in enrolments
    ]
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type="training.programme",
        object_id=programme.pk,
        request=request,
        changes={"enrolments_shown": len(enrolments), "search": bool(query)},
    )
    context = {
        "programme": programme,
        "rows": rows,
        "taken": taken,
        "free": max(programme.places - taken, 0),
        "hidden": max(programme.enrolments.count() - len(enrolments), 0),
        "area_name": region_names({programme.area_code}).get(programme.area_code, ""),
        "search": search,
        "query": query,
        "candidates": candidates,
        "enrolled_ids": {e.person_id for e in enrolments if e.status != EnrolmentStatus.DROPPED},
        "can_edit": user.can("training.edit"),
        "can_edit_programme": programme_editable(user, programme),
        "enrol_form": extra.pop("enrol_form", None) or EnrolForm(),
        **extra,
    }
    return render(request, "training/programme_detail.html", context)


@require_perm("training.view")
def programme_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _programme(request, pk))


@require_perm("training.edit")
@require_POST
def enrol_view(request: HttpRequest, pk: int) -> HttpResponse:
    programme = _programme(request, pk)
    form = EnrolForm(request.POST)
    if form.is_valid():
        person = person_list(user=request.user).filter(pk=form.cleaned_data["person"]).first()
        if person is None:
            raise Http404
        try:
            enrol(
                actor=request.user,
                programme=programme,
                person=person,
                enrolled_on=form.cleaned_data["enrolled_on"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is enrolled.") % {"name": person.name})
            return redirect("training:programme_detail", pk=programme.pk)
    else:
        form.add_error(None, _("Choose a person to enrol from the search results."))
    return _detail(request, programme, enrol_form=form)


def _enrolment(request: HttpRequest, pk: int) -> Enrolment:
    try:
        return enrolment_get(user=request.user, pk=pk)
    except Enrolment.DoesNotExist as exc:
        raise Http404 from exc


@require_perm("training.edit")
@require_POST
def enrolment_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment(request, pk)
    form = EnrolmentForm(request.POST, prefix=f"e{enrolment.pk}")
    if form.is_valid():
        try:
            enrolment_record(actor=request.user, enrolment=enrolment, request=request, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved for %(name)s.") % {"name": enrolment.person.name})
            return redirect("training:programme_detail", pk=enrolment.programme_id)
    return _detail(request, enrolment.programme, forms_by_id={("record", enrolment.pk): form})


@require_perm("training.edit")
@require_POST
def subsidy_view(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment(request, pk)
    form = SubsidyForm(request.POST, prefix=f"s{enrolment.pk}")
    if form.is_valid():
        try:
            subsidy_transition(
                actor=request.user,
                enrolment=enrolment,
                state=form.cleaned_data["state"],
                amount=form.cleaned_data["amount"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Subsidy updated for %(name)s.") % {"name": enrolment.person.name})
            return redirect("training:programme_detail", pk=enrolment.programme_id)
    return _detail(request, enrolment.programme, forms_by_id={("subsidy", enrolment.pk): form})


@require_perm("training.view")
def enrolment_export_view(request: HttpRequest) -> HttpResponse:
    """Enrolments with their subsidy states, for the programmes and people the user sees."""
    _form, filters = _filters(request)
    programmes = programme_list(user=request.user, filters=filters).values("pk")
    qs = enrolment_queryset(request.user).filter(programme__in=programmes)
    programme_id = request.GET.get("programme", "")
    if programme_id.isdigit():
        qs = qs.filter(programme_id=int(programme_id))
    subsidy = request.GET.get("subsidy", "")
    if subsidy in SubsidyState.values:
        qs = qs.filter(subsidy_state=subsidy)
    qs = qs.select_related("programme__occupation", "programme__enterprise").order_by("programme_id", "id")[
        :50000
    ]
    audit_record(
        action=Action.EXPORT,
        actor=request.user,
        object_type="training.enrolment",
        request=request,
        changes={
            "filters": {k: v for k, v in filters.__dict__.items() if v},
            "programme": programme_id,
            "subsidy": subsidy,
        },
    )
    headers = [
        _("Programme"),
        _("Training provider"),
        _("Occupation"),
        _("On-the-job training"),
        _("Enterprise"),
        _("Start date"),
        _("End date"),
        pgettext("person", "Name"),
        _("ID number"),
        _("Village"),
        _("Enrolled on"),
        _("Status"),
        _("Days attended"),
        _("Completed on"),
        _("Certificate obtained"),
        _("Subsidy per person (yuan)"),
        _("Subsidy"),
        _("Subsidy amount (yuan)"),
    ]
    rows = (
        [
            e.programme.name,
            e.programme.provider,
            e.programme.occupation.name if e.programme.occupation else "",
            _("Yes") if e.programme.is_on_the_job else "",
            e.programme.enterprise.name if e.programme.enterprise else "",
            e.programme.start_date,
            e.programme.end_date,
            e.person.name,
            e.person.id_masked,
            e.person.village_code,
            e.enrolled_on,
            e.get_status_display(),
            e.attendance_days,
            e.completed_on,
            e.certificate,
            e.programme.subsidy_per_person,
            e.get_subsidy_state_display(),
            e.subsidy_amount,
        ]
        for e in qs
    )
    return xlsx_response(
        filename=_("training-enrolments.xlsx"), sheet=_("Enrolments"), headers=headers, rows=rows
    )
