"""Registry pages: the scoped list with filters, a person's page with history, audited unmasking."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wengang.accounts.permissions import require_perm
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.forms import add_service_errors
from wengang.regions.models import Region
from wengang.regions.selectors import region_names

from .consent import consent_history, consent_record, consent_state
from .forms import ConsentForm, PersonFilterForm, PersonForm, UnmaskForm
from .household_forms import HouseholdCreateForm
from .models import ConsentChannel, Person
from .selectors import PersonFilters, person_get, person_list, person_page
from .services import EmploymentChange, person_create, person_unmask, person_update


def _filters(form: PersonFilterForm) -> PersonFilters:
    if not form.is_valid():
        return PersonFilters()
    data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    return PersonFilters(**data)


@require_perm("registry.view")
def person_list_view(request: HttpRequest) -> HttpResponse:
    form = PersonFilterForm(request.GET or None)
    filters = _filters(form)
    qs = person_list(user=request.user, filters=filters)
    page = person_page(
        qs,
        page=_int(request.GET.get("page"), 1),
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        number=_int(request.GET.get("n"), None),
    )
    params = request.GET.copy()
    for key in ("page", "after", "before", "n"):
        params.pop(key, None)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="registry.person",
        request=request,
        changes={
            "list": True,
            "page": page.number,
            "count": page.count.value,
            "filters": {k: str(v) for k, v in filters.__dict__.items() if v not in (None, "")},
        },
    )
    villages = region_names({p.village_code for p in page})
    return render(
        request,
        "registry/person_list.html",
        {
            "form": form,
            "page": page,
            "params": params.urlencode(),
            "villages": villages,
        },
    )


def _int(value: Any, default: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _person(request: HttpRequest, pk: int) -> Person:
    try:
        return person_get(user=request.user, pk=pk)
    except Person.DoesNotExist as exc:
        raise Http404 from exc


@require_perm("registry.view")
def person_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="registry.person",
        object_id=person.pk,
        request=request,
    )
    household = person.household
    members = (
        list(person_list(user=request.user).filter(household_id=household.pk).exclude(pk=person.pk))
        if household is not None
        else []
    )
    village = Region.objects.filter(code=person.village_code).select_related("parent__parent").first()
    context: dict[str, Any] = {
        "person": person,
        "members": members,
        "village": village,
        "events": person.employment_events.all()[:50],
        "intents": person.intents.all()[:20],
        "consent": [
            (value, label, state)
            for (value, label), state in zip(
                ConsentChannel.choices, consent_state(person).values(), strict=True
            )
        ],
        "consents": consent_history(person, limit=30),
        "consent_form": ConsentForm(),
        "household_form": HouseholdCreateForm(),
    }
    return render(request, "registry/person_detail.html", context)


@require_perm("registry.edit")
@require_http_methods(["POST"])
def person_consent_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Grant or withdraw consent to pushes on one channel; in force at once."""
    person = _person(request, pk)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the channel and whether consent is granted or withdrawn."))
        return redirect("registry:person_detail", pk=person.pk)
    data = form.cleaned_data
    try:
        consent_record(
            actor=request.user,
            person=person,
            channel=data["channel"],
            granted=data["granted"],
            source=data["source"],
            note=data["note"],
            request=request,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        label = ConsentChannel(data["channel"]).label
        if data["granted"]:
            messages.success(request, _("Consent to %(channel)s pushes recorded.") % {"channel": label})
        else:
            messages.success(
                request,
                _("Consent to %(channel)s pushes withdrawn; it applies at once.") % {"channel": label},
            )
    return redirect("registry:person_detail", pk=person.pk)


@require_perm("registry.unmask")
@require_http_methods(["GET", "POST"])
def person_unmask_view(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    form = UnmaskForm(request.POST or None, initial={"field": request.GET.get("field", "phone")})
    revealed = ""
    if request.method == "POST" and form.is_valid():
        try:
            revealed = person_unmask(
                actor=request.user,
                person=person,
                field=form.cleaned_data["field"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error("reason", exc.messages)
    field = form.data.get("field") if form.is_bound else form.initial["field"]
    return render(
        request,
        "registry/person_unmask.html",
        {
            "person": person,
            "form": form,
            "revealed": revealed,
            "field": field,
        },
    )


def _employment(data: dict[str, Any]) -> EmploymentChange | None:
    if not data.get("status"):
        return None
    return EmploymentChange(
        status=data["status"],
        occurred_on=data["status_date"],
        work_province=data.get("work_province", ""),
        work_city=data.get("work_city", ""),
        employer_name=data.get("employer_name", ""),
        monthly_income=data.get("monthly_income"),
    )


PROFILE_FIELDS = (
    "name",
    "village_code",
    "education",
    "health",
    "skills",
    "certificates",
    "is_three_without",
    "notes",
    "return_date",
)


@require_perm("registry.edit")
@require_http_methods(["GET", "POST"])
def person_create_view(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = person_create(
                actor=request.user,
                id_number=data["id_number"],
                phone=data["phone"],
                poverty_category=data["poverty_category"],
                employment=_employment(data),
                intent=data["intent"],
                intent_destination=data["intent_destination"],
                request=request,
                **{k: data[k] for k in PROFILE_FIELDS},
            )
        except ValidationError as exc:
            add_service_errors(form, exc, fallback="id_number")
        except PermissionDenied as exc:
            form.add_error("village_code", str(exc))
        else:
            messages.success(request, _("%(name)s has been registered.") % {"name": person.name})
            return redirect("registry:person_detail", pk=person.pk)
    return render(request, "registry/person_form.html", {"form": form, "person": None})


@require_perm("registry.edit")
@require_http_methods(["GET", "POST"])
def person_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    initial = {k: getattr(person, k) for k in PROFILE_FIELDS}
    initial["skills"] = "、".join(person.skills)
    initial["certificates"] = "、".join(person.certificates)
    initial["phone"] = ""
    form = PersonForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = person_update(
                actor=request.user,
                person=person,
                phone=data["phone"] or None,
                employment=_employment(data),
                intent=data["intent"],
                intent_destination=data["intent_destination"],
                request=request,
                **{k: data[k] for k in PROFILE_FIELDS},
            )
        except ValidationError as exc:
            add_service_errors(form, exc, fallback="id_number")
        except PermissionDenied as exc:
            form.add_error("village_code", str(exc))
        else:
            if changed:
                messages.success(request, _("Saved."))
            return redirect("registry:person_detail", pk=person.pk)
    return render(request, "registry/person_form.html", {"form": form, "person": person})


@require_perm("registry.view")
@require_http_methods(["GET", "POST"])
def person_export_view(request: HttpRequest) -> HttpResponse:
    """GET: the filtered list, masked. POST with a reason: with full numbers (needs the unmask permission)."""
    from wengang.core.excel import XLSX

    from .exports import export_start

    params = {k: str(v) for k, v in request.GET.items() if k != "page"}
    unmasked = request.method == "POST"
    try:
        data, task, _count = export_start(
            user=request.user,
            params=params,
            unmasked=unmasked,
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{reverse('registry:person_list')}?{request.GET.urlencode()}")
    if task is not None:
        messages.success(
            request, _("The export is being prepared in the background; download it here when done.")
        )
        return redirect("background:task_detail", pk=task.pk)
    from urllib.parse import quote

    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(_('labour-registry.xlsx'))}"
    return response


@require_perm("registry.view")
def export_download_view(request: HttpRequest, task_id: str) -> HttpResponse:
    from urllib.parse import quote

    from wengang.background.models import BackgroundTask
    from wengang.core.excel import XLSX

    from .exports import export_download

    try:
        task = BackgroundTask.objects.get(pk=task_id, created_by_id=request.user.pk)
        data = export_download(user=request.user, task=task, request=request)
    except (BackgroundTask.DoesNotExist, PermissionDenied, FileNotFoundError) as exc:
        raise Http404 from exc
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(_('labour-registry.xlsx'))}"
    return response
