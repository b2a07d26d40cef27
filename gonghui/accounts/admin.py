"""Accounts in the admin (superusers only): the one place the admin writes.

A superuser may create an account, reset a password, grant or withdraw superuser status, or deactivate an
account. Accounts are deactivated, never deleted (a deletion would cascade their role assignments and tokens
away and blank the actor of their audit entries). Role assignments and API tokens are shown read-only: roles are
granted in the console's user management, tokens revoked by their owner or by deactivating the account.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from gonghui.core.admin_site import NoDeleteAdmin, ReadOnlyAdmin

from .models import ApiToken, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fields = ("role", "union", "active", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(User)
class GonghuiUserAdmin(NoDeleteAdmin, UserAdmin):
    list_display = ("username", "display_name", "phone", "is_active", "is_superuser", "last_login")
    list_filter = ("is_active", "is_superuser")
    search_fields = ("username", "display_name", "phone")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("display_name", "phone", "email")}),
        ("权限", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("时间", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    inlines = (RoleAssignmentInline,)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("user", "role", "union", "active", "created_at")
    list_filter = ("role", "active")
    search_fields = ("user__username", "user__display_name", "union__name")
    list_select_related = ("user", "union")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("user", "prefix", "name", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("user",)
    exclude = ("key_hash",)
