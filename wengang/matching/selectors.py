"""Reads on match runs and recommendations, always scoped.

- Runs: registry staff (admins, specialists) see the runs of areas inside their scope.
- A person's recommendations: whoever may see the person (``registry.selectors.person_list``).
- A posting's candidates: staff see the candidates they may see as people; an enterprise's HR contact sees,
  for its own postings, the name and masked phone of candidates who consented to job pushes, nothing more.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet

from wengang.accounts.scoping import area_q
from wengang.employers.selectors import is_employer_only
from wengang.jobs.models import Posting
from wengang.jobs.selectors import posting_queryset
from wengang.registry.consent import any_channel_q
from wengang.registry.models import Person
from wengang.registry.selectors import person_list

from .models import MatchRun, Recommendation


def run_list(*, user: Any, status: str = "") -> QuerySet[MatchRun]:
    if not user.can("matching.view"):
        return MatchRun.objects.none()
    qs = MatchRun.objects.filter(area_q(user, "scope_code")).select_related("created_by", "task")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def run_get(*, user: Any, pk: Any) -> MatchRun:
    return run_list(user=user).get(pk=pk)


def person_recommendations(*, user: Any, person: Person) -> QuerySet[Recommendation]:
    """The current recommendations of a person the user may see (empty otherwise), best first."""
    if not person_list(user=user).filter(pk=person.pk).exists():
        return Recommendation.objects.none()
    return (
        Recommendation.objects.filter(person=person, is_current=True)
        .exclude(posting__dismissals__person=person)  # “不感兴趣” on the worker's pages
        .select_related("posting__enterprise", "run")
        .order_by("rank", "id")
    )


def posting_candidates(*, user: Any, posting: Posting) -> QuerySet[Recommendation]:
    """Current recommendations of a posting, best score first, limited to the candidates the user may see."""
    qs = (
        Recommendation.objects.filter(posting=posting, is_current=True)
        .exclude(posting__dismissals__person=F("person"))  # “不感兴趣” on the worker's pages
        .select_related("person")
    )
    if is_employer_only(user):
        if not posting_queryset(user).filter(pk=posting.pk).exists():
            return Recommendation.objects.none()
        return qs.filter(any_channel_q("person__")).order_by("-score", "id")
    return qs.filter(person__in=person_list(user=user).values("pk")).order_by("-score", "id")


def visible_posting_ids(*, user: Any, ids: set[int]) -> set[int]:
    """Which of ``ids`` the user may open on the staff posting page (the rest link to the public board)."""
    return set(posting_queryset(user).filter(pk__in=ids).values_list("pk", flat=True))
