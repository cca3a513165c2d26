"""Staff pages: the township specialist's queue of self-registrations from the worker pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wengang.accounts.models import User
from wengang.accounts.permissions import require_perm
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.regions.selectors import region_names
from wengang.registry.choices import Intent

from . import registration_services as reg
from .auth_forms import RejectForm
from .models import Registration, RequestStatus


def _get(request: HttpRequest, pk: int) -> Registration:
    try:
        return reg.registration_get(user=request.user, pk=pk)
    except Registration.DoesNotExist:
        raise Http404 from None


@require_perm("registry.edit")
@require_GET
def registration_list_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", RequestStatus.PENDING)
    if status not in RequestStatus.values:
        status = RequestStatus.PENDING
    qs = reg.registration_list(user=request.user, status=status)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="workers.registration",
        changes={"list": True, "status": status, "count": page.paginator.count},
        request=request,
    )
    return render(
        request,
        "workers/review_registration_list.html",
        {
            "page": page,
            "status": status,
            "statuses": RequestStatus.choices,
            "villages": region_names(r.village_code for r in page.object_list),
        },
    )


@require_perm("registry.edit")
@require_GET
def registration_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    registration = _get(request, pk)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="workers.registration",
        object_id=registration.pk,
        request=request,
    )
    return _detail(request, registration, RejectForm())


def _detail(
    request: HttpRequest, registration: Registration, form: RejectForm, status: int = 200
) -> HttpResponse:
    details = registration.details or {}
    names = region_names([registration.village_code])
    return render(
        request,
        "workers/review_registration_detail.html",
        {
            "r": registration,
            "form": form,
            "village": names.get(registration.village_code, registration.village_code),
            "skills": details.get("skills") or [],
            "intent": dict(Intent.choices).get(details.get("intent") or "", ""),
        },
        status=status,
    )


@require_perm("registry.edit")
@require_POST
def registration_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    registration = _get(request, pk)
    actor: User = request.user  # type: ignore[assignment]
    try:
        person = reg.registration_accept(actor=actor, registration=registration, request=request)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("workers:registration_detail", pk=registration.pk)
    messages.success(request, _("Accepted: %(name)s is now in the registry.") % {"name": person.name})
    return redirect("workers:registration_list")


@require_perm("registry.edit")
@require_POST
def registration_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    registration = _get(request, pk)
    actor: User = request.user  # type: ignore[assignment]
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            reg.registration_reject(
                actor=actor, registration=registration, note=form.cleaned_data["note"], request=request
            )
        except ValidationError as exc:
            for text in exc.messages:
                form.add_error(None, text)
        else:
            messages.success(request, _("Rejected; the worker sees your note."))
            return redirect("workers:registration_list")
    return _detail(request, registration, form, status=200)


urlpatterns: list[URLPattern] = [
    path("review/registrations/", registration_list_view, name="registration_list"),
    path("review/registrations/<int:pk>/", registration_detail_view, name="registration_detail"),
    path("review/registrations/<int:pk>/accept/", registration_accept_view, name="registration_accept"),
    path("review/registrations/<int:pk>/reject/", registration_reject_view, name="registration_reject"),
]
