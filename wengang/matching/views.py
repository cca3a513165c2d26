"""Matching pages: runs (list, start, detail with statistics), stored recommendations per person/posting."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wengang.accounts.permissions import require_perm
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.jobs.models import Posting
from wengang.regions.models import Region
from wengang.regions.selectors import region_names
from wengang.registry.models import Person
from wengang.registry.selectors import person_get

from .models import MatchRun, RunStatus
from .runs import match_run_start
from .selectors import run_get, run_list
from .templatetags.matching_tags import candidates_context, recommendations_context

PAGE_SIZE = 50


@require_perm("matching.view")
def run_list_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in RunStatus.values:
        status = ""
    page = Paginator(run_list(user=request.user, status=status), PAGE_SIZE).get_page(request.GET.get("page"))
    areas = region_names({r.scope_code for r in page})
    for run in page:
        run.area_name = areas.get(run.scope_code, "")  # type: ignore[attr-defined]
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="matching.run",
        request=request,
        changes={"list": True, "page": page.number, "status": status},
    )
    user: Any = request.user
    return render(
        request,
        "matching/run_list.html",
        {
            "page": page,
            "status": status,
            "statuses": RunStatus.choices,
            "params": f"status={status}" if status else "",
            "my_area": user.scope_code,
            "my_area_name": Region.objects.filter(code=user.scope_code)
            .values_list("name", flat=True)
            .first(),
        },
    )


@require_perm("matching.run")
@require_POST
def run_start_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    scope = (request.POST.get("scope_code") or user.scope_code or "").strip()
    try:
        run = match_run_start(actor=user, scope_code=scope, request=request)
    except (ValidationError, PermissionDenied) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text or _("Your roles do not allow this."))
        return redirect("matching:run_list")
    messages.success(request, _("Match run #%(pk)s has started.") % {"pk": run.pk})
    if run.task_id:
        return redirect("background:task_detail", pk=run.task_id)
    return redirect("matching:run_detail", pk=run.pk)


def _chart(run: MatchRun) -> dict[str, Any]:
    by_county: dict[str, int] = run.stats.get("by_county", {}) if run.stats else {}
    names = region_names(list(by_county))
    return {
        "labels": [names.get(code, code) for code in by_county],
        "values": list(by_county.values()),
        "series": _("Recommendations"),
    }


@require_perm("matching.view")
def run_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        run = run_get(user=request.user, pk=pk)
    except MatchRun.DoesNotExist as exc:
        raise Http404 from exc
    audit_record(
        action=Action.VIEW, actor=request.user, object_type="matching.run", object_id=run.pk, request=request
    )
    stats = run.stats or {}
    return render(
        request,
        "matching/run_detail.html",
        {
            "run": run,
            "area_name": Region.objects.filter(code=run.scope_code).values_list("name", flat=True).first(),
            "stats": stats,
            "shares": {
                k: round(100 * float(stats.get(k, 0.0)), 1)
                for k in (
                    "over_capacity_share",
                    "over_capacity_share_before",
                    "zero_rec_share",
                    "changed_first_share",
                    "fallback_share",
                )
            },  # fmt: skip
            "chart": _chart(run),
            "mean_after": float(stats.get("mean_first_score_before", 0.0))
            + float(stats.get("mean_score_change", 0.0)),
            "weights": sorted((run.weights or {}).items()),
        },
    )


@require_perm("matching.view")
def person_recommendations_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's current recommendations on their own (the registry page includes the same block)."""
    try:
        person = person_get(user=request.user, pk=pk)
    except Person.DoesNotExist as exc:
        raise Http404 from exc
    context = recommendations_context(request.user, person)
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="registry.person",
        object_id=person.pk,
        request=request,
        changes={"recommendations": len(context["recommendations"])},
    )
    return render(request, "matching/person_recommendations.html", context)


@require_perm("postings.view")
def posting_candidates_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A posting's best candidates (staff: people in their area; employers: consenting people only)."""
    posting = Posting.objects.select_related("enterprise").filter(pk=pk).first()
    if posting is None:
        raise Http404
    context = candidates_context(request.user, posting)
    if context["hidden"]:
        raise Http404
    audit_record(
        action=Action.VIEW,
        actor=request.user,
        object_type="matching.candidates",
        object_id=posting.pk,
        request=request,
        changes={"people": [c.person_id for c in context["candidates"]]},
    )
    return render(request, "matching/posting_candidates.html", context)
