"""manage.py import_members FILE --union CODE [--skip-invalid] [--dry-run] [--sheet NAME]

Prints one JSON line {"created", "updated", "unchanged", "rejected", "duplicates", "error_report"}.
All-or-nothing per file unless --skip-invalid: then the valid rows are written and `rejected` counts the rows
left out (listed, with 错误原因, in the `error_report` workbook, which re-imports as it is once corrected).
Exit code 0 when every data row was accepted, 1 when any was rejected (without --skip-invalid nothing is written
then), 2 when the file cannot be read or the union is unknown (a zh-hans message on stderr).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from gonghui.core.excel import SpreadsheetError
from gonghui.core.identifiers import normalize_code
from gonghui.members.imports import roster_import
from gonghui.orgs.models import Union


class Command(BaseCommand):
    help = "导入会员名册（xlsx/xls/ods/csv）到指定工会；默认整个文件全部成功或全部不导入，--skip-invalid 先导入正确的行"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="名册文件路径")
        parser.add_argument("--union", required=True, help="工会的统一社会信用代码")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="先导入正确的行；错误行写入错误行工作簿，改正后可原样再次导入")
        parser.add_argument("--sheet", default=None, help="工作表名称（默认第一个可见工作表）")

    def fail(self, message: str) -> None:
        sys.stderr.write(message + "\n")
        sys.exit(2)

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        if not path.is_file():
            self.fail(f"找不到文件：{path}")
        union = Union.objects.filter(code=normalize_code(opts["union"])).first()
        if union is None:
            self.fail(f"找不到统一社会信用代码为 {opts['union']} 的工会")
        assert union is not None
        try:
            result = roster_import(path=path, union=union, dry_run=opts["dry_run"], sheet=opts["sheet"],
                                   skip_invalid=opts["skip_invalid"])
        except SpreadsheetError as exc:
            self.fail(f"无法读取文件：{exc}")
        except ValidationError as exc:
            self.fail("；".join(exc.messages))
        self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        if result.rejected:
            sys.exit(1)
