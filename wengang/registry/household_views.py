"""Household pages: the household with its head, members and type history, and the forms that change them.

Every page reads through the scope selectors (an out-of-scope household or person is a 404) and every
change goes through one service in ``households``. A refused change shows the service's message on the
page; nothing is half-written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wengang.accounts.permissions import require_perm
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.forms import call_service
from wengang.regions.models import Region

from .household_forms import (
    HeadSetForm,
    HouseholdCreateForm,
    MemberAddForm,
    MemberRelationForm,
    MemberSearchForm,
    PovertySetForm,
)
from .households import (
    household_create,
    household_head_set,
    household_member_add,
    household_member_relation,
    household_member_remove,
    household_poverty_set,
)
from .models import Household, Person
from .selectors import PersonFilters, household_get, household_members, person_get, person_list


def _household(request: HttpRequest, pk: int) -> Household:
    try:
        return household_get(user=request.user, pk=pk)
    except Household.DoesNotExist as exc:
        raise Http404 from exc


def _person(request: HttpRequest, pk: Any) -> Person:
    try:
        return person_get(user=request.user, pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def _render(request: HttpRequest, household: Household, *, status: int = 200, **forms: Any) -> HttpResponse:
    members = list(household_members(user=request.user, household=household))
    search = MemberSearchForm(request.GET or None)
    candidates: list[Person] = []
    if search.is_valid() and search.cleaned_data["q"].strip():
        candidates = list(
            person_list(user=request.user, filters=PersonFilters(q=search.cleaned_data["q"])).exclude(
                household_id=household.pk
            )[:20]
        )
    village = Region.objects.filter(code=household.village_code).select_related("parent__parent").first()
    context = {
        "household": household,
        "members": members,
        "village": village,
        "history": list(household.poverty_changes.select_related("recorded_by")[:50]),
        "search": search,
        "candidates": candidates,
        "add_form": forms.get("add_form") or MemberAddForm(),
        "head_form": forms.get("head_form") or HeadSetForm(),
        "relation_form": MemberRelationForm(),
        "poverty_form": forms.get("poverty_form")
        or PovertySetForm(initial={"poverty_category": household.poverty_category}),
    }
    return render(request, "registry/household_detail.html", context, status=status)


@require_perm("registry.view")
def household_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="registry.household",
        object_id=household.pk,
        request=request,
        changes={"search": request.GET["q"]} if request.GET.get("q") else None,
    )
    return _render(request, household)


def _refused(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    messages.error(request, text or _("Your roles do not allow this."))


@require_perm("registry.edit")
@require_POST
def household_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a household for the person ``pk`` (who has none) and show it."""
    person = _person(request, pk)
    form = HouseholdCreateForm(request.POST)
    if form.is_valid():
        try:
            household = household_create(
                actor=request.user,
                person=person,
                poverty_category=form.cleaned_data["poverty_category"],
                effective_on=form.cleaned_data["effective_on"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            _refused(request, exc)
        else:
            messages.success(
                request, _("A household has been opened with %(name)s as its head.") % {"name": person.name}
            )
            return redirect("registry:household_detail", pk=household.pk)
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("registry:person_detail", pk=person.pk)


@require_perm("registry.edit")
@require_POST
def household_member_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            person = person_get(user=request.user, pk=form.cleaned_data["person"])
        except Person.DoesNotExist:
            form.add_error(None, _("No registered person with this number in your area."))
        else:
            ok, _result = call_service(
                form,
                household_member_add,
                actor=request.user,
                household=household,
                person=person,
                relation=form.cleaned_data["relation"],
                move_village=form.cleaned_data["move_village"],
                request=request,
            )
            if ok:
                messages.success(request, _("%(name)s has joined the household.") % {"name": person.name})
                return redirect("registry:household_detail", pk=household.pk)
    return _render(request, household, add_form=form)


@require_perm("registry.edit")
@require_POST
def household_member_relation_view(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    household = _household(request, pk)
    person = _person(request, person_pk)
    form = MemberRelationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the member's relation to the head."))
        return redirect("registry:household_detail", pk=household.pk)
    try:
        if household_member_relation(
            actor=request.user,
            household=household,
            person=person,
            relation=form.cleaned_data["relation"],
            request=request,
        ):
            messages.success(request, _("Saved."))
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    return redirect("registry:household_detail", pk=household.pk)


@require_perm("registry.edit")
@require_POST
def household_head_set_view(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = HeadSetForm(request.POST)
    if form.is_valid():
        person = _person(request, form.cleaned_data["person"])
        ok, _result = call_service(
            form,
            household_head_set,
            actor=request.user,
            household=household,
            person=person,
            former_head_relation=form.cleaned_data["former_head_relation"],
            request=request,
        )
        if ok:
            messages.success(request, _("%(name)s is now the household head.") % {"name": person.name})
            return redirect("registry:household_detail", pk=household.pk)
    return _render(request, household, head_form=form)


@require_perm("registry.edit")
@require_http_methods(["POST"])
def household_member_remove_view(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    household = _household(request, pk)
    person = _person(request, person_pk)
    try:
        household_member_remove(actor=request.user, household=household, person=person, request=request)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
        return redirect("registry:household_detail", pk=household.pk)
    messages.success(
        request,
        _("%(name)s has left the household and stays registered without one.") % {"name": person.name},
    )
    if Household.objects.filter(pk=household.pk).exists():
        return redirect("registry:household_detail", pk=household.pk)
    return redirect("registry:person_detail", pk=person.pk)


@require_perm("registry.edit")
@require_POST
def household_poverty_view(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = PovertySetForm(request.POST)
    if form.is_valid():
        ok, change = call_service(
            form,
            household_poverty_set,
            actor=request.user,
            household=household,
            poverty_category=form.cleaned_data["poverty_category"],
            effective_on=form.cleaned_data["effective_on"],
            note=form.cleaned_data["note"],
            request=request,
        )
        if ok:
            if change is None:
                messages.info(request, _("The household already has this type; nothing changed."))
            else:
                messages.success(request, _("The household type has been recorded."))
            return redirect("registry:household_detail", pk=household.pk)
    return _render(request, household, poverty_form=form)
