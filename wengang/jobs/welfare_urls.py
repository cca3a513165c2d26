from django.urls import path

from . import welfare_views as views

urlpatterns = [
    path("welfare/", views.welfare_list_view, name="welfare_list"),
    path("welfare/export/", views.welfare_export_view, name="welfare_export"),
    path("welfare/<int:pk>/", views.welfare_detail_view, name="welfare_detail"),
    path("welfare/<int:pk>/month/", views.welfare_month_view, name="welfare_month"),
    path("welfare/<int:pk>/renew/", views.welfare_renew_view, name="welfare_renew"),
    path("welfare/<int:pk>/exit/", views.welfare_exit_view, name="welfare_exit"),
    path("postings/<int:pk>/welfare/place/", views.welfare_place_view, name="welfare_place"),
]
