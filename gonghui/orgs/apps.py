from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "gonghui.orgs"
    label = "orgs"
    verbose_name = "组织体系"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from gonghui.core import registry as r

        from . import demo_step, models, panels, policy

        for model in (models.Union, models.Enterprise, models.Coverage, models.Committee, models.CommitteeMember):
            auditlog.register(model)
        # The tree owns scope, so the console's menus and whole-district pages ask it through the registry.
        r.set_permission_policy(granted=policy.granted, can_everywhere=policy.can_everywhere,
                                scope_names=policy.scope_names)
        r.register_nav(r.NavItem("组织树", "orgs:tree", group="org", order=10))
        r.register_nav(r.NavItem("工会名录", "orgs:union_list", group="org", order=20))
        r.register_nav(r.NavItem("企业名录", "orgs:enterprise_list", group="org", order=30))
        r.register_nav(r.NavItem("工会企业导入", "orgs:import_index", group="org", permission="change", order=90))
        r.register_panel(r.Panel("orgs", "orgs/panel_dashboard.html", panels.dashboard_context, order=10,
                                 title="组织与建会"))
        r.register_api_router(r.ApiRouter("gonghui.orgs.api:router", order=20))
        r.register_urls(r.UrlMount("orgs/", "gonghui.orgs.urls", order=20))
        r.register_urls(r.UrlMount("pick/", "gonghui.orgs.picker_urls", order=21))
        from django.urls import reverse

        r.register_audit_target(r.AuditTarget("orgs.union", lambda o: reverse("orgs:union_detail", args=[o.pk])))
        r.register_audit_target(r.AuditTarget("orgs.enterprise",
                                              lambda o: reverse("orgs:enterprise_detail", args=[o.pk])))
        r.register_audit_target(r.AuditTarget(
            "orgs.coverage", lambda o: reverse("orgs:enterprise_detail", args=[o.enterprise_id]),
            name=lambda o: f"{o.enterprise.name} · {o.union.name}", related=("enterprise", "union")))
        r.register_demo_step(r.DemoStep("orgs", demo_step.run, order=10))

        from gonghui.core.schedule import Periodic, register_periodic

        register_periodic(Periodic("imports_sweep", "gonghui.orgs.tasks.imports_sweep", every=3600,
                                   label="删除过期的上传文件与错误报告"))
