"""The site's URLs: the platform's own, then every app's mounts as registered (gonghui.core.registry.register_urls),
then the console's root. Error pages are the console's (zh-hans, in the shell or in the phone style)."""

from django.contrib import admin
from django.urls import include, path

from gonghui.api import api
from gonghui.core.registry import URL_MOUNTS

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("gonghui.accounts.urls")),
    path("api/v1/", api.urls),
    *(path(mount.prefix, include(mount.module)) for mount in URL_MOUNTS),
    path("", include("gonghui.core.urls")),
]

handler400 = "gonghui.core.views.bad_request"
handler403 = "gonghui.core.views.permission_denied"
handler404 = "gonghui.core.views.page_not_found"
handler500 = "gonghui.core.views.server_error"
