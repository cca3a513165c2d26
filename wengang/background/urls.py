from django.urls import path

from . import views

app_name = "background"
urlpatterns = [
    path("", views.task_list_view, name="task_list"),
    path("<uuid:pk>/", views.task_detail_view, name="task_detail"),
    path("<uuid:pk>/progress/", views.task_progress_view, name="task_progress"),
]
