from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("roles/", views.roles, name="roles"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("2fa/", views.otp_security, name="otp_security"),
    path("2fa/verify/", views.otp_verify, name="otp_verify"),
    path("2fa/enrol/", views.otp_enrol, name="otp_enrol"),
    path("2fa/recovery/", views.otp_recovery_regenerate, name="otp_recovery_regenerate"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password_change_done",
    ),
]

# The users console (branch `users`): 用户管理 for those who hold manage_users.
urlpatterns += [
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/roles/", views.user_role_assign, name="user_role_assign"),
    path("users/<int:pk>/roles/<int:assignment_id>/revoke/", views.user_role_revoke, name="user_role_revoke"),
    path("users/<int:pk>/active/", views.user_deactivate, name="user_deactivate"),
    path("users/<int:pk>/password-reset/", views.user_password_reset, name="user_password_reset"),
    path("users/<int:pk>/2fa-reset/", views.user_second_factor_reset, name="user_second_factor_reset"),
]
