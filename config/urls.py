from django.contrib import admin
from django.urls import include, path

from gonghui.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("gonghui.accounts.urls")),
    path("api/v1/", api.urls),
    path("orgs/", include("gonghui.orgs.urls")),
    path("members/", include("gonghui.members.urls")),
    path("downloads/", include("gonghui.downloads.urls")),
    path("", include("gonghui.members.join_urls")),  # /join/<code>/, /card/, /join-admin/<id>/ (namespace "join")
    path("", include("gonghui.core.urls")),
]
