from __future__ import annotations

from typing import Any

from django.urls import reverse

from . import selectors


def panel_context(user: Any) -> dict[str, Any]:
    """工作台: the user's demand queues, each count the queue it links to (the same selector)."""
    items = []
    for tab, label in selectors.TABS[1:]:
        n = selectors.demand_list(user=user, filters=selectors.DemandFilters(tab=tab)).count()
        items.append({"key": tab, "label": label, "n": n, "url": f"{reverse('demands:queue')}?tab={tab}"})
    return {"items": items}
