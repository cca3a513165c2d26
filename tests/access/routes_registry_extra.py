"""Registry routes added with households and consent: the household page and its actions, consent on the
person page, and their API routes. Registry staff (admins, specialists) in scope; everyone else refused."""

from __future__ import annotations

from tests.access import REGISTRY, Route


def _household(ctx, role):
    return {"pk": ctx["person"].household_id}


def _member(ctx, role):
    return {"pk": ctx["person"].household_id, "person_pk": ctx["person"].pk}


def _person(ctx, role):
    return {"pk": ctx["person"].pk}


def _api_household(ctx, role):
    return {"household_id": ctx["person"].household_id}


def _api_member(ctx, role):
    return {"household_id": ctx["person"].household_id, "person_id": ctx["person"].pk}


def _api_person(ctx, role):
    return {"person_id": ctx["person"].pk}


ROUTES: dict[str, Route] = {
    "registry:household_detail": Route(allowed=REGISTRY, kwargs=_household),
    # Actions are POST-only; an empty form re-renders the page with its errors (200) or redirects back with
    # a message (302). Nothing changes either way.
    "registry:household_member_add": Route(method="POST", allowed=REGISTRY, kwargs=_household),
    "registry:household_head_set": Route(method="POST", allowed=REGISTRY, kwargs=_household),
    "registry:household_poverty_set": Route(method="POST", allowed=REGISTRY, kwargs=_household),
    "registry:household_member_relation": Route(method="POST", allowed=REGISTRY, ok=302, kwargs=_member),
    "registry:household_member_remove": Route(method="POST", allowed=REGISTRY, ok=302, kwargs=_member),
    "registry:household_create": Route(method="POST", allowed=REGISTRY, ok=302, kwargs=_person),
    "registry:person_consent": Route(method="POST", allowed=REGISTRY, ok=302, kwargs=_person),
    "api:households": Route(allowed=REGISTRY, anonymous=401, worker=401),
    "api:household_members_api": Route(allowed=REGISTRY, anonymous=401, worker=401, kwargs=_api_household),
    "api:household_member_api": Route(allowed=REGISTRY, anonymous=401, worker=401, kwargs=_api_member),
    "api:person_consents_api": Route(allowed=REGISTRY, anonymous=401, worker=401, kwargs=_api_person),
}
