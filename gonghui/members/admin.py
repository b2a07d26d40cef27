"""Members in the admin (superusers only, gonghui/core/admin_site.py): a read-mostly window.

Memberships, their events, transfers and import jobs are history written by members.services (with the audit
log): shown here, never added, changed or deleted. A person's name, phone and details may be corrected (the
change is audited by auditlog), but a person is never added here (the ID number is encrypted by the services) and
never deleted (that would cascade away their memberships and history).
"""

from django.contrib import admin

from gonghui.core.admin_site import NoDeleteAdmin, ReadOnlyAdmin

from .models import Membership, MembershipEvent, Person, TransferRequest


@admin.register(Person)
class PersonAdmin(NoDeleteAdmin):
    list_display = ("name", "id_masked", "phone", "current_union", "member_no")
    search_fields = ("name", "phone", "member_no")
    exclude = ("id_cipher", "id_index")  # the encrypted ID and its index never appear in the admin
    readonly_fields = ("id_masked", "birth_date", "sex", "member_no", "current_union")
    list_select_related = ("current_union",)
    raw_id_fields = ("employer",)

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # people join through members.services (encrypted ID, blind index, membership, event)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("person", "union", "status", "joined_on", "ended_on", "source")
    list_filter = ("status", "source")
    raw_id_fields = ("person", "union", "recruiter")
    list_select_related = ("person", "union")


@admin.register(MembershipEvent)
class MembershipEventAdmin(ReadOnlyAdmin):
    list_display = ("person", "kind", "on", "union", "actor")
    list_filter = ("kind",)
    list_select_related = ("person", "union", "actor")


@admin.register(TransferRequest)
class TransferRequestAdmin(ReadOnlyAdmin):
    list_display = ("person", "from_union", "to_union", "status", "requested_at", "due_at")
    list_filter = ("status",)
    list_select_related = ("person", "from_union", "to_union")
