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

from . import household_views  # noqa: E402  (appended: households and consent)

urlpatterns += [
    path("households/<int:pk>/", household_views.household_detail_view, name="household_detail"),
    path(
        "households/<int:pk>/members/add/",
        household_views.household_member_add_view,
        name="household_member_add",
    ),
    path(
        "households/<int:pk>/members/<int:person_pk>/relation/",
        household_views.household_member_relation_view,
        name="household_member_relation",
    ),
    path(
        "households/<int:pk>/members/<int:person_pk>/remove/",
        household_views.household_member_remove_view,
        name="household_member_remove",
    ),
    path("households/<int:pk>/head/", household_views.household_head_set_view, name="household_head_set"),
    path("households/<int:pk>/type/", household_views.household_poverty_view, name="household_poverty_set"),
    path("<int:pk>/household/new/", household_views.household_create_view, name="household_create"),
    path("<int:pk>/consent/", views.person_consent_view, name="person_consent"),
]
