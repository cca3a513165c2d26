from django.urls import path

from . import posting_views as views

urlpatterns = [
    path("postings/", views.posting_list_view, name="posting_list"),
    path("postings/new/", views.posting_create_view, name="posting_create"),
    path("postings/export/", views.posting_export_view, name="posting_export"),
    path("postings/occupations/", views.occupation_suggest_view, name="occupation_suggest"),
    path("postings/<int:pk>/", views.posting_detail_view, name="posting_detail"),
    path("postings/<int:pk>/edit/", views.posting_edit_view, name="posting_edit"),
    path("postings/<int:pk>/status/", views.posting_transition_view, name="posting_transition"),
    path("dispatch/", views.dispatch_board_view, name="dispatch_board"),
    path("dispatch/export/", views.dispatch_export_view, name="dispatch_export"),
]
