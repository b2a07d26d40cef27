from django.urls import path

from . import menu_views, views

app_name = "demands"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.new, name="new"),
    path("export/", views.export, name="export"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("<int:pk>/", views.detail, name="detail"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("services/", menu_views.catalogue, name="services"),
    path("orders/", menu_views.orders, name="orders"),
    path("orders/new/", menu_views.order_new, name="order_new"),
    path("orders/<int:pk>/", menu_views.order_detail, name="order"),
    path("teams/", menu_views.teams, name="teams"),
    path("teams/new/", menu_views.team_new, name="team_new"),
    path("visits/", menu_views.visits, name="visits"),
    path("visits/new/", menu_views.visit_new, name="visit_new"),
    path("visits/export/", menu_views.visit_export, name="visit_export"),
    path("visits/<int:pk>/", menu_views.visit_detail, name="visit"),
    path("visits/photos/<int:pk>/", menu_views.visit_photo, name="visit_photo"),
]
