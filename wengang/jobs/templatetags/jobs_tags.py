"""Tags other apps' pages use to show labour demand without importing it (DESIGN.md's import order)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("jobs/_person_referrals.html", takes_context=True)
def person_referrals(context: Any, person: Any) -> dict[str, Any]:
    """The referrals card of a registry person's page, scoped to the viewer."""
    from wengang.jobs.referrals import person_referrals_context

    user = context["request"].user
    if not user.can("referrals.view"):
        return {"hidden": True}
    return person_referrals_context(user=user, person=person)


@register.filter
def field(form: Any, name: str) -> Any:
    """``form|field:"title"``: the bound field, or ``None`` when the form has no such field."""
    return form[name] if name in form.fields else None
