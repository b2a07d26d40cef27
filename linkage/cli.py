"""``gonghui-link``: match a source list against the union registry and write OUT.csv.

Exit status: 0 success, 2 bad input or arguments (message on stderr, OUT untouched)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, cast

from linkage.schema import InputError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gonghui-link",
        description="把社保/经济普查/市场监管名单与工会登记的单位名单比对，输出每个来源行对应的登记行。",
    )
    p.add_argument("--left", required=True, help="工会登记名单 (CSV/xlsx/xls)")
    p.add_argument("--right", required=True, help="来源名单 (CSV/xlsx/xls)")
    p.add_argument("--out", required=True, help="输出 CSV：right_row,left_row,score,rule,decision,candidate_row")
    p.add_argument("--threshold", type=float, default=None, help="名称匹配所需的最低概率 (0-1)")
    p.add_argument("--backend", choices=("polars", "spark"), default="polars")
    p.add_argument("--explain", action="store_true", help="附加规范化名称、一致与否决的依据")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit status (0 ok, 2 bad input)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 on --help
        return int(exc.code or 0)
    if args.threshold is not None and not 0.0 < args.threshold <= 1.0:
        print("错误：--threshold 必须在 0 与 1 之间", file=sys.stderr)
        return 2
    from linkage.io import read_table, write_csv_atomic

    started = time.perf_counter()
    try:
        left = read_table(args.left)
        right = read_table(args.right)
        options: dict[str, object] = {"explain": args.explain}
        if args.threshold is not None:
            options["threshold"] = args.threshold
        if args.backend == "spark":
            from linkage.spark import match_spark

            out = match_spark(left, right, **cast("dict[str, Any]", options))
        else:
            from linkage.engine import match

            out = match(left, right, **options)
        write_csv_atomic(out, args.out)
    except InputError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"错误：缺少依赖（{exc.name}）；Spark 后端需要 `uv sync --extra spark`", file=sys.stderr)
        return 2
    matched = out.filter(out["left_row"].is_not_null()).height
    review = out.filter(out["decision"] == "review").height
    print(
        f"已比对 {right.height} 行来源名单（登记名单 {left.height} 行）：匹配 {matched} 行，待核对 {review} 行，"
        f"未匹配 {right.height - matched - review} 行，用时 {time.perf_counter() - started:.1f} 秒 → {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
