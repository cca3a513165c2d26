"""The worker's pages under /m/. Login and registration live in auth_views; the rest in pages."""

from django.urls import URLPattern, URLResolver

from . import auth_views, correction_views, pages, review_views

app_name = "workers"
urlpatterns: list[URLPattern | URLResolver] = [
    *auth_views.urlpatterns,
    *pages.urlpatterns,
    *review_views.urlpatterns,
    *correction_views.urlpatterns,
]
