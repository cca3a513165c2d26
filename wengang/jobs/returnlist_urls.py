from django.urls import path

from . import returnlist_views as views

urlpatterns = [
    path("returnlists/", views.returnlist_list_view, name="returnlist_list"),
    path("returnlists/upload/", views.returnlist_upload_view, name="returnlist_upload"),
    path("returnlists/template/", views.returnlist_template_view, name="returnlist_template"),
    path("returnlists/<int:pk>/", views.returnlist_detail_view, name="returnlist_detail"),
    path("returnlists/<int:pk>/export/", views.returnlist_export_view, name="returnlist_export"),
    path(
        "returnlists/workers/<int:pk>/contact/", views.returnworker_contact_view, name="returnworker_contact"
    ),
    path("returnlists/workers/<int:pk>/match/", views.returnworker_match_view, name="returnworker_match"),
]
