from django.urls import include, path
from django.views.i18n import set_language

from wengang.api.api import api

urlpatterns = [
    path("", include("wengang.dashboards.urls")),
    path("accounts/", include("wengang.accounts.urls")),
    path("regions/", include("wengang.regions.urls")),
    path("registry/", include("wengang.registry.urls")),
    path("enterprises/", include("wengang.employers.urls")),
    path("jobs/", include("wengang.jobs.urls")),
    path("training/", include("wengang.training.urls")),
    path("assistance/", include("wengang.assistance.urls")),
    path("matching/", include("wengang.matching.urls")),
    path("board/", include("wengang.portal.urls")),
    path("outreach/", include("wengang.outreach.urls")),
    path("m/", include("wengang.workers.urls")),
    path("audit/", include("wengang.audit.urls")),
    path("tasks/", include("wengang.background.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
]
