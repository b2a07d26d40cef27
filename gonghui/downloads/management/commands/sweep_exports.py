"""manage.py sweep_exports — delete the files of expired exports (run it hourly, e.g. from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gonghui.downloads.services import export_sweep


class Command(BaseCommand):
    help = "删除已过期的导出文件（建议每小时运行一次）"

    def handle(self, *args: Any, **opts: Any) -> None:
        n = export_sweep()
        self.stdout.write(f"已清理过期导出 {n} 个")
