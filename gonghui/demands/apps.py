from django.apps import AppConfig


class DemandsConfig(AppConfig):
    name = "gonghui.demands"
    label = "demands"
    verbose_name = "职工诉求"

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.urls import reverse

        from gonghui.core import registry as r
        from gonghui.core.schedule import Periodic, register_periodic
        from gonghui.downloads.kinds import ExportKind, register_export_kind

        from . import demo_step, exports, models, panels

        auditlog.register(models.Demand)
        for model in (models.ServiceItem, models.ServiceOrder, models.ServiceTeam, models.CircuitVisit):
            auditlog.register(model)
        r.register_nav(r.NavItem("诉求工单", "demands:queue", group="service", order=10))
        r.register_nav(r.NavItem("登记诉求", "demands:new", group="service", permission="handle", order=20))
        r.register_nav(r.NavItem("诉求看板", "demands:dashboard", group="service", order=30))
        r.register_nav(r.NavItem("服务菜单", "demands:services", group="service", order=40))
        r.register_nav(r.NavItem("服务订单", "demands:orders", group="service", order=50))
        r.register_nav(r.NavItem("巡回服务", "demands:visits", group="service", order=60))
        r.register_nav(r.NavItem("巡回服务队", "demands:teams", group="service", order=70))
        r.register_panel(r.Panel("demands", "demands/panel.html", panels.panel_context, order=30, title="职工诉求"))
        r.register_api_router(r.ApiRouter("gonghui.demands.api:router", order=40))
        r.register_api_router(r.ApiRouter("gonghui.demands.menu_api:router", order=41))
        r.register_urls(r.UrlMount("demands/", "gonghui.demands.urls", order=40))
        r.register_urls(r.UrlMount("m/", "gonghui.demands.phone_urls", order=41))
        r.register_audit_target(r.AuditTarget("demands.demand", lambda o: reverse("demands:detail", args=[o.pk])))
        r.register_audit_target(r.AuditTarget("demands.serviceorder", lambda o: reverse("demands:order", args=[o.pk])))
        r.register_audit_target(r.AuditTarget("demands.circuitvisit", lambda o: reverse("demands:visit", args=[o.pk])))
        r.register_demo_step(r.DemoStep("demands", demo_step.run, order=40))
        register_export_kind(ExportKind(exports.KIND, exports.build_export))
        register_export_kind(ExportKind(exports.VISIT_KIND, exports.build_visit_export))
        register_periodic(Periodic("demands_watch_clock", "gonghui.demands.tasks.watch_clock", every=900,
                                   label="诉求临期提醒与超时上报"))
