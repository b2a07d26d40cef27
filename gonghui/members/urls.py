from django.urls import path

from . import import_views, views

app_name = "members"

urlpatterns = [
    path("", views.member_list, name="list"),
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
    path("import/", import_views.import_start, name="import"),
    path("import/template.xlsx", import_views.import_template, name="import_template"),
    path("import/<int:pk>/", import_views.import_job, name="import_job"),
    path("import/<int:pk>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/errors.xlsx", import_views.import_errors, name="import_errors"),
    path("rates/", views.rates, name="rates"),
]
