from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "gonghui.members"
    label = "members"
    verbose_name = "会员"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from gonghui.core import registry as r

        from . import demo_step, models, panels

        auditlog.register(models.Person, exclude_fields=["id_cipher", "id_index"])
        auditlog.register(models.IdentityClaim, exclude_fields=["id_index"])
        for model in (models.Membership, models.TransferRequest, models.JoinSettings, models.Recruiter):
            auditlog.register(model)
        r.register_nav(r.NavItem("会员名册", "members:list", group="member", order=10))
        r.register_nav(r.NavItem("转会", "members:transfers", group="member", order=20))
        r.register_nav(r.NavItem("名册导入", "members:import", group="member", permission="change", order=30))
        r.register_nav(r.NavItem("入会审核", "members:approvals", group="join", permission="approve", order=10))
        r.register_nav(r.NavItem("入会率", "members:rates", group="join", order=20))
        r.register_panel(r.Panel("todo", "members/panel_todo.html", panels.todo_context, order=1, title="待办事项"))
        r.register_panel(r.Panel("members", "members/panel_dashboard.html", panels.dashboard_context, order=20,
                                 title="会员与入会"))
        r.register_api_router(r.ApiRouter("gonghui.members.api:router", order=30))
        r.register_urls(r.UrlMount("members/", "gonghui.members.urls", order=30))
        # /join/<code>/, /card/, /join-admin/<id>/ (namespace "join"), at the site root
        r.register_urls(r.UrlMount("", "gonghui.members.join_urls", order=31))
        from django.urls import reverse

        def person_url(o: models.Person) -> str:
            return reverse("members:detail", args=[o.pk])

        r.register_audit_target(r.AuditTarget("members.person", person_url))
        r.register_audit_target(r.AuditTarget(
            "members.membership", lambda o: reverse("members:detail", args=[o.person_id]),
            name=lambda o: f"{o.person.name} · {o.union.name}", related=("person", "union")))
        r.register_audit_target(r.AuditTarget(
            "members.transferrequest", lambda o: reverse("members:detail", args=[o.person_id]),
            name=lambda o: f"{o.person.name}的转会申请（{o.from_union.name} → {o.to_union.name}）",
            related=("person", "from_union", "to_union")))
        r.register_audit_target(r.AuditTarget(
            "members.joinsettings", lambda o: reverse("join:admin", args=[o.union_id]),
            name=lambda o: f"{o.union.name}的扫码入会设置", related=("union",)))
        r.register_audit_target(r.AuditTarget(
            "members.identityclaim", lambda o: reverse("members:approvals"), related=("union",)))
        r.register_audit_target(r.AuditTarget("members.recruiter", lambda o: reverse("join:admin", args=[o.union_id])))
        r.register_demo_step(r.DemoStep("members", demo_step.run, order=20))

        from gonghui.downloads.kinds import ExportKind, register_export_kind

        from .exports import KIND, build_export

        register_export_kind(ExportKind(KIND, build_export))

        from gonghui.core.schedule import Periodic, register_periodic

        register_periodic(Periodic("complete_due_transfers", "gonghui.members.tasks.complete_due_transfers",
                                   every=600, label="逾期 7 天未审批的转会自动办结"))
