from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "gonghui.members"
    label = "members"
    verbose_name = "会员"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.Person, exclude_fields=["id_cipher", "id_index"])
        for model in (models.Membership, models.TransferRequest, models.JoinSettings, models.Recruiter):
            auditlog.register(model)
