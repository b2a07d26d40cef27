"""manage.py load_regions FILE — load a province → city → county → township table from CSV.

Columns: code,name,level,parent_code (parent rows before children or anywhere: parents are resolved after
all rows are read). Idempotent: rows are matched by code.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gonghui.core.models import Region

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "data" / "regions_taizhou.csv"


def load_regions(path: Path) -> dict[str, int]:
    """Upsert every region in the CSV; all-or-nothing. Returns counts."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    need = {"code", "name", "level", "parent_code"}
    if not rows or not need.issubset(rows[0].keys()):
        raise CommandError(f"区划文件须包含列：{', '.join(sorted(need))}")
    levels = set(Region.Level.values)
    codes = {r["code"].strip() for r in rows}
    counts = {"created": 0, "updated": 0}
    with transaction.atomic():
        by_code: dict[str, Region] = {}
        for i, r in enumerate(rows, start=2):
            code, level = r["code"].strip(), r["level"].strip()
            if level not in levels:
                raise CommandError(f"第{i}行：未知层级“{level}”")
            parent_code = r["parent_code"].strip()
            if parent_code and parent_code not in codes and not Region.objects.filter(code=parent_code).exists():
                raise CommandError(f"第{i}行：上级区划“{parent_code}”不存在")
            obj, created = Region.objects.update_or_create(code=code, defaults={"name": r["name"].strip(), "level": level})
            by_code[code] = obj
            counts["created" if created else "updated"] += 1
        for r in rows:
            parent_code = r["parent_code"].strip()
            if parent_code:
                parent = by_code.get(parent_code) or Region.objects.get(code=parent_code)
                Region.objects.filter(code=r["code"].strip()).update(parent=parent)
    return counts


class Command(BaseCommand):
    help = "从 CSV 加载行政区划（code,name,level,parent_code）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        counts = load_regions(path)
        self.stdout.write(f"区划：新增 {counts['created']}，更新 {counts['updated']}")
