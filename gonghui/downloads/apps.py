from django.apps import AppConfig


class DownloadsConfig(AppConfig):
    name = "gonghui.downloads"
    label = "downloads"
    verbose_name = "下载中心"

    def ready(self) -> None:
        from gonghui.core import registry as r

        r.register_nav(r.NavItem("下载中心", "downloads:list", group="system", order=30))
        r.register_urls(r.UrlMount("downloads/", "gonghui.downloads.urls", order=40))

        from gonghui.core.schedule import Periodic, register_periodic

        register_periodic(Periodic("exports_sweep", "gonghui.downloads.tasks.exports_sweep", every=3600,
                                   label="删除过期的导出文件"))
