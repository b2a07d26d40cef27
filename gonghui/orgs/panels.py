from __future__ import annotations

from typing import Any

from . import selectors


def dashboard_context(user: Any) -> dict[str, Any]:
    """工作台: the scope's unions and firms, 建会率 per township; a township's beside the district's."""
    townships = selectors.township_coverage(user=user)
    district = selectors.district_of(user=user)
    return {"counts": selectors.dashboard_counts(user=user, townships=townships), "townships": townships,
            "district": selectors.district_coverage(district=district) if district else None}
