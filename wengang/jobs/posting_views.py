"""Posting pages for staff and for an enterprise's HR clerk (the enterprise portal); the dispatch board."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wengang.accounts.permissions import require_perm
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.excel import xlsx_response
from wengang.core.forms import add_service_errors, call_service
from wengang.employers.models import KeyCategory
from wengang.employers.selectors import enterprise_queryset, is_employer_only
from wengang.regions.models import Region
from wengang.regions.selectors import region_names

from .choices import OPEN_REFERRAL_STATES, TRANSITIONS, PostingStatus
from .dispatch import DispatchFilters, by_category, dispatch_board, dispatch_totals
from .models import Posting
from .posting_forms import PostingFilterForm, PostingForm, TransitionForm
from .selectors import PostingFilters, posting_get, posting_list
from .services import posting_create, posting_transition, posting_update


def _user(request: HttpRequest) -> Any:
    """The signed-in staff user (views are guarded by ``require_perm``)."""
    return request.user


def _filters(request: HttpRequest) -> tuple[PostingFilterForm, PostingFilters]:
    form = PostingFilterForm(request.GET or None)
    data: dict[str, Any] = {}
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    enterprise = request.GET.get("enterprise", "")
    if enterprise.isdigit():
        data["enterprise"] = int(enterprise)
    occupation = request.GET.get("occupation", "")
    if occupation:
        data["occupation"] = occupation
    return form, PostingFilters(**data)


@require_perm("postings.view")
def posting_list_view(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    qs = posting_list(user=request.user, filters=filters).annotate(
        pipeline=Count("referrals", filter=Q(referrals__state__in=OPEN_REFERRAL_STATES))
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="jobs.posting",
        request=request,
        changes={
            "list": True,
            "page": page.number,
            "filters": {k: str(v) for k, v in filters.__dict__.items() if v},
        },
    )
    review_count = (
        posting_list(user=request.user, filters=PostingFilters(status=PostingStatus.SUBMITTED)).count()
        if _user(request).can("postings.review")
        else 0
    )
    return render(
        request,
        "jobs/posting_list.html",
        {
            "form": form,
            "page": page,
            "params": params.urlencode(),
            "review_count": review_count,
            "area_names": region_names({p.area_code for p in page}),
        },
    )


@require_perm("postings.view")
def posting_export_view(request: HttpRequest) -> HttpResponse:
    _form, filters = _filters(request)
    qs = posting_list(user=request.user, filters=filters)[:50000]
    audit_record(
        action=Action.EXPORT,
        actor=request.user,
        object_type="jobs.posting",
        request=request,
        changes={"filters": {k: str(v) for k, v in filters.__dict__.items() if v}},
    )
    headers = [
        _("Enterprise"),
        _("Title"),
        _("Occupation"),
        _("Status"),
        _("Headcount"),
        _("Filled"),
        _("Monthly pay from"),
        _("Monthly pay up to"),
        _("Board and lodging"),
        _("Work place (area)"),
        _("Start date"),
        _("End date"),
        _("Key enterprise"),
        _("Public-welfare post"),
    ]
    rows = (
        [
            p.enterprise.name,
            p.title,
            p.occupation.name if p.occupation else "",
            p.get_status_display(),
            p.headcount,
            p.filled_count,
            p.monthly_min,
            p.monthly_max,
            p.get_board_display(),
            p.area_code,
            p.start_date,
            p.end_date,
            p.enterprise.get_key_category_display(),
            _("Yes") if p.is_public_welfare else "",
        ]
        for p in qs
    )
    return xlsx_response(filename=_("postings.xlsx"), sheet=_("Postings"), headers=headers, rows=rows)


def _posting(request: HttpRequest, pk: int) -> Posting:
    try:
        return posting_get(user=request.user, pk=pk)
    except Posting.DoesNotExist as exc:
        raise Http404 from exc


def _allowed_transitions(user: Any, posting: Posting) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for to in TRANSITIONS[posting.status]:
        review = posting.status == PostingStatus.SUBMITTED or to == PostingStatus.PUBLISHED
        if review and (is_employer_only(user) or not user.can("postings.review")):
            if not (posting.status == PostingStatus.SUBMITTED and to == PostingStatus.CLOSED):
                continue
        out.append((to, PostingStatus(to).label))
    order = list(PostingStatus.values)
    return sorted(out, key=lambda t: order.index(t[0]))


@require_perm("postings.view")
def posting_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    posting = _posting(request, pk)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="jobs.posting",
        object_id=posting.pk,
        request=request,
    )
    from .referrals import posting_pipeline_context
    from .welfare_views import welfare_posting_context

    return render(
        request,
        "jobs/posting_detail.html",
        {
            **posting_pipeline_context(user=_user(request), posting=posting),
            **welfare_posting_context(user=_user(request), posting=posting),
            "posting": posting,
            "area_name": region_names({posting.area_code}).get(posting.area_code, ""),
            "transitions": _allowed_transitions(request.user, posting)
            if _user(request).can("postings.edit")
            else [],
            "can_edit": _user(request).can("postings.edit") and posting.status != PostingStatus.CLOSED,
        },
    )


def _enterprise_choices(user: Any) -> list[tuple[int, str]] | None:
    if is_employer_only(user):
        return None
    return list(enterprise_queryset(user).order_by("name").values_list("pk", "name")[:2000])


def _posted(request: HttpRequest) -> Any:
    """The POST data; a confirmed suggestion (radio ``occupation_choice``) fills an empty occupation."""
    if request.method != "POST":
        return None
    data = request.POST.copy()
    choice = str(request.POST.get("occupation_choice", ""))
    if not data.get("occupation") and choice:
        data["occupation"] = choice
    return data


def _suggest(form: PostingForm) -> list[dict[str, Any]]:
    from .occupations import occupation_suggest

    text = form.data.get("describe", "") or ""
    return occupation_suggest(text) if text.strip() else []


@require_perm("postings.edit")
@require_http_methods(["GET", "POST"])
def posting_create_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    enterprises = _enterprise_choices(user)
    initial: dict[str, Any] = {}
    if is_employer_only(user):
        enterprise = user.enterprise
        if enterprise is None:
            raise PermissionDenied
        initial["area_code"] = enterprise.area_code
    elif request.GET.get("enterprise", "").isdigit():
        initial["enterprise"] = int(request.GET["enterprise"])
    form = PostingForm(_posted(request), initial=initial, enterprises=enterprises, user=user)
    suggestions: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data.get("occupation") and data.get("describe"):
            # Show the match for confirmation instead of saving a guess.
            suggestions = _suggest(form)
            if suggestions:
                form.add_error("occupation", _("Confirm the occupation suggested from your description."))
            else:
                form.add_error("describe", _("No occupation was recognised; choose one from the list."))
        else:
            try:
                target: Any
                if is_employer_only(user):
                    target = user.enterprise
                else:
                    target = enterprise_queryset(user).filter(pk=data["enterprise"]).first()
                    if target is None:
                        raise ValidationError({"enterprise": _("Choose an enterprise in your area.")})
                posting = posting_create(
                    actor=user, enterprise=target, data=form.service_data(), request=request
                )
            except ValidationError as exc:
                add_service_errors(form, exc, fallback="title")
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The posting has been saved as a draft; submit it for review."))
                return redirect("jobs:posting_detail", pk=posting.pk)
    elif request.method == "POST":
        suggestions = _suggest(form)
    return render(
        request, "jobs/posting_form.html", {"form": form, "posting": None, "suggestions": suggestions}
    )


def _initial(posting: Posting) -> dict[str, Any]:
    fields = [f for f in PostingForm.base_fields if f not in ("enterprise", "describe")]
    initial = {f: getattr(posting, f) for f in fields if f != "occupation"}
    initial["occupation"] = posting.occupation_id or ""
    initial["certificates"] = "、".join(posting.certificates)
    return initial


@require_perm("postings.edit")
@require_http_methods(["GET", "POST"])
def posting_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    posting = _posting(request, pk)
    form = PostingForm(_posted(request), initial=_initial(posting), user=_user(request))
    suggestions: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        if not form.cleaned_data.get("occupation") and form.cleaned_data.get("describe"):
            suggestions = _suggest(form)
            form.add_error("occupation", _("Confirm the occupation suggested from your description."))
        else:
            ok, changed = call_service(
                form,
                posting_update,
                fallback="title",
                actor=request.user,
                posting=posting,
                data=form.service_data(),
                request=request,
            )
            if ok:
                if changed:
                    messages.success(request, _("Saved."))
                return redirect("jobs:posting_detail", pk=posting.pk)
    return render(
        request, "jobs/posting_form.html", {"form": form, "posting": posting, "suggestions": suggestions}
    )


@require_perm("postings.edit")
@require_POST
def posting_transition_view(request: HttpRequest, pk: int) -> HttpResponse:
    posting = _posting(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown status."))
        return redirect("jobs:posting_detail", pk=posting.pk)
    try:
        posting_transition(
            actor=request.user,
            posting=posting,
            to=form.cleaned_data["to"],
            note=form.cleaned_data["note"],
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The posting is now “%(status)s”.") % {"status": PostingStatus(form.cleaned_data["to"]).label},
        )
    return redirect("jobs:posting_detail", pk=posting.pk)


@require_perm("postings.edit")
def occupation_suggest_view(request: HttpRequest) -> HttpResponse:
    """htmx: occupations suggested from the description as the clerk types."""
    from .occupations import occupation_suggest

    suggestions = occupation_suggest(request.GET.get("describe", "")[:200])
    return render(request, "jobs/_occupation_suggestions.html", {"suggestions": suggestions})


def _dispatch_filters(request: HttpRequest) -> DispatchFilters:
    area = request.GET.get("area", "")
    return DispatchFilters(
        area=area if area.isdigit() else "",
        industry=request.GET.get("industry", "")[:2],
        category=request.GET.get("category", "") if request.GET.get("category") in KeyCategory.values else "",
    )


@require_perm("dispatch.view")
def dispatch_board_view(request: HttpRequest) -> HttpResponse:
    filters = _dispatch_filters(request)
    rows = dispatch_board(user=request.user, filters=filters)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="jobs.dispatch",
        request=request,
        changes={"filters": {k: v for k, v in filters.__dict__.items() if v}, "rows": len(rows)},
    )
    counties = Region.objects.filter(level="county").order_by("code")
    scope = getattr(request.user, "scope_code", "")[:4]
    return render(
        request,
        "jobs/dispatch_board.html",
        {
            "rows": rows,
            "totals": dispatch_totals(rows),
            "categories": by_category(rows),
            "filters": filters,
            "counties": [c for c in counties if c.code.startswith(scope)],
            "category_choices": KeyCategory.choices,
            "sections": _sections(),
            "params": request.GET.urlencode(),
            "can_view_postings": _user(request).can("postings.view"),
        },
    )


def _sections() -> list[tuple[str, str]]:
    try:
        from wengang.employers.industries import sections
    except ImportError:
        return []
    return list(sections())


@require_perm("dispatch.view")
def dispatch_export_view(request: HttpRequest) -> HttpResponse:
    filters = _dispatch_filters(request)
    rows = dispatch_board(user=request.user, filters=filters, with_detail=False)
    audit_record(
        action=Action.EXPORT,
        actor=request.user,
        object_type="jobs.dispatch",
        request=request,
        changes={"filters": {k: v for k, v in filters.__dict__.items() if v}, "rows": len(rows)},
    )
    headers = [
        _("Rank"),
        _("Enterprise"),
        _("Key-enterprise category"),
        _("Area code"),
        _("Open postings"),
        _("Headcount"),
        _("Filled"),
        _("In the pipeline"),
        _("Shortfall"),
        _("Earliest start"),
        _("Days to start"),
    ]
    data = (
        [
            i,
            r.enterprise.name,
            r.enterprise.get_key_category_display(),
            r.enterprise.area_code,
            r.postings,
            r.headcount,
            r.filled,
            r.pipeline,
            r.shortfall,
            r.earliest_start,
            r.days_to_start,
        ]
        for i, r in enumerate(rows, start=1)
    )
    return xlsx_response(
        filename=_("dispatch-board.xlsx"), sheet=_("Dispatch board"), headers=headers, rows=data
    )
