"""Form pieces shared by every console form: the one date field and widget (年-月-日 whatever the browser's
locale), and the Bootstrap error marking (`is-invalid`, `aria-invalid`, `aria-describedby` → the message)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from .excel import parse_date

DATE_PLACEHOLDER = "年-月-日"
DATE_HINT = "格式：年-月-日，如 2026-12-01（也可写 2026/12/01 或 2026年12月1日）"
# what the browser lets through before the server parses it: 2026-12-01, 2026/12/1, 2026.12.1, 2026年12月1日
DATE_PATTERN = r"\s*\d{4}\s*[\-/.年]\s*\d{1,2}\s*[\-/.月]\s*\d{1,2}\s*日?\s*"
DATE_INVALID = "日期格式不正确，请按 年-月-日 填写，如 2026-12-01"


def parse_day(value: str | None, label: str = "日期") -> dt.date | None:
    """A date from a hand-written form's date box (`{% cn_date_input %}`), by the imports' one rule
    (`core.excel.parse_date`): None when blank; a ValidationError naming the field when it is no date."""
    try:
        return parse_date(value)
    except ValueError as exc:
        raise forms.ValidationError(f"{label}：{DATE_INVALID}") from exc


class CnDateInput(forms.DateInput):
    """A text box, not `<input type=date>`: a native date input shows mm/dd/yyyy in an English-locale browser and
    cannot be told otherwise. This one always says 年-月-日 (placeholder, hint), opens the numeric keypad on a
    phone and shows a stored date as 2026-12-01."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {"placeholder": DATE_PLACEHOLDER, "inputmode": "numeric", "autocomplete": "off",
                "pattern": DATE_PATTERN, "title": DATE_HINT, "maxlength": "16", "data-gh-date": ""}
        base.update(attrs or {})
        base.setdefault("class", "form-control")
        super().__init__(attrs=base, format="%Y-%m-%d")


class CnDateField(forms.DateField):
    """A date typed as 2026-12-01, 2026/12/01, 2026.12.1 or 2026年12月1日 (the imports' one date rule,
    `core.excel.parse_date`), with zh-hans errors."""

    widget = CnDateInput
    default_error_messages = {"invalid": DATE_INVALID}

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return parse_date(str(value))
        except ValueError as exc:
            raise forms.ValidationError(f"{exc}；请按 年-月-日 填写，如 2026-12-01", code="invalid") from exc


def mark_errors(form: forms.BaseForm) -> None:
    """After validation: every field with an error gets `is-invalid`, `aria-invalid` and `aria-describedby`
    pointing at its message (rendered by `core/_field.html` as `<div id="<id>_error" class="invalid-feedback">`)."""
    if not form.is_bound:
        return
    for name in form.errors:
        if name not in form.fields:
            continue
        widget = form.fields[name].widget
        attrs = widget.attrs
        css = attrs.get("class", "")
        if "is-invalid" not in css.split():
            attrs["class"] = (css + " is-invalid").strip()
        attrs["aria-invalid"] = "true"
        error_id = f"{form[name].auto_id}_error"
        described = attrs.get("aria-describedby", "").split()
        if error_id not in described:
            attrs["aria-describedby"] = " ".join([*described, error_id])


class ConsoleForm(forms.Form):
    """A console form whose fields render through `core/_field.html` with their errors beside them."""

    def full_clean(self) -> None:
        super().full_clean()
        mark_errors(self)
