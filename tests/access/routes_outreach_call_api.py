"""The phone-call list API: admins and specialists (``outreach.calls``) in their area; 401 without a login
and for a worker session (the staff API does not take one)."""

from __future__ import annotations

from tests.access import ADMINS, Route

CALLS = ADMINS | {"specialist"}


def _call(ctx, role):
    """A queued call to the township person, who does not consent to phone calls."""
    from wengang.outreach.models import Message

    person = ctx["person"]
    message, _ = Message.objects.get_or_create(
        idempotency_key=f"matrix-call-{person.pk}",
        defaults={"channel": "phone", "person": person, "area_code": person.village_code, "body": "矩阵测试"},
    )
    return {"call_id": message.pk}


API = {"anonymous": 401, "worker": 401}

ROUTES: dict[str, Route] = {
    "api:outreach_calls": Route(allowed=CALLS, **API),
    # Bare POSTs (an empty form body, not JSON): 400 once the role and the call's scope are checked;
    # dialling is 400 too, since the matrix person does not accept phone calls.
    "api:outreach_call_add": Route(method="POST", allowed=CALLS, ok=400, **API),
    "api:outreach_call_dial": Route(method="POST", allowed=CALLS, ok=400, kwargs=_call, **API),
    "api:outreach_call_outcome": Route(method="POST", allowed=CALLS, ok=400, kwargs=_call, **API),
}
