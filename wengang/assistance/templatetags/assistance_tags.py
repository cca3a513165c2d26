"""Tags other apps' pages use to show a person's priority case without importing the app."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("assistance/_person_case.html", takes_context=True)
def person_case(context: Any, person: Any) -> dict[str, Any]:
    """The 131 card of a person's page: the case with its 1 / 3 / 1 progress, scoped to the viewer."""
    from wengang.assistance.selectors import open_case_for

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.can("assistance.view"):
        return {"hidden": True}
    return {
        "hidden": False,
        "person": person,
        "case": open_case_for(user=user, person=person),
        "can_open": user.can("assistance.edit"),
    }
