from django.urls import path

from . import import_views, views

app_name = "members"

urlpatterns = [
    path("", views.member_list, name="list"),
    path("new/", views.member_new, name="new"),
    path("export.xlsx", views.member_export, name="export"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/reveal/", views.member_reveal, name="reveal"),
    path("<int:pk>/change/", views.member_change, name="change"),
    path("transfers/", views.transfer_inbox, name="transfers"),
    path("transfers/new/", views.transfer_in, name="transfer_in"),
    path("transfers/<int:pk>/decide/", views.transfer_decide, name="transfer_decide"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/decide/", views.join_decide, name="join_decide"),
    path("identity-claims/<int:pk>/decide/", views.identity_claim_decide, name="identity_claim_decide"),
    path("approvals/batch/", views.join_batch, name="join_batch"),
    path("import/", import_views.VIEWS.upload, name="import"),
    path("import/template.xlsx", import_views.VIEWS.template, name="import_template"),
    path("import/<int:pk>/", import_views.VIEWS.job, name="import_job"),
    path("import/<int:pk>/confirm/", import_views.VIEWS.confirm, name="import_confirm"),
    path("import/<int:pk>/errors.xlsx", import_views.VIEWS.errors, name="import_errors"),
    path("rates/", views.rates, name="rates"),
]
