"""The Django admin as 数智工会 runs it: superusers only, read-mostly, in Chinese.

The console (with its scope, services and audit) is where cadres work; the admin is a superuser's window onto the
raw tables. So:
- `GonghuiAdminSite.has_permission` lets in active superusers only. `is_staff` alone (Django's default) opens
  nothing: a staff account that is not a superuser gets the admin's login page, as an anonymous visitor does.
- History is never deleted or edited here (memberships and their events, people, coverage, the audit log): a
  deletion would cascade away a member's record, and every change to them goes through the apps' services.
  `ReadOnlyAdmin` shows a model without add, change or delete; `NoDeleteAdmin` allows changes but no deletion
  (not even the changelist's bulk "delete selected" action).

Loaded by INSTALLED_APPS (`GonghuiAdminConfig` replaces "django.contrib.admin") before the models are ready, so
it imports no model; each app's admin.py imports the base classes from here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

SITE_NAME = "数智工会 系统管理"


class GonghuiAdminSite(admin.AdminSite):
    site_header = SITE_NAME
    site_title = SITE_NAME
    index_title = SITE_NAME
    site_url = "/"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)


class GonghuiAdminConfig(AdminConfig):
    default_site = "gonghui.core.admin_site.GonghuiAdminSite"


class NoDeleteAdmin(admin.ModelAdmin):
    """Viewable and changeable, never deleted (nor bulk-deleted) from the admin."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class ReadOnlyAdmin(NoDeleteAdmin):
    """History and records kept by the services: shown, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
