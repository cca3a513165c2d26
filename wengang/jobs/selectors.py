"""Reads on labour demand, always scoped.

- Postings: staff see the postings of enterprises in their area; an employer those of its own enterprise.
  Published postings are public (the job board) and any staff member may refer a person to one.
- Referrals: staff see referrals of people in their area; an employer those to its own postings.
- Returning workers: staff see rows matched to people in their area, and unmatched rows of enterprises in
  their area; an employer the rows it uploaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from wengang.accounts.scoping import area_q, code_in_scope
from wengang.employers.selectors import enterprise_queryset, is_employer_only

from .choices import PostingStatus
from .models import Posting, Referral, ReturnWorker, ReturnWorkerList


@dataclass(frozen=True)
class PostingFilters:
    status: str = ""
    area: str = ""  # work place area code prefix
    occupation: str = ""  # occupation code
    enterprise: int | None = None
    key: str = ""  # "1": key enterprises only
    public_welfare: str = ""  # "1"/"0"
    q: str = ""


def posting_queryset(user: Any) -> QuerySet[Posting]:
    if not user.can("postings.view"):
        return Posting.objects.none()
    return Posting.objects.filter(enterprise__in=enterprise_queryset(user).values("pk"))


def posting_list(*, user: Any, filters: PostingFilters | None = None) -> QuerySet[Posting]:
    qs = posting_queryset(user).select_related("enterprise", "occupation")
    f = filters or PostingFilters()
    if f.status:
        qs = qs.filter(status=f.status)
    if f.area:
        qs = qs.filter(area_code__startswith=f.area)
    if f.occupation:
        qs = qs.filter(occupation_id=f.occupation)
    if f.enterprise:
        qs = qs.filter(enterprise_id=f.enterprise)
    if f.key == "1":
        qs = qs.exclude(enterprise__key_category="")
    if f.public_welfare in ("0", "1"):
        qs = qs.filter(is_public_welfare=f.public_welfare == "1")
    if f.q:
        q = f.q.strip()
        qs = qs.filter(
            Q(title__icontains=q) | Q(enterprise__name__icontains=q) | Q(occupation__name__icontains=q)
        )
    return qs.order_by("-updated_at", "-id")


def posting_get(*, user: Any, pk: Any) -> Posting:
    return posting_queryset(user).select_related("enterprise", "occupation").get(pk=pk)


def published_postings() -> QuerySet[Posting]:
    """What the public job board, the public feed and staff referrals choose from."""
    return Posting.objects.filter(status=PostingStatus.PUBLISHED).select_related("enterprise", "occupation")


def referral_queryset(user: Any) -> QuerySet[Referral]:
    if not user.can("referrals.view"):
        return Referral.objects.none()
    qs = Referral.objects.select_related("person", "posting", "posting__enterprise")
    if is_employer_only(user):
        if not user.enterprise_id:
            return qs.none()
        return qs.filter(posting__enterprise_id=user.enterprise_id)
    return qs.filter(area_q(user, "person__village_code"))


def referral_get(*, user: Any, pk: Any) -> Referral:
    return referral_queryset(user).get(pk=pk)


def return_list_queryset(user: Any) -> QuerySet[ReturnWorkerList]:
    if not user.can("returnlists.view"):
        return ReturnWorkerList.objects.none()
    return ReturnWorkerList.objects.filter(enterprise__in=enterprise_queryset(user).values("pk"))


def return_worker_queryset(user: Any) -> QuerySet[ReturnWorker]:
    if not user.can("returnlists.view"):
        return ReturnWorker.objects.none()
    qs = ReturnWorker.objects.select_related("worker_list", "worker_list__enterprise")
    if is_employer_only(user):
        if not user.enterprise_id:
            return qs.none()
        return qs.filter(worker_list__enterprise_id=user.enterprise_id)
    unmatched_here = Q(area_code="") & Q(worker_list__enterprise__in=enterprise_queryset(user).values("pk"))
    return qs.filter(area_q(user, "area_code") | unmatched_here)


def area_allowed(user: Any, code: str) -> bool:
    return code_in_scope(user, code)
