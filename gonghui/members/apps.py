from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "gonghui.members"
    label = "members"
    verbose_name = "会员"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from gonghui.core.registry import DemoStep, NavItem, Panel, register_demo_step, register_nav, register_panel

        from . import demo_step, models, panels

        auditlog.register(models.Person, exclude_fields=["id_cipher", "id_index"])
        for model in (models.Membership, models.TransferRequest, models.JoinSettings, models.Recruiter):
            auditlog.register(model)
        register_nav(NavItem("会员", "members:list", order=30))
        register_nav(NavItem("转会", "members:transfers", order=31))
        register_nav(NavItem("入会审核", "members:approvals", order=32))
        register_nav(NavItem("名册导入", "members:import", order=33))
        register_nav(NavItem("入会率", "members:rates", order=34))
        register_panel(Panel("members/panel_dashboard.html", panels.dashboard_context, order=20))
        register_demo_step(DemoStep("members", demo_step.run, order=20))

        from gonghui.downloads.kinds import ExportKind, register_export_kind

        from .exports import KIND, build_export

        register_export_kind(ExportKind(KIND, build_export))

