"""Admin of the shared tables: regions (reference data) and the audit log, both read-only.

auditlog registers its own LogEntry admin, which lets a deletion elsewhere in the admin cascade into audit entries;
ours replaces it (auditlog comes before gonghui.core in INSTALLED_APPS, so its admin module has run by now) and
never deletes an entry.
"""

from __future__ import annotations

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin

from .admin_site import ReadOnlyAdmin
from .models import Region


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)


class AuditEntryAdmin(ReadOnlyAdmin, LogEntryAdmin):
    """auditlog's own list and detail pages, with no way to add, change or delete an entry."""


if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)
admin.site.register(LogEntry, AuditEntryAdmin)
