from django.urls import URLPattern, path

from . import report_views as views

urlpatterns: list[URLPattern] = [
    path("reports/", views.staff_report_list_view, name="staff_report_list"),
    path("reports/new/", views.staff_report_create_view, name="staff_report_create"),
    path("reports/<int:pk>/", views.staff_report_detail_view, name="staff_report_detail"),
    path("layoffs/", views.layoff_list_view, name="layoff_list"),
    path("layoffs/export/", views.layoff_export_view, name="layoff_export"),
    path("layoffs/new/", views.layoff_create_view, name="layoff_create"),
    path("alerts/", views.alert_list_view, name="alert_list"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge_view, name="alert_acknowledge"),
    path("retention/", views.retention_summary_view, name="retention_summary"),
    path("retention/export/", views.retention_export_view, name="retention_export"),
]
