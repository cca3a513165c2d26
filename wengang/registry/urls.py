from django.urls import path

from . import import_views, views

app_name = "registry"
urlpatterns = [
    path("", views.person_list_view, name="person_list"),
    path("new/", views.person_create_view, name="person_create"),
    path("export/", views.person_export_view, name="person_export"),
    path("export/<uuid:task_id>/", views.export_download_view, name="export_download"),
    path("imports/", import_views.import_list_view, name="import_list"),
    path("imports/template/", import_views.import_template_view, name="import_template"),
    path("imports/<int:pk>/", import_views.import_detail_view, name="import_detail"),
    path("imports/<int:pk>/start/", import_views.import_start_view, name="import_start"),
    path("imports/<int:pk>/report/", import_views.import_report_view, name="import_report"),
    path("<int:pk>/", views.person_detail_view, name="person_detail"),
    path("<int:pk>/edit/", views.person_edit_view, name="person_edit"),
    path("<int:pk>/unmask/", views.person_unmask_view, name="person_unmask"),
]
