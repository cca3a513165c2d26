from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_list_view, name="event_list"),
    path("export/", views.audit_export_view, name="event_export"),
    path("verify/", views.audit_verify_start_view, name="verify_start"),
]
