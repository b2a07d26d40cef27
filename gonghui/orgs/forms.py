"""Forms of the organisation console: list filters (one definition for the page and its export), the union
move and the spreadsheet upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from .models import Enterprise, Union
from .selectors import ENTERPRISE_SORT, EnterpriseFilters

COVERED_CHOICES = (("", "全部"), ("yes", "已建会"), ("no", "未建会"))


class EnterpriseFilterForm(forms.Form):
    q = forms.CharField(label="名称或信用代码", required=False, max_length=60)
    township = forms.TypedChoiceField(label="镇街", required=False, coerce=int, empty_value=None)
    covered = forms.ChoiceField(label="建会", required=False, choices=COVERED_CHOICES)
    ge25 = forms.BooleanField(label="25人及以上", required=False)
    status = forms.ChoiceField(label="经营状态", required=False, choices=(("", "全部状态"), *Enterprise.Status.choices))
    sort = forms.CharField(label="排序", required=False, max_length=20)  # a column of ENTERPRISE_SORT

    def __init__(self, data: Any, *, townships: list[Union]) -> None:
        super().__init__(data)
        township = self.fields["township"]
        assert isinstance(township, forms.ChoiceField)
        township.choices = [("", "全部镇街"), *((t.pk, t.name.removesuffix("总工会")) for t in townships)]

    def filters(self) -> EnterpriseFilters:
        """The selector's filters; an invalid value is dropped (a hand-edited URL never errors)."""
        self.is_valid()
        d = getattr(self, "cleaned_data", {})
        covered = {"yes": True, "no": False}.get(d.get("covered") or "")
        return EnterpriseFilters(
            q=(d.get("q") or "").strip(),
            township=d.get("township"),
            covered=covered,
            min_headcount=25 if d.get("ge25") else None,
            status=d.get("status") or "",
            sort=ENTERPRISE_SORT.parse(d.get("sort")),
        )


class UnionFilterForm(forms.Form):
    q = forms.CharField(label="名称或信用代码", required=False, max_length=60)
    kind = forms.ChoiceField(label="类型", required=False, choices=(("", "全部类型"), *Union.Kind.choices))
    status = forms.ChoiceField(label="状态", required=False, choices=(("", "全部状态"), *Union.Status.choices))

    def filters(self) -> tuple[str, str, str]:
        """(q, kind, status); an invalid value is dropped."""
        self.is_valid()
        d = getattr(self, "cleaned_data", {})
        return (d.get("q") or "").strip(), d.get("kind") or "", d.get("status") or ""


class UnionMoveForm(forms.Form):
    new_parent = forms.TypedChoiceField(label="新的上级工会", coerce=int)

    def __init__(self, data: Any = None, *, targets: list[Union]) -> None:
        super().__init__(data)
        self.targets = {t.pk: t for t in targets}
        field = self.fields["new_parent"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (t.pk, ("　" * max(t.depth - 1, 0)) + t.name) for t in targets
        ]


class UploadForm(forms.Form):
    file = forms.FileField(label="Excel 文件", allow_empty_file=True,
                           error_messages={"required": "请选择要上传的 Excel 文件"})

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        limit = settings.GONGHUI_MAX_UPLOAD_BYTES
        if f.size > limit:
            raise forms.ValidationError(too_big_message(f.size))
        if f.size == 0:
            raise forms.ValidationError("文件是空的，请检查后重新上传")
        return f


def too_big_message(size: int) -> str:
    limit = settings.GONGHUI_MAX_UPLOAD_BYTES
    return f"文件大小为 {size / 1024 / 1024:.1f} MB，超过上限 {limit // (1024 * 1024)} MB，请拆分后再上传"
