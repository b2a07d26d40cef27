from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("panels/<slug:name>/", views.panel, name="panel"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.xlsx", views.audit_export, name="audit_export"),
    path("audit/logins/", views.login_log, name="login_log"),
    path("calendar/", views.calendar_page, name="calendar"),
]
