"""The phone-call list: admins and specialists (``outreach.calls``) in their area."""

from __future__ import annotations

from tests.access import ADMINS, Route

CALLS = ADMINS | {"specialist"}


def _call(ctx, role):
    """A queued call to the township person (no phone consent: dial and record answer with a redirect)."""
    from wengang.outreach.models import Message

    person = ctx["person"]
    message, _ = Message.objects.get_or_create(
        idempotency_key=f"matrix-call-{person.pk}",
        defaults={"channel": "phone", "person": person, "area_code": person.village_code, "body": "矩阵测试"},
    )
    return {"pk": message.pk}


ROUTES: dict[str, Route] = {
    "outreach:call_list": Route(allowed=CALLS),
    "outreach:call_export": Route(allowed=CALLS),
    # Bare POSTs redirect (302) with the form's or the service's message, after role and scope checks.
    "outreach:call_dial": Route(method="POST", allowed=CALLS, ok=302, kwargs=_call),
    "outreach:call_record": Route(method="POST", allowed=CALLS, ok=302, kwargs=_call),
    "outreach:call_add": Route(
        method="POST", allowed=CALLS, ok=302, kwargs=lambda ctx, r: {"person_pk": ctx["person"].pk}
    ),
}
