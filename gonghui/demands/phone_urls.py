"""The worker's phone pages, namespace "phone", mounted at /m/."""

from django.urls import path

from . import phone_views as views

app_name = "phone"

urlpatterns = [
    path("demands/", views.my_demands, name="demands"),
    path("demands/new/", views.file_demand, name="demand_new"),
    path("demands/<int:pk>/", views.demand_page, name="demand"),
]
