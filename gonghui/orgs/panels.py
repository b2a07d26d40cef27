from __future__ import annotations

from typing import Any

from . import selectors


def dashboard_context(user: Any) -> dict[str, Any]:
    counts = selectors.dashboard_counts(user=user)
    return {"counts": counts, "townships": selectors.township_coverage(user=user)}
