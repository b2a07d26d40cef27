from django.contrib import admin

from .models import ImportJob, Membership, MembershipEvent, Person, TransferRequest


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "id_masked", "phone", "current_union", "member_no")
    search_fields = ("name", "phone", "member_no")
    exclude = ("id_cipher", "id_index")  # the encrypted ID and its index never appear in the admin
    readonly_fields = ("id_masked", "birth_date", "sex", "member_no", "current_union")
    list_select_related = ("current_union",)
    raw_id_fields = ("employer",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("person", "union", "status", "joined_on", "ended_on", "source")
    list_filter = ("status", "source")
    raw_id_fields = ("person", "union", "recruiter")
    list_select_related = ("person", "union")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # changes go through members.services (history, audit)


@admin.register(MembershipEvent)
class MembershipEventAdmin(admin.ModelAdmin):
    list_display = ("person", "kind", "on", "union", "actor")
    list_filter = ("kind",)
    list_select_related = ("person", "union", "actor")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(TransferRequest)
class TransferRequestAdmin(admin.ModelAdmin):
    list_display = ("person", "from_union", "to_union", "status", "requested_at", "due_at")
    list_filter = ("status",)
    list_select_related = ("person", "from_union", "to_union")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("original_name", "union", "status", "created_by", "created_at")
    list_filter = ("status",)
    readonly_fields = ("result",)
