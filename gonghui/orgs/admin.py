"""The union tree and the enterprise registry in the admin (superusers only): read-only.

Unions and enterprises are created, moved and revoked in the console through orgs.services (tree integrity,
territory, coverage, audit); coverage is history. The admin shows them and changes nothing.
"""

from django.contrib import admin

from gonghui.core.admin_site import ReadOnlyAdmin

from .models import Coverage, Enterprise, Union


@admin.register(Union)
class UnionAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "code", "status", "chair")
    list_filter = ("kind", "status")
    search_fields = ("name", "code")
    exclude = ("path", "depth", "numchild")


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyAdmin):
    list_display = ("name", "uscc", "territory", "covering_union", "headcount", "status")
    list_filter = ("status",)
    search_fields = ("name", "uscc")
    list_select_related = ("territory", "covering_union")
    raw_id_fields = ("territory", "covering_union", "region")


@admin.register(Coverage)
class CoverageAdmin(ReadOnlyAdmin):
    list_display = ("enterprise", "union", "started_on", "ended_on", "note")
    search_fields = ("enterprise__name", "enterprise__uscc", "union__name")
    list_select_related = ("enterprise", "union")
    raw_id_fields = ("enterprise", "union")
