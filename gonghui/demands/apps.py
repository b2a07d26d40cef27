from django.apps import AppConfig


class DemandsConfig(AppConfig):
    name = "gonghui.demands"
    label = "demands"
    verbose_name = "职工诉求"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from gonghui.core import registry as r

        from . import demo_step, models

        auditlog.register(models.Demand)
        r.register_api_router(r.ApiRouter("gonghui.demands.api:router", order=40))
        r.register_demo_step(r.DemoStep("demands", demo_step.run, order=40))
