from __future__ import annotations

from typing import Any

from . import selectors


def dashboard_context(user: Any) -> dict[str, Any]:
    """工作台: members, pending work, and 入会率 per township of the user's scope."""
    townships = selectors.township_rates(user=user)
    return {"counts": selectors.member_counts(user=user, townships=townships), "townships": townships}
