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
        "person": person,
        "enrolments": list(
            person_enrolments(user=user, person=person).select_related("programme__occupation")
        ),
    }
