"""The training card of a registry person's page, without the registry importing training."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("training/_person_training.html", takes_context=True)
def person_training(context: Any, person: Any) -> dict[str, Any]:
    """Enrolments of ``person`` the viewer may see; hidden for roles without ``training.view``."""
    from wengang.training.selectors import person_enrolments

    user = context["request"].user
    if not user.can("training.view"):
        return {"hidden": True}
    return {
        "request": context["request"],  # for the suggestions inside the card
        "person": person,
        "enrolments": list(
            person_enrolments(user=user, person=person).select_related("programme__occupation")
        ),
    }


@register.inclusion_tag("training/_suggestions.html", takes_context=True)
def training_suggestions(
    context: Any, person: Any, case: Any = None, can_edit: bool = False
) -> dict[str, Any]:
    """Programmes closing the certificate gap of ``person``'s best matches (建议培训); on a 131 case page
    each comes with a one-click "training offered" record."""
    from django.utils import timezone

    from wengang.training.suggestions import training_suggestions as suggest

    user = context["request"].user
    if not user.can("training.view"):
        return {"hidden": True}
    return {
        "suggestions": suggest(person=person, user=user),
        "case": case,
        "can_edit": can_edit,
        "today": timezone.localdate(),
        "csrf_token": context.get("csrf_token"),
    }
