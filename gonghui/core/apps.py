from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gonghui.core"
    label = "core"
    verbose_name = "基础数据"

    def ready(self) -> None:
        from .audit import fix_nested_audit_contexts
        from .logscrub import install_log_scrubbing
        from .registry import NavItem, register_nav

        fix_nested_audit_contexts()
        install_log_scrubbing()

        register_nav(NavItem("审计日志", "audit_log", order=900, district_only=True))
