"""manage.py sweep_imports: delete uploaded files and error workbooks older than GONGHUI_IMPORT_TTL_HOURS.

Run it from cron (or enqueue `gonghui.orgs.tasks.imports_sweep`); every new upload also sweeps."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gonghui.core.importing import ttl
from gonghui.orgs.import_jobs import sweep


class Command(BaseCommand):
    help = "删除超过保存期限的导入文件和错误行工作簿"

    def handle(self, *args: Any, **opts: Any) -> None:
        removed = sweep()
        hours = ttl().total_seconds() / 3600
        self.stdout.write(f"已删除 {removed} 个超过 {hours:g} 小时的导入文件夹")
