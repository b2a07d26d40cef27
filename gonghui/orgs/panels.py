from __future__ import annotations

from typing import Any

from . import selectors


def dashboard_context(user: Any) -> dict[str, Any]:
    townships = selectors.township_coverage(user=user)
    return {"counts": selectors.dashboard_counts(user=user, townships=townships), "townships": townships}
