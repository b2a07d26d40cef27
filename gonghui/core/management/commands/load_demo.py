"""manage.py load_demo [--scale district|city] — the demo district, built from DOMAIN.md's figures.

Idempotent: every step skips what is already there. Apps add their steps through core.registry.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from gonghui.core.management.commands.load_regions import DEFAULT_FILE, load_regions
from gonghui.core.registry import DEMO_STEPS


class Command(BaseCommand):
    help = "加载演示区（黄岩区规模；--scale city 为台州市规模，供性能测试）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", choices=("test", "district", "city"), default="district")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        load_regions(DEFAULT_FILE)
        for step in DEMO_STEPS:
            step.run(scale=opts["scale"], stdout=self.stdout)
        self.stdout.write(f"演示数据就绪，用时 {time.perf_counter() - started:.1f} 秒")
