from django.urls import path

from . import views

urlpatterns = [
    path("", views.enterprise_list_view, name="enterprise_list"),
    path("new/", views.enterprise_create_view, name="enterprise_create"),
    path("export/", views.enterprise_export_view, name="enterprise_export"),
    path("import/", views.enterprise_import_view, name="enterprise_import"),
    path("import/template/", views.enterprise_import_template_view, name="enterprise_import_template"),
    path("import/report/<str:token>/", views.enterprise_import_report_view, name="enterprise_import_report"),
    path("<int:pk>/", views.enterprise_detail_view, name="enterprise_detail"),
    path("<int:pk>/edit/", views.enterprise_edit_view, name="enterprise_edit"),
    path("<int:pk>/designate/", views.enterprise_designate_view, name="enterprise_designate"),
]
