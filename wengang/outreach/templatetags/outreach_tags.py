"""The contact-history card of a registry person's page, without the registry importing outreach."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("outreach/_person_outreach.html", takes_context=True)
def person_outreach(context: Any, person: Any) -> dict[str, Any]:
    """Messages, replies and consent of ``person``; hidden for roles without ``outreach.view``."""
    from wengang.outreach.history import person_outreach_context

    ctx = person_outreach_context(user=context["request"].user, person=person)
    ctx["csrf_token"] = context.get("csrf_token")
    return ctx
