"""Console forms. Each validates what a cadre types; the rules themselves live in services/imports."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from gonghui.orgs.models import Union
from gonghui.orgs.picker import UnionPickerField, UnionPickerWidget

from .models import MembershipEvent, Occupation, Political
from .selectors import MemberFilters


class MemberFilterForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, widget=forms.TextInput(
        attrs={"placeholder": "姓名 / 手机号 / 完整身份证号码", "class": "form-control form-control-sm"}))
    union = UnionPickerField(label="工会", required=False,
                             widget=UnionPickerWidget(attrs={"class": "form-control-sm"}))
    occupation = forms.ChoiceField(label="职业群体", required=False,
                                   choices=[("", "全部职业")] + list(Occupation.choices),
                                   widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    political = forms.ChoiceField(label="政治面貌", required=False,
                                  choices=[("", "全部政治面貌")] + list(Political.choices),
                                  widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    joined_from = forms.DateField(label="入会日期从", required=False, widget=forms.DateInput(
        attrs={"type": "date", "class": "form-control form-control-sm"}))
    joined_to = forms.DateField(label="至", required=False, widget=forms.DateInput(
        attrs={"type": "date", "class": "form-control form-control-sm"}))
    enterprise = forms.IntegerField(label="企业", required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, unions: QuerySet[Union], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["union"].limit_to(unions)  # type: ignore[attr-defined]

    def filters(self) -> MemberFilters:
        if not self.is_valid():
            return MemberFilters()
        d = self.cleaned_data
        return MemberFilters(q=d["q"] or "", union=d["union"], occupation=d["occupation"] or "",
                             political=d["political"] or "", joined_from=d["joined_from"], joined_to=d["joined_to"],
                             enterprise=d["enterprise"])


class RevealForm(forms.Form):
    reason = forms.CharField(label="查看原因", min_length=2, max_length=100, widget=forms.TextInput(
        attrs={"class": "form-control form-control-sm", "placeholder": "如：办理医疗互助理赔核对身份"}))


CHANGE_KINDS = [(k, MembershipEvent.Kind(k).label) for k in (
    MembershipEvent.Kind.RETAIN, MembershipEvent.Kind.RESTORE, MembershipEvent.Kind.LEAVE, MembershipEvent.Kind.EXPEL)]


class ChangeForm(forms.Form):
    kind = forms.ChoiceField(label="变动", choices=CHANGE_KINDS, widget=forms.Select(attrs={"class": "form-select"}))
    on = forms.DateField(label="日期", initial=timezone.localdate, widget=forms.DateInput(
        attrs={"type": "date", "class": "form-control"}))
    reason = forms.CharField(label="原因", max_length=200, required=False, widget=forms.TextInput(
        attrs={"class": "form-control", "placeholder": "退会、除名须填写原因"}))

    def clean_on(self) -> Any:
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError("日期不能晚于今天")
        return on


class DecideForm(forms.Form):
    approve = forms.TypedChoiceField(choices=[("1", "同意"), ("0", "拒绝")], coerce=lambda v: v == "1")
    reason = forms.CharField(max_length=200, required=False)


class TransferInForm(forms.Form):
    id_number = forms.CharField(label="身份证号码", max_length=30, widget=forms.TextInput(
        attrs={"class": "form-control", "autocomplete": "off", "placeholder": "转入人员的完整身份证号码"}))
    to_union = UnionPickerField(label="转入工会", kinds=(Union.Kind.SINGLE, Union.Kind.JOINT, Union.Kind.FEDERATION),
                                action="change")
    reason = forms.CharField(label="原因", max_length=200, required=False, widget=forms.TextInput(
        attrs={"class": "form-control", "placeholder": "如：工作调动"}))

    def __init__(self, *args: Any, unions: QuerySet[Union], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_union"].limit_to(unions)  # type: ignore[attr-defined]


class ImportForm(forms.Form):
    file = forms.FileField(label="名册文件", help_text="支持 .xlsx / .xls / .ods / .csv（UTF-8 或 GBK），最大 20 MB",
                           widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.xls,.ods,.csv"}))
    union = forms.TypedChoiceField(label="导入到工会", coerce=int, widget=forms.Select(attrs={"class": "form-select"}))
    sheet = forms.CharField(label="工作表（可选）", max_length=100, required=False, widget=forms.TextInput(
        attrs={"class": "form-control", "placeholder": "默认第一个可见工作表；要导入隐藏工作表请填写其名称"}))

    def __init__(self, *args: Any, unions: list[Union], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["union"].choices = [(u.pk, u.name) for u in unions]  # type: ignore[attr-defined]
