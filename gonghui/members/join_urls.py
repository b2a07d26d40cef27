"""扫码入会 URLs, namespace "join" (included at the site root by config/urls.py)."""

from django.urls import path

from . import join_views as views

app_name = "join"

urlpatterns = [
    path("join/<str:union_code>/", views.join_form, name="form"),
    path("join/<str:union_code>/verify/", views.join_verify_step, name="verify_step"),
    path("join/<str:union_code>/done/", views.join_result, name="result"),
    path("join/<str:union_code>/employers/", views.join_employers, name="employers"),
    path("join/<str:union_code>/poster/", views.poster, name="poster"),
    path("join/<str:union_code>/qr.png", views.join_qr_png, name="qr_png"),
    path("join-admin/<int:union_id>/", views.join_admin, name="admin"),
    path("card/", views.card, name="card"),
    path("card/login/", views.card_login, name="card_login"),
    path("card/logout/", views.card_logout, name="card_logout"),
    path("card/verify/<str:token>/", views.card_verify, name="verify"),
]
