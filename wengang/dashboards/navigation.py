"""The staff navigation, by capability. Capabilities not yet built are shown greyed, not linked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str | None
    perm: str | None


NAV: tuple[NavItem, ...] = (
    NavItem(_("Home"), "dashboards:home", "dashboard.view"),
    NavItem(_("Labour registry"), "registry:person_list", "registry.view"),
    NavItem(_("Enterprises"), "employers:enterprise_list", "enterprises.view"),
    NavItem(_("Postings"), "jobs:posting_list", "postings.view"),
    NavItem(_("Referrals"), "jobs:referral_list", "referrals.view"),
    NavItem(_("Dispatch board"), "jobs:dispatch_board", "dispatch.view"),
    NavItem(_("Returning workers"), "jobs:returnlist_list", "returnlists.view"),
    NavItem(_("Public-welfare placements"), "jobs:welfare_list", "postings.review"),
    NavItem(_("Staff and retention reports"), "employers:staff_report_list", "enterprises.report"),
    NavItem(_("Retention summary"), "employers:retention_summary", "alerts.view"),
    NavItem(_("Mass-layoff alerts"), "employers:alert_list", "alerts.view"),
    NavItem(_("Matching"), "matching:run_list", "matching.view"),
    NavItem(_("Employment assistance"), "assistance:case_list", "assistance.view"),
    NavItem(_("131 service dashboard"), "assistance:dashboard", "assistance.dashboard"),
    NavItem(_("Vocational training"), "training:programme_list", "training.view"),
    NavItem(_("Outreach campaigns"), "outreach:campaign_list", "outreach.view"),
    NavItem(_("Phone-call list"), "outreach:call_list", "outreach.calls"),
    NavItem(_("Worker self-registrations"), "workers:registration_list", "registry.edit"),
    NavItem(_("Correction requests"), "workers:correction_list", "registry.edit"),
    NavItem(_("Charter transport"), None, None),
    NavItem(_("Returnee health ledger"), None, None),
    NavItem(_("Monitoring & early warning"), None, None),
    NavItem(_("Labour cooperation"), None, None),
    NavItem(_("Leadership dashboard"), None, None),
    NavItem(_("Regions"), "regions:region_list", "regions.view"),
    NavItem(_("Accounts"), "accounts:user_list", "users.view"),
    NavItem(_("Audit log"), "audit:event_list", "audit.view"),
    NavItem(_("Background tasks"), "background:task_list", "tasks.view"),
)


def navigation_for(user: Any, path: str) -> list[dict[str, Any]]:
    items = []
    for item in NAV:
        if item.url_name is None:
            if user.can("dashboard.view"):
                items.append({"label": item.label, "url": None, "active": False})
            continue
        if item.perm and not user.can(item.perm):
            continue
        url = reverse(item.url_name)
        active = path == url if url == "/" else path.startswith(url)
        items.append({"label": item.label, "url": url, "active": active})
    return items
