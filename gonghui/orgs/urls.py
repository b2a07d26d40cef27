from django.urls import path

from . import import_views, views

app_name = "orgs"

urlpatterns = [
    path("tree/", views.tree, name="tree"),
    path("tree/<int:pk>/children/", views.tree_children, name="tree_children"),
    path("unions/", views.union_list, name="union_list"),
    path("unions/new/", views.union_new, name="union_new"),
    path("unions/<int:pk>/", views.union_detail, name="union_detail"),
    path("unions/<int:pk>/edit/", views.union_edit, name="union_edit"),
    path("unions/<int:pk>/move/", views.union_move, name="union_move"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_new, name="enterprise_new"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("import/", import_views.import_index, name="import_index"),
    path("import/<str:kind>/", import_views.VIEWS.upload, name="import"),
    path("import/<str:kind>/template/", import_views.VIEWS.template, name="import_template"),
    path("import/<str:kind>/confirm/", import_views.VIEWS.confirm, name="import_confirm"),
    path("import/<str:kind>/errors/", import_views.VIEWS.errors, name="import_errors"),
    path("import/<str:kind>/<int:pk>/", import_views.VIEWS.job, name="import_job"),
    path("import/<str:kind>/<int:pk>/deliverable/", import_views.VIEWS.deliverable, name="import_deliverable"),
]
