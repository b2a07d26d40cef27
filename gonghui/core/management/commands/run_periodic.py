"""manage.py run_periodic — enqueue the registered periodic jobs when they fall due (see gonghui.core.schedule)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from gonghui.core.schedule import PERIODIC, enqueue_due


class Command(BaseCommand):
    help = "按周期把定时任务（逾期转会自动办结、清理过期上传与导出文件等）放入后台队列"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="只检查一次（供 cron 调用），不常驻")
        parser.add_argument("--interval", type=int, default=30, help="常驻时每隔多少秒检查一次（默认 30）")

    def handle(self, *args: Any, once: bool = False, interval: int = 30, **options: Any) -> None:
        if options.get("verbosity", 1) > 1:
            for job in PERIODIC:
                self.stdout.write(f"{job.name}: 每 {job.every} 秒 · {job.label}")
        while True:
            for name in enqueue_due():
                self.stdout.write(f"已放入队列：{name}")
            if once:
                return
            time.sleep(max(1, interval))
