from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wengang.accounts.scoping import significant_prefix
from wengang.audit.models import Action
from wengang.audit.services import audit_record

from .selectors import county_metrics, county_names, home_counts


def home_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if not user.can("dashboard.view"):
        if user.can("audit.view"):
            return redirect("audit:event_list")
        return render(request, "403.html", status=403)
    counts = home_counts(user=user)
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type="dashboards.home",
        changes={"counts": counts},
        request=request,
    )
    metrics = county_metrics(user=user)
    city = settings.WENGANG_CITY_CODE
    map_data = {
        "geojson": "geo/luoyang_counties.geojson",
        "names": county_names(city_prefix=significant_prefix(city)),
        "metrics": [
            {"key": "labour_force", "label": _("Rural labour force"), "values": metrics["labour_force"]},
            {"key": "migrants", "label": _("Working outside the county"), "values": metrics["migrants"]},
            {"key": "returning", "label": _("Planning to return home"), "values": metrics["returning"]},
            {
                "key": "unemployed_seeking",
                "label": _("Unemployed and seeking work"),
                "values": metrics["unemployed_seeking"],
            },
            {"key": "villages", "label": _("Villages"), "values": metrics["villages"]},
            {"key": "townships", "label": _("Townships"), "values": metrics["townships"]},
            {"key": "accounts", "label": _("Active accounts"), "values": metrics["accounts"]},
        ],
    }
    return render(request, "dashboards/home.html", {"counts": counts, "map_data": map_data})
