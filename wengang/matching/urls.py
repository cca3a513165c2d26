from django.urls import path

from . import views

app_name = "matching"
urlpatterns = [
    path("runs/", views.run_list_view, name="run_list"),
    path("runs/start/", views.run_start_view, name="run_start"),
    path("runs/<int:pk>/", views.run_detail_view, name="run_detail"),
    path("persons/<int:pk>/", views.person_recommendations_view, name="person_recommendations"),
    path("postings/<int:pk>/candidates/", views.posting_candidates_view, name="posting_candidates"),
]
