from __future__ import annotations

from typing import Any

from django import template

from gonghui.core.forms import CnDateInput

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
def cn_date(value: object, empty: str = "—") -> str:
    """A date or datetime as 2026年12月1日 (datetimes in Asia/Shanghai); empty → `empty` ("—").

    The one way a page writes a date: the zh-hans DATE_FORMAT (Y年n月j日), so `{{ d|date }}` agrees with it."""
    import datetime as dt

    from django.utils.formats import date_format

    value = _local(value)
    if not isinstance(value, dt.date):
        return empty if value in (None, "") else str(value)
    return date_format(value, "DATE_FORMAT", use_l10n=True) if not isinstance(value, dt.datetime) else date_format(
        value.date(), "DATE_FORMAT", use_l10n=True)


@register.filter
def cn_datetime(value: object, empty: str = "—") -> str:
    """A datetime as 2026年12月1日 14:05 in Asia/Shanghai (the zh-hans DATETIME_FORMAT; a date alone as
    2026年12月1日); empty → `empty` ("—")."""
    import datetime as dt

    from django.utils.formats import date_format

    value = _local(value)
    if isinstance(value, dt.datetime):
        return date_format(value, "DATETIME_FORMAT", use_l10n=True)
    return cn_date(value, empty)


@register.simple_tag
def sort_th(listing: Any, key: str, label: str, css: str = "") -> str:
    """A sortable column header of a `Listing` (core.paging): a link that sorts by `key`, ascending first and
    then reversed, with aria-sort saying the current state to a screen reader."""
    from django.utils.html import format_html

    h = listing.header(key)
    title = "点击按此列排序" if h["state"] == "none" else "点击反向排序"
    return format_html(
        '<th scope="col" class="{}" aria-sort="{}"><a class="gh-sort text-reset text-decoration-none" href="{}" '
        'title="{}" data-testid="sort-{}">{}<span class="gh-sort-arrow" aria-hidden="true">{}</span></a></th>',
        css, h["state"], h["href"], title, key, label, h["arrow"])


@register.filter
def masked_phone(value: object) -> str:
    """A mobile as the lists show it without the reveal permission: 177****1182."""
    from gonghui.core.identifiers import mask_phone

    return mask_phone(str(value or ""))


WEEKDAYS = "一二三四五六日"


@register.filter
def cn_weekday(value: object) -> str:
    """周一 … 周日 for a date (the calendar page's holidays and 调休 days)."""
    weekday = getattr(value, "weekday", None)
    return f"周{WEEKDAYS[weekday()]}" if callable(weekday) else ""


@register.simple_tag
def cn_date_input(name: str, value: object = "", id: str = "", css: str = "form-control", required: bool = False,
                  label: str = "") -> str:
    """The one date box (core.forms.CnDateInput) for a hand-written form: `{% cn_date_input "start" f.start "f-start" %}`
    (`required=True`; `label="…"` an aria-label where no <label> points at it). The server parses what it sends
    with `core.forms.parse_day`."""
    attrs: dict[str, Any] = {"class": css, **({"id": id} if id else {})}
    if required:
        attrs["required"] = True
    if label:
        attrs["aria-label"] = label
    return CnDateInput(attrs=attrs).render(name, value or None)
