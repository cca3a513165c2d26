from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("", views.programme_list_view, name="programme_list"),
    path("new/", views.programme_create_view, name="programme_create"),
    path("export/", views.enrolment_export_view, name="enrolment_export"),
    path("<int:pk>/", views.programme_detail_view, name="programme_detail"),
    path("<int:pk>/edit/", views.programme_edit_view, name="programme_edit"),
    path("<int:pk>/enrol/", views.enrol_view, name="enrol"),
    path("enrolments/<int:pk>/", views.enrolment_record_view, name="enrolment_record"),
    path("enrolments/<int:pk>/subsidy/", views.subsidy_view, name="enrolment_subsidy"),
]
