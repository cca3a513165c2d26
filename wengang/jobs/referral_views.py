"""Referral pages: the staff list and the employer's candidate list, a referral's pipeline, starting a
referral from a person or from a posting, and the Excel export. Every page writes an audit event."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wengang.accounts.permissions import require_perm
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.excel import xlsx_response
from wengang.employers.selectors import is_employer_only
from wengang.regions.models import Region
from wengang.regions.selectors import region_names
from wengang.registry.models import Person
from wengang.registry.selectors import PersonFilters, person_list

from .choices import ReferralState
from .models import Posting, Referral
from .referral_forms import (
    PersonSearchForm,
    PostingSearchForm,
    ReferralCreateForm,
    ReferralFilterForm,
    TransitionForm,
)
from .referrals import (
    NEEDS_REASON,
    OBJECT_TYPE,
    ReferralFilters,
    age_on,
    allowed_next,
    referral_create,
    referral_list,
    referral_transition,
    state_counts,
)
from .selectors import posting_queryset, published_postings, referral_queryset

PAGE_SIZE = 50


def _filter_form(request: HttpRequest) -> ReferralFilterForm:
    postings = None
    if is_employer_only(request.user):
        postings = list(posting_queryset(request.user).order_by("title", "id").values_list("pk", "title"))
    return ReferralFilterForm(request.GET or None, postings=postings)


def _filters(form: ReferralFilterForm) -> ReferralFilters:
    if not form.is_bound or not form.is_valid():
        return ReferralFilters()
    data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    return ReferralFilters(**data)


def _described(filters: ReferralFilters) -> dict[str, str]:
    return {k: str(v) for k, v in filters.__dict__.items() if v not in (None, "")}


def _with_ages(referrals: Any) -> None:
    today = timezone.localdate()
    for r in referrals:
        r.person_age = age_on(r.person.birth_date, today)


def _ages(people: Any) -> None:
    today = timezone.localdate()
    for p in people:
        p.person_age = age_on(p.birth_date, today)


@require_perm("referrals.view")
def referral_list_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    employer = is_employer_only(user)
    form = _filter_form(request)
    filters = _filters(form)
    qs = referral_list(user=user, filters=filters)
    counts = state_counts(
        referral_list(user=user, filters=ReferralFilters(**{**filters.__dict__, "state": ""}))
    )
    if employer:
        qs = qs.order_by("posting__title", "posting_id", "-updated_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _with_ages(page)
    params = request.GET.copy()
    params.pop("page", None)
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type=OBJECT_TYPE,
        request=request,
        changes={
            "list": True,
            "page": page.number,
            "count": page.paginator.count,
            "filters": _described(filters),
        },
    )
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "params": params.urlencode(),
        "counts": counts,
        "export_params": params.urlencode(),
    }
    if employer:
        return render(request, "jobs/referral_list_employer.html", context)
    context["villages"] = region_names({r.person.village_code for r in page})
    context["can_create"] = user.can("referrals.create")
    return render(request, "jobs/referral_list.html", context)


def _referral(request: HttpRequest, pk: int) -> Referral:
    try:
        return referral_queryset(request.user).select_related("posting__occupation").get(pk=pk)
    except Referral.DoesNotExist as exc:
        raise Http404 from exc


def _detail(request: HttpRequest, referral: Referral, failed: TransitionForm | None = None) -> HttpResponse:
    user: Any = request.user
    _with_ages([referral])
    steps = []
    for state in allowed_next(user, referral):
        bound = failed if failed is not None and failed.data.get("to") == state else None
        steps.append(
            {
                "state": state,
                "label": ReferralState(state).label,
                "needs_reason": state in NEEDS_REASON,
                "is_hire": state == ReferralState.HIRED,
                "form": bound or TransitionForm(initial={"to": state}),
                "open": bound is not None,
            }
        )
    village = None
    if not is_employer_only(user):
        village = Region.objects.filter(code=referral.person.village_code).select_related("parent").first()
    context = {
        "referral": referral,
        "events": referral.events.select_related("actor"),
        "steps": steps,
        "failed": failed,
        "employer": is_employer_only(user),
        "village": village,
    }
    return render(request, "jobs/referral_detail.html", context)


@require_perm("referrals.view")
def referral_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _referral(request, pk)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type=OBJECT_TYPE,
        object_id=referral.pk,
        request=request,
    )
    return _detail(request, referral)


@require_perm("referrals.edit")
@require_POST
def referral_transition_view(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _referral(request, pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            referral = referral_transition(
                actor=request.user,
                referral=referral,
                to=data["to"],
                reason=data["reason"],
                note=data["note"],
                hired_on=data["hired_on"],
                request=request,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in ("reason", "note", "hired_on") else None, errors)
            else:
                form.add_error(None, exc.messages)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(name)s: now “%(state)s”.")
                % {"name": referral.person.name, "state": ReferralState(referral.state).label},
            )
            return redirect("jobs:referral_detail", pk=referral.pk)
    return _detail(request, referral, failed=form)


def _scoped_person(user: Any, value: str | None) -> Person | None:
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    person = person_list(user=user).filter(pk=int(value)).first()
    if person is None:
        raise Http404
    return person


def _published_posting(value: str | None) -> Posting | None:
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    posting = published_postings().filter(pk=int(value)).first()
    if posting is None:
        raise Http404
    return posting


def _posting_choices(request: HttpRequest) -> tuple[PostingSearchForm, QuerySet[Posting]]:
    form = PostingSearchForm(request.GET)
    qs = published_postings().filter(filled_count__lt=F("headcount"))
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        if q:
            qs = qs.filter(
                Q(title__icontains=q) | Q(occupation__name__icontains=q) | Q(enterprise__name__icontains=q)
            )
        if form.cleaned_data["area"]:
            qs = qs.filter(area_code__startswith=form.cleaned_data["area"])
    return form, qs.order_by("-published_at", "-id")


@require_perm("referrals.create")
@require_http_methods(["GET", "POST"])
def referral_create_view(request: HttpRequest) -> HttpResponse:
    """From a person choose a posting, or from a posting a person; then confirm with source and note."""
    user: Any = request.user
    given = request.POST if request.method == "POST" else request.GET
    person = _scoped_person(user, given.get("person"))
    posting = _published_posting(given.get("posting"))
    context: dict[str, Any] = {"person": person, "posting": posting}
    params = request.GET.copy()
    params.pop("page", None)
    context["params"] = params.urlencode()
    if person is not None and posting is not None:
        form = ReferralCreateForm(
            request.POST if request.method == "POST" else None,
            initial={"person": person.pk, "posting": posting.pk},
        )
        if request.method == "POST" and form.is_valid():
            try:
                referral = referral_create(
                    actor=user,
                    person=person,
                    posting=posting,
                    source=form.cleaned_data["source"],
                    note=form.cleaned_data["note"],
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request,
                    _("%(name)s has been referred to “%(title)s”.")
                    % {"name": person.name, "title": posting.title},
                )
                return redirect("jobs:referral_detail", pk=referral.pk)
        _ages([person])
        context["form"] = form
        return render(request, "jobs/referral_create.html", context)
    if request.method == "POST":
        raise Http404
    if person is not None:
        search, postings = _posting_choices(request)
        context.update(
            mode="posting",
            search=search,
            page=Paginator(postings, PAGE_SIZE).get_page(request.GET.get("page")),
        )
        _ages([person])
    else:
        search_form = PersonSearchForm(request.GET)
        q = search_form.cleaned_data["q"].strip() if search_form.is_valid() else ""
        people = person_list(user=user, filters=PersonFilters(q=q)) if q else Person.objects.none()
        page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
        _ages(page)
        context.update(mode="person", search=search_form, page=page, searched=bool(q))
        context["villages"] = region_names({p.village_code for p in page})
        audit_record(
            action=Action.VIEW,
            actor=user,
            object_type="registry.person",
            request=request,
            changes={"list": True, "referral_search": True, "count": page.paginator.count},
        )
    return render(request, "jobs/referral_create.html", context)


def _label(choices: Any, value: str) -> str:
    return str(dict(choices).get(value, value)) if value else ""


@require_perm("referrals.view")
def referral_export_view(request: HttpRequest) -> HttpResponse:
    """The filtered list as Excel: masked phones; an employer's file carries only what its list shows."""
    from .choices import OutcomeReason, ReferralSource

    user: Any = request.user
    employer = is_employer_only(user)
    filters = _filters(_filter_form(request))
    qs = referral_list(user=user, filters=filters).select_related("posting__occupation")
    today = timezone.localdate()
    rows: list[list[Any]] = []
    if employer:
        headers = [_("Posting"), _("Name"), _("Gender"), _("Age"), _("Skills"), _("Certificates")]
        headers += [_("Mobile phone"), _("Source"), _("State"), _("Reason"), _("Referred on"), _("Hired on")]
        for r in qs.iterator(chunk_size=2000):
            p = r.person
            rows.append(
                [
                    r.posting.title,
                    p.name,
                    p.get_gender_display(),
                    age_on(p.birth_date, today),
                    "、".join(p.skills),
                    "、".join(p.certificates),
                    p.phone_masked,
                    _label(ReferralSource.choices, r.source),
                    _label(ReferralState.choices, r.state),
                    _label(OutcomeReason.choices, r.reason),
                    timezone.localtime(r.created_at).date(),
                    r.hired_on,
                ]
            )
    else:
        headers = [_("Name"), _("ID number"), _("Gender"), _("Age"), _("Mobile phone"), _("Village code")]
        headers += [_("Posting"), _("Enterprise"), _("Work place (area)"), _("Monthly pay from")]
        headers += [_("Source"), _("State"), _("Reason"), _("Referred on"), _("Hired on"), _("Note")]
        for r in qs.iterator(chunk_size=2000):
            p = r.person
            rows.append(
                [
                    p.name,
                    p.id_masked,
                    p.get_gender_display(),
                    age_on(p.birth_date, today),
                    p.phone_masked,
                    p.village_code,
                    r.posting.title,
                    r.posting.enterprise.name,
                    r.posting.area_code,
                    r.posting.monthly_min,
                    _label(ReferralSource.choices, r.source),
                    _label(ReferralState.choices, r.state),
                    _label(OutcomeReason.choices, r.reason),
                    timezone.localtime(r.created_at).date(),
                    r.hired_on,
                    r.note,
                ]
            )
    audit_record(
        action=Action.EXPORT,
        actor=user,
        object_type=OBJECT_TYPE,
        request=request,
        changes={"rows": len(rows), "filters": _described(filters), "masked": True},
    )
    return xlsx_response(filename=_("referrals.xlsx"), sheet=_("Referrals"), headers=headers, rows=rows)
