"""What every route table shares: the roles, role sets, and the ``Route`` record.

Each app's routes beyond the foundation live in ``tests/access/routes_<area>.py`` as a ``ROUTES`` dict;
``tests/test_access_matrix.py`` merges them, so adding a URL means adding one entry in that app's file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = (
    "city_admin",
    "county_admin",
    "specialist",
    "employer",
    "health_officer",
    "liaison",
    "viewer",
    "auditor",
    "worker",
    "anonymous",
)
STAFF = set(ROLES) - {"worker", "anonymous"}
ADMINS = {"city_admin", "county_admin"}
DASH = ADMINS | {"specialist", "employer", "health_officer", "liaison", "viewer"}
REGIONS = DASH - {"employer"}
REGISTRY = ADMINS | {"specialist"}


@dataclass
class Route:
    method: str = "GET"
    allowed: set[str] = field(default_factory=set)
    ok: int = 200
    denied: int = 403
    anonymous: int = 302  # pages redirect to the login page; the API answers 401
    worker: int | None = None  # status for a worker session when not allowed (defaults to ``denied``)
    kwargs: Any = None  # callable(ctx, role) -> kwargs
    special: dict[str, int] = field(default_factory=dict)
    public: bool = False
