from django.urls import URLPattern, path

from . import referral_views as views

urlpatterns: list[URLPattern] = [
    path("referrals/", views.referral_list_view, name="referral_list"),
    path("referrals/new/", views.referral_create_view, name="referral_create"),
    path("referrals/export/", views.referral_export_view, name="referral_export"),
    path("referrals/<int:pk>/", views.referral_detail_view, name="referral_detail"),
    path("referrals/<int:pk>/transition/", views.referral_transition_view, name="referral_transition"),
]
