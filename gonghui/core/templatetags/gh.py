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


def _local(value: object) -> object:
    import datetime as dt

    from django.utils import timezone

    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
        return timezone.localtime(value)  # Asia/Shanghai (settings.TIME_ZONE)
    return value


@register.filter
def cn_date(value: object) -> str:
    """A date or datetime as 2026年12月1日 (datetimes in Asia/Shanghai); empty → "—"."""
    import datetime as dt

    value = _local(value)
    if not isinstance(value, dt.date):
        return "—" if value in (None, "") else str(value)
    return f"{value.year}年{value.month}月{value.day}日"


@register.filter
def cn_datetime(value: object) -> str:
    """A datetime as 2026-12-01 18:30 in Asia/Shanghai (a date alone as 2026年12月1日); empty → "—"."""
    import datetime as dt

    value = _local(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return cn_date(value)
