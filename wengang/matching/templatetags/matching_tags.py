"""``{% person_recommendations person %}`` and ``{% posting_candidates posting %}``: stored matching
results as blocks other pages include; the host page writes the audit event for what it shows."""

from __future__ import annotations

from typing import Any

from django import template

from wengang.employers.selectors import is_employer_only
from wengang.jobs.choices import PostingStatus
from wengang.jobs.models import Posting
from wengang.jobs.selectors import posting_queryset
from wengang.registry.models import Person

from ..selectors import person_recommendations as _recommendations
from ..selectors import posting_candidates as _candidates
from ..selectors import visible_posting_ids

register = template.Library()
CANDIDATES_SHOWN = 20


def recommendations_context(user: Any, person: Person) -> dict[str, Any]:
    recs = list(_recommendations(user=user, person=person))
    staff_ids = visible_posting_ids(user=user, ids={r.posting_id for r in recs}) if recs else set()
    for r in recs:
        r.staff_link = r.posting_id in staff_ids  # type: ignore[attr-defined]
    return {
        "person": person,
        "recommendations": recs,
        "can_refer": user.can("referrals.create"),
        "run": recs[0].run if recs else None,
    }


def candidates_context(user: Any, posting: Posting) -> dict[str, Any]:
    own = posting_queryset(user).filter(pk=posting.pk).exists()
    employer = is_employer_only(user)
    hidden = not own and (employer or posting.status != PostingStatus.PUBLISHED)
    rows = [] if hidden else list(_candidates(user=user, posting=posting)[:CANDIDATES_SHOWN])
    return {
        "posting": posting,
        "candidates": rows,
        "employer_view": employer,
        "can_refer": user.can("referrals.create") and posting.status == PostingStatus.PUBLISHED,
        "hidden": hidden,
    }


@register.inclusion_tag("matching/_person_recommendations.html", takes_context=True)
def person_recommendations(context: template.Context, person: Person) -> dict[str, Any]:
    return recommendations_context(context["request"].user, person)


@register.inclusion_tag("matching/_posting_candidates.html", takes_context=True)
def posting_candidates(context: template.Context, posting: Posting) -> dict[str, Any]:
    return candidates_context(context["request"].user, posting)
