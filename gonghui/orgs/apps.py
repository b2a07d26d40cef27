from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "gonghui.orgs"
    label = "orgs"
    verbose_name = "组织体系"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from gonghui.core.registry import DemoStep, NavItem, Panel, register_demo_step, register_nav, register_panel

        from . import demo_step, models, panels

        for model in (models.Union, models.Enterprise, models.Coverage, models.Committee, models.CommitteeMember):
            auditlog.register(model)
        register_nav(NavItem("组织树", "orgs:tree", order=10))
        register_nav(NavItem("企业", "orgs:enterprise_list", order=20))
        register_nav(NavItem("工会企业导入", "orgs:import_index", order=90))
        register_panel(Panel("orgs/panel_dashboard.html", panels.dashboard_context, order=10))
        register_demo_step(DemoStep("orgs", demo_step.run, order=10))

        from gonghui.core.schedule import Periodic, register_periodic

        register_periodic(Periodic("imports_sweep", "gonghui.orgs.tasks.imports_sweep", every=3600,
                                   label="删除过期的上传文件与错误报告"))
