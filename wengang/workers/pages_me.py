"""“我的”: the worker's record as the bureau holds it (ID and phone masked), and what they may change
themselves: employment status and intent, skills and certificates, consent to job pushes per channel, and
a request to correct anything else (PIPL Art. 46), which goes to their township's specialist."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wengang.outreach.models import WeChatBinding
from wengang.registry.models import ConsentChannel, Person

from . import selectors, worker_services
from .auth import current_person, worker_required
from .pages_forms import CORRECTION_FIELDS, CorrectionForm, SkillsForm, StatusForm, split_items


def _person(request: HttpRequest) -> Person:
    person = current_person(request)
    if person is None:
        raise Http404
    return person


def _errors(form: forms.Form, exc: ValidationError | PermissionDenied) -> None:
    """Put a service's error on the form: on its field when it names one, else on the form."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc))
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, "；".join(error.messages))
    else:
        form.add_error(None, "；".join(exc.messages))


@require_GET
@worker_required
def me(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    channels = selectors.my_consents(person)
    latest = person.employment_events.order_by("-occurred_on", "-id").first()
    intent = person.intents.order_by("-recorded_on", "-id").first()
    field_labels = dict(CORRECTION_FIELDS)
    corrections = [
        {"row": c, "field": field_labels.get(c.field, c.field)} for c in selectors.my_corrections(person)[:20]
    ]
    return render(
        request,
        "workers/me.html",
        {
            "person": person,
            "place": selectors.my_place(person),
            "latest": latest,
            "intent": intent,
            "channels": channels,
            "corrections": corrections,
            "binding": WeChatBinding.objects.filter(person=person).first(),
            "contact": selectors.my_specialist(person),
        },
    )


@require_http_methods(["GET", "POST"])
@worker_required
def me_status(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    if request.method == "POST":
        form = StatusForm(request.POST)
        if form.is_valid():
            try:
                event = worker_services.status_update(
                    actor=request.user, person=person, change=form.change(), request=request
                )
                changed_intent = False
                if form.cleaned_data["intent"]:
                    changed_intent = worker_services.intent_update(
                        actor=request.user,
                        person=person,
                        intent=form.cleaned_data["intent"],
                        destination=form.cleaned_data["destination"],
                        request=request,
                    )
            except (ValidationError, PermissionDenied) as exc:
                _errors(form, exc)
            else:
                if event is None and not changed_intent:
                    messages.info(request, _("Nothing changed."))
                else:
                    messages.success(request, _("Thank you: your status was updated."))
                return redirect("workers:me")
    else:
        initial: dict[str, Any] = {"status": person.status, "intent": person.intent}
        latest = person.employment_events.order_by("-occurred_on", "-id").first()
        if latest is not None:
            initial.update(
                work_province=latest.work_province,
                work_city=latest.work_city,
                employer_name=latest.employer_name,
                monthly_income=latest.monthly_income,
            )
        form = StatusForm(initial=initial)
    return render(request, "workers/me_status.html", {"form": form})


@require_http_methods(["GET", "POST"])
@worker_required
def me_skills(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    if request.method == "POST":
        form = SkillsForm(request.POST)
        if form.is_valid():
            try:
                changed = worker_services.skills_update(
                    actor=request.user,
                    person=person,
                    skills=split_items(form.cleaned_data["skills"]),
                    certificates=split_items(form.cleaned_data["certificates"]),
                    request=request,
                )
            except (ValidationError, PermissionDenied) as exc:
                _errors(form, exc)
            else:
                messages.success(request, _("Saved.") if changed else _("Nothing changed."))
                return redirect("workers:me")
    else:
        form = SkillsForm(
            initial={
                "skills": "、".join(person.skills or []),
                "certificates": "、".join(person.certificates or []),
            }
        )
    return render(request, "workers/me_skills.html", {"form": form})


@require_POST
@worker_required
def me_consent(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    channel = request.POST.get("channel", "")
    granted = request.POST.get("granted") == "1"
    try:
        worker_services.consent_set(
            actor=request.user, person=person, channel=channel, granted=granted, request=request
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        label = dict(ConsentChannel.choices).get(channel, channel)
        if granted:
            messages.success(request, _("You will receive job messages by %(channel)s.") % {"channel": label})
        else:
            messages.success(
                request,
                _("Done: from now on you receive no job messages by %(channel)s.") % {"channel": label},
            )
    return redirect(f"{reverse('workers:me')}#consent")


@require_http_methods(["GET", "POST"])
@worker_required
def me_correction(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    if request.method == "POST":
        form = CorrectionForm(request.POST)
        if form.is_valid():
            try:
                worker_services.correction_request_create(
                    actor=request.user,
                    person=person,
                    field=form.cleaned_data["field"],
                    text=form.cleaned_data["text"],
                    request=request,
                )
            except (ValidationError, PermissionDenied) as exc:
                _errors(form, exc)
            else:
                messages.success(
                    request, _("Your request was sent to your township's employment service specialist.")
                )
                return redirect("workers:me")
    else:
        form = CorrectionForm(initial={"field": request.GET.get("field", "")})
    return render(request, "workers/me_correction.html", {"form": form})


urlpatterns: list[URLPattern] = [
    path("me/", me, name="me"),
    path("me/status/", me_status, name="me_status"),
    path("me/skills/", me_skills, name="me_skills"),
    path("me/consent/", me_consent, name="me_consent"),
    path("me/correction/", me_correction, name="me_correction"),
]
