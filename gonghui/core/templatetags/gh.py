from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    """0.6543 → "65.4%"."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


@register.filter
def ct_label(content_type: object) -> str:
    """A ContentType as its model's Chinese verbose_name."""
    model = getattr(content_type, "model_class", lambda: None)()
    return str(model._meta.verbose_name) if model is not None else str(content_type)
