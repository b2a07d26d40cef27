"""工作台 panel: the progress of the latest campaign the user sees, over the user's own firms."""

from __future__ import annotations

from typing import Any

from . import bulletin, selectors


def progress_context(user: Any) -> dict[str, Any]:
    campaign = selectors.campaign_list(user=user).first()
    if campaign is None:
        return {"campaign": None}
    return {"campaign": campaign, "funnel": bulletin.funnel(user=user, campaign=campaign)}
