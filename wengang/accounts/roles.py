"""Roles, their rank for granting, and which capability each role holds.

Permissions are a small static table rather than Django's permission rows: the roles are fixed by the
bureau's organisation (DESIGN.md), and a table in code is reviewed in one place and tested per role.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("City administrator")
    COUNTY_ADMIN = "county_admin", _("County administrator")
    SPECIALIST = "specialist", _("Employment service specialist")
    EMPLOYER = "employer", _("Enterprise HR contact")
    WORKER = "worker", _("Worker")
    HEALTH_OFFICER = "health_officer", _("Health officer")
    LIAISON = "liaison", _("Partner-city liaison")
    VIEWER = "viewer", _("Leadership viewer")
    AUDITOR = "auditor", _("Security auditor")


# Who may grant which roles. An admin never grants a role above their own; auditors are created only by
# the city admin (三权分立: those who act are not those who audit).
GRANTABLE: dict[str, frozenset[str]] = {
    Role.CITY_ADMIN: frozenset(r.value for r in Role),
    Role.COUNTY_ADMIN: frozenset(
        {Role.COUNTY_ADMIN, Role.SPECIALIST, Role.EMPLOYER, Role.WORKER, Role.HEALTH_OFFICER, Role.VIEWER}
    ),
}

STAFF_ROLES = frozenset(r.value for r in Role) - {Role.WORKER}
ADMIN_ROLES = frozenset({Role.CITY_ADMIN, Role.COUNTY_ADMIN})

_DASHBOARD = ADMIN_ROLES | {Role.SPECIALIST, Role.EMPLOYER, Role.HEALTH_OFFICER, Role.LIAISON, Role.VIEWER}

PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard.view": frozenset(_DASHBOARD),
    "regions.view": frozenset(_DASHBOARD - {Role.EMPLOYER}),
    "users.view": ADMIN_ROLES,
    "users.manage": ADMIN_ROLES,
    "users.unmask": ADMIN_ROLES,
    # Registry: people's personal data. Leadership (viewer) sees aggregates only; health officers, liaisons
    # and employers have their own ledgers in later apps.
    "registry.view": ADMIN_ROLES | {Role.SPECIALIST},
    "registry.edit": ADMIN_ROLES | {Role.SPECIALIST},
    "registry.unmask": ADMIN_ROLES | {Role.SPECIALIST},
    "registry.import": ADMIN_ROLES | {Role.SPECIALIST},
    # Enterprises and labour demand. Employers hold these for their own enterprise only (the selectors
    # limit them); leadership sees the dispatch board, which carries no personal data.
    "enterprises.view": ADMIN_ROLES | {Role.SPECIALIST, Role.EMPLOYER},
    "enterprises.edit": ADMIN_ROLES | {Role.SPECIALIST, Role.EMPLOYER},
    "enterprises.create": ADMIN_ROLES | {Role.SPECIALIST},
    "enterprises.designate": ADMIN_ROLES,
    "enterprises.import": ADMIN_ROLES | {Role.SPECIALIST},
    "enterprises.report": ADMIN_ROLES | {Role.SPECIALIST, Role.EMPLOYER},
    "alerts.view": ADMIN_ROLES | {Role.VIEWER},
    "alerts.acknowledge": ADMIN_ROLES,
    "postings.view": ADMIN_ROLES | {Role.SPECIALIST, Role.EMPLOYER},
    "postings.edit": ADMIN_ROLES | {Role.SPECIALIST, Role.EMPLOYER},
    "postings.review": ADMIN_ROLES | {Role.SPECIALIST},
    "referrals.view": ADMIN_ROLES | {Role.SPECIALIST, Role.EMPLOYER},
    "referrals.edit": ADMIN_ROLES | {Role.SPECIALIST, Role.EMPLOYER},
    "referrals.create": ADMIN_ROLES | {Role.SPECIALIST},
    "returnlists.view": ADMIN_ROLES | {Role.SPECIALIST, Role.EMPLOYER},
    "returnlists.upload": ADMIN_ROLES | {Role.SPECIALIST, Role.EMPLOYER},
    "returnlists.contact": ADMIN_ROLES | {Role.SPECIALIST},
    "dispatch.view": ADMIN_ROLES | {Role.SPECIALIST, Role.VIEWER},
    # The 131 service (priority cases). Leadership sees the dashboard's aggregates, never a name.
    "assistance.view": ADMIN_ROLES | {Role.SPECIALIST},
    "assistance.edit": ADMIN_ROLES | {Role.SPECIALIST},
    "assistance.assign": ADMIN_ROLES,
    "assistance.dashboard": ADMIN_ROLES | {Role.SPECIALIST, Role.VIEWER},
    # Matching: runs and the recommendations they store (people's data: registry staff only).
    "matching.view": ADMIN_ROLES | {Role.SPECIALIST},
    "matching.run": ADMIN_ROLES | {Role.SPECIALIST},
    # Vocational training (职业技能培训): programmes, enrolments and their subsidies.
    "training.view": ADMIN_ROLES | {Role.SPECIALIST},
    "training.edit": ADMIN_ROLES | {Role.SPECIALIST},
    # Outreach: campaigns and messages to people (registry staff); a second admin approves large sends;
    # village and township staff work the phone-call lists.
    "outreach.view": ADMIN_ROLES | {Role.SPECIALIST},
    "outreach.send": ADMIN_ROLES | {Role.SPECIALIST},
    "outreach.approve": ADMIN_ROLES,
    "outreach.calls": ADMIN_ROLES | {Role.SPECIALIST},
    "audit.view": frozenset({Role.AUDITOR}),
    "audit.verify": frozenset({Role.AUDITOR}),
    "tasks.view": frozenset(STAFF_ROLES),
}


def roles_have(roles: Iterable[str], perm: str) -> bool:
    allowed = PERMISSIONS[perm]
    return any(role in allowed for role in roles)


def grantable_by(roles: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for role in roles:
        out |= GRANTABLE.get(role, frozenset())
    return frozenset(out)
