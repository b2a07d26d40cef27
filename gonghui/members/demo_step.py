from __future__ import annotations

import time
from typing import Any

from .models import Person


def run(*, scale: str, stdout: Any) -> None:
    """The demo members (skipped when the registry already holds members)."""
    if Person.objects.count() >= 500:
        stdout.write("会员：已存在，跳过")
        return
    from .demo import build_members

    t = time.perf_counter()
    counts = build_members(scale=scale)
    stdout.write(
        f"会员：{counts['members']} 人，转会 {counts['transfers_done']} 笔已完成、{counts['transfers_pending']} 笔待审批，"
        f"待审核入会 {counts['pending_joins']} 人（{time.perf_counter() - t:.1f} 秒）"
    )
