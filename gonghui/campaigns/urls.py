from django.urls import path

from . import import_views, views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/lists/<int:list_pk>/", views.list_detail, name="list_detail"),
    path("<int:pk>/lists/<int:list_pk>/review/", views.review, name="review"),
    path("<int:pk>/firms/", views.firm_list, name="firms"),
    path("<int:pk>/firms/<int:firm_pk>/", views.firm_detail, name="firm"),
    path("<int:pk>/firms/<int:firm_pk>/welcome/", views.welcome, name="welcome"),
    path("<int:pk>/tasks/", views.tasks, name="tasks"),
    path("<int:pk>/bulletin/", views.bulletin, name="bulletin"),
    path("<int:pk>/dashboard/", views.dashboard, name="dashboard"),
    path("tasks-import/", import_views.VIEWS.upload, name="tasks_import"),
    path("tasks-import/confirm/", import_views.VIEWS.confirm, name="tasks_import_confirm"),
    path("tasks-import/errors/", import_views.VIEWS.errors, name="tasks_import_errors"),
    path("tasks-import/template/", import_views.VIEWS.template, name="tasks_import_template"),
    path("tasks-import/<int:pk>/", import_views.VIEWS.job, name="tasks_import_job"),
]
