from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    """0.6543 → "65.4%"."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"
