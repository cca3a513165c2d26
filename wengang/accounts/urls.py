from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/totp/", views.login_totp_view, name="login_totp"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("users/", views.user_list_view, name="user_list"),
    path("users/export/", views.user_export_view, name="user_export"),
    path("users/new/", views.user_create_view, name="user_create"),
    path("users/<int:pk>/disable/", views.user_disable_view, name="user_disable"),
    path("users/<int:pk>/unmask/", views.user_unmask_view, name="user_unmask"),
    path("users/<int:pk>/reset-2fa/", views.user_second_factor_reset_view, name="user_reset_2fa"),
]
