"""The public job board at ``/board/`` (namespace ``portal``); worker pages will join it here."""

from django.urls import URLPattern, path

from . import views

app_name = "portal"
urlpatterns: list[URLPattern] = [
    path("", views.board_view, name="board"),
    path("<int:pk>/", views.board_posting_view, name="board_posting"),
]
