from django.apps import AppConfig


class DownloadsConfig(AppConfig):
    name = "gonghui.downloads"
    label = "downloads"
    verbose_name = "下载中心"

    def ready(self) -> None:
        from gonghui.core.registry import NavItem, register_nav

        register_nav(NavItem("下载中心", "downloads:list", order=890))
