from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gonghui.core"
    label = "core"
    verbose_name = "基础数据"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (登录日志 receivers)
        from .audit import fix_nested_audit_contexts
        from .logscrub import install_log_scrubbing
        from .registry import NavItem, register_nav

        fix_nested_audit_contexts()
        install_log_scrubbing()

        register_nav(NavItem("操作日志", "audit_log", group="system", permission="view_audit", order=10))
        register_nav(NavItem("登录日志", "login_log", group="system", permission="view_audit", order=20))
        register_nav(NavItem("工作日历", "calendar", group="system", order=30))
        register_nav(NavItem("修改密码", "password_change", group="system", order=90))
