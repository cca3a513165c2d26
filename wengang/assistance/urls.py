from django.urls import URLPattern, path

from . import views

app_name = "assistance"
urlpatterns: list[URLPattern] = [
    path("", views.case_list_view, name="case_list"),
    path("export/", views.case_export_view, name="case_export"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path("new/<int:person_id>/", views.case_open_view, name="case_open"),
    path("<int:pk>/", views.case_detail_view, name="case_detail"),
    path("<int:pk>/records/", views.record_add_view, name="record_add"),
    path("<int:pk>/assign/", views.case_assign_view, name="case_assign"),
    path("<int:pk>/close/", views.case_close_view, name="case_close"),
]
