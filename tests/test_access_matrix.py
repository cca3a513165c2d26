"""Every route × every role: who gets in, who is refused, and that no route is left unlisted.

Adding a URL without adding it to ``MATRIX`` fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import pytest
from django.urls import URLResolver, get_resolver, reverse

from tests.access import ADMINS, DASH, REGIONS, REGISTRY, ROLES, STAFF, Route
from wengang.background.models import BackgroundTask


def _own_task(ctx, role):
    user = ctx["people"].get(role)
    task = BackgroundTask.objects.create(kind="audit.verify", created_by=user)
    return {"pk": task.pk}


def _api_own_task(ctx, role):
    return {"task_id": _own_task(ctx, role)["pk"]}


def _own_export(ctx, role):
    from wengang.registry.exports import export_path

    user = ctx["people"].get(role)
    task = BackgroundTask.objects.create(
        kind="registry.export", created_by=user, status="succeeded", result={"rows": 0}
    )
    from wengang.core import crypto

    export_path(task.pk).write_bytes(crypto.encrypt_bytes(b"PK"))
    return {"task_id": task.pk}


def _own_import(ctx, role):
    from wengang.registry.models import LedgerImport

    user = ctx["people"].get(role)
    record = LedgerImport.objects.create(
        filename="a.csv",
        created_by=user or ctx["people"]["city_admin"],
        scope_code="410329",
        status="done",
        error_report=b"PK",
    )
    return {"pk": record.pk}


MATRIX: dict[str, Route] = {
    "dashboards:home": Route(allowed=DASH, special={"auditor": 302}),
    "accounts:login": Route(public=True, allowed=set(ROLES)),
    "accounts:login_totp": Route(public=True, allowed=set(ROLES), ok=302),
    "accounts:logout": Route(method="POST", public=True, allowed=set(ROLES), ok=302),
    "accounts:user_list": Route(allowed=ADMINS),
    "accounts:user_export": Route(allowed=ADMINS),
    "accounts:user_create": Route(allowed=ADMINS),
    "accounts:user_disable": Route(
        allowed=ADMINS, kwargs=lambda ctx, r: {"pk": ctx["people"]["specialist"].pk}
    ),
    "accounts:password_change": Route(allowed=STAFF),
    "accounts:user_reset_2fa": Route(
        allowed=ADMINS, kwargs=lambda ctx, r: {"pk": ctx["people"]["county_admin"].pk}
    ),
    "accounts:user_unmask": Route(
        allowed=ADMINS, kwargs=lambda ctx, r: {"pk": ctx["people"]["specialist"].pk}
    ),
    "regions:region_list": Route(allowed=REGIONS),
    "regions:region_export": Route(allowed=REGIONS),
    "regions:region_detail": Route(allowed=REGIONS, kwargs=lambda ctx, r: {"code": "410329001"}),
    "registry:person_list": Route(allowed=REGISTRY),
    "registry:person_detail": Route(allowed=REGISTRY, kwargs=lambda ctx, r: {"pk": ctx["person"].pk}),
    "registry:person_create": Route(allowed=REGISTRY),
    "registry:person_export": Route(allowed=REGISTRY),
    "registry:export_download": Route(allowed=REGISTRY, kwargs=_own_export),
    "registry:import_list": Route(allowed=REGISTRY),
    "registry:import_template": Route(allowed=REGISTRY),
    "registry:import_detail": Route(allowed=REGISTRY, kwargs=_own_import),
    "registry:import_start": Route(method="POST", allowed=REGISTRY, ok=302, kwargs=_own_import),
    "registry:import_report": Route(allowed=REGISTRY, kwargs=_own_import),
    "registry:person_edit": Route(allowed=REGISTRY, kwargs=lambda ctx, r: {"pk": ctx["person"].pk}),
    "registry:person_unmask": Route(allowed=REGISTRY, kwargs=lambda ctx, r: {"pk": ctx["person"].pk}),
    "api:persons": Route(allowed=REGISTRY, anonymous=401, worker=401),
    "api:person_history": Route(
        allowed=REGISTRY, anonymous=401, worker=401, kwargs=lambda ctx, r: {"person_id": ctx["person"].pk}
    ),
    "api:household": Route(
        allowed=REGISTRY,
        anonymous=401,
        worker=401,
        kwargs=lambda ctx, r: {"household_id": ctx["person"].household_id},
    ),
    "api:person": Route(
        allowed=REGISTRY, anonymous=401, worker=401, kwargs=lambda ctx, r: {"person_id": ctx["person"].pk}
    ),
    "audit:event_list": Route(allowed={"auditor"}),
    "audit:event_export": Route(allowed={"auditor"}),
    "audit:verify_start": Route(method="POST", allowed={"auditor"}, ok=302),
    "background:task_list": Route(allowed=STAFF),
    "background:task_detail": Route(allowed=STAFF, kwargs=_own_task),
    "background:task_progress": Route(allowed=STAFF, kwargs=_own_task),
    "set_language": Route(method="POST", public=True, allowed=set(ROLES), ok=302),
    "api:openapi-json": Route(allowed=STAFF),
    "api:openapi-view": Route(allowed=STAFF),
    "api:api-root": Route(public=True, allowed=set(ROLES), ok=404),
    "api:me": Route(allowed=STAFF, anonymous=401, worker=401),
    "api:users": Route(allowed=ADMINS, anonymous=401, worker=401),
    "api:regions": Route(allowed=REGIONS, anonymous=401, worker=401),
    "api:region": Route(
        allowed=REGIONS, anonymous=401, worker=401, kwargs=lambda ctx, r: {"code": "410329001"}
    ),
    "api:events": Route(allowed={"auditor"}, anonymous=401, worker=401),
    "api:verify": Route(method="POST", allowed={"auditor"}, ok=202, anonymous=401, worker=401),
    "api:task": Route(allowed=STAFF, anonymous=401, worker=401, kwargs=_api_own_task),
}


def _merge_app_routes() -> None:
    import importlib
    import pkgutil

    import tests.access

    for info in pkgutil.iter_modules(tests.access.__path__):
        if info.name.startswith("routes_"):
            module = importlib.import_module(f"tests.access.{info.name}")
            clash = set(module.ROUTES) & set(MATRIX)
            assert not clash, clash
            MATRIX.update(module.ROUTES)


_merge_app_routes()


def route_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, ns):
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
                walk(p.url_patterns, inner)
            else:
                name = p.name or f"<unnamed {p.pattern}>"
                names.add(f"{ns}:{name}" if ns else name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_route_is_in_the_matrix():
    assert route_names() == set(MATRIX), "routes and the access matrix differ"


def expected_status(route: Route, role: str) -> int:
    if role in route.special:
        return route.special[role]
    if role == "anonymous" and not route.public:
        return route.anonymous
    if role in route.allowed:
        return route.ok
    if role == "worker" and route.worker is not None:
        return route.worker
    return route.denied


CASES = [(name, role) for name in sorted(MATRIX) for role in ROLES]


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_route_role(client, people, person_in_township, name, role):
    route = MATRIX[name]
    ctx = {"people": people, "person": person_in_township}
    if role != "anonymous":
        client.force_login(people[role], backend="wengang.accounts.backends.StaffBackend")
    kwargs = route.kwargs(ctx, role) if route.kwargs else {}
    url = reverse(name, kwargs=kwargs)
    response = client.post(url) if route.method == "POST" else client.get(url)
    assert response.status_code == expected_status(route, role), (url, role, response.content[:300])


def test_matrix_size():
    # Reported in the issue note: routes × roles covered.
    assert len(CASES) == len(MATRIX) * len(ROLES) >= 47 * 10
