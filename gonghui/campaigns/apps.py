from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "gonghui.campaigns"
    label = "campaigns"
    verbose_name = "建会入会行动"

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.urls import reverse

        from gonghui.core import registry as r

        from . import demo_step, models, panels

        for model in (models.Campaign, models.SourceList, models.CampaignFirm, models.ScreeningStep,
                      models.Founding, models.PairDecision, models.WelcomeKit):
            auditlog.register(model)
        r.register_nav(r.NavItem("建会入会行动", "campaigns:list", group="join", order=5))
        r.register_panel(r.Panel("campaigns", "campaigns/panel_progress.html", panels.progress_context, order=30,
                                 title="建会入会进展"))
        r.register_api_router(r.ApiRouter("gonghui.campaigns.api:router", order=50))
        r.register_urls(r.UrlMount("campaigns/", "gonghui.campaigns.urls", order=50))
        r.register_audit_target(r.AuditTarget("campaigns.campaign", lambda o: reverse("campaigns:detail", args=[o.pk])))
        r.register_audit_target(r.AuditTarget(
            "campaigns.campaignfirm", lambda o: reverse("campaigns:firm", args=[o.campaign_id, o.pk]),
            related=("enterprise",)))
        r.register_demo_step(r.DemoStep("campaigns", demo_step.run, order=40))
