from django.urls import path

from . import views

app_name = "demands"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.new, name="new"),
    path("export/", views.export, name="export"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("<int:pk>/", views.detail, name="detail"),
    path("photos/<int:pk>/", views.photo, name="photo"),
]
