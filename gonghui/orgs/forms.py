"""Forms of the organisation console: list filters (one definition for the page and its export), the union
and enterprise dialogs, the union move and the spreadsheet upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from gonghui.accounts.permissions import Action
from gonghui.core.forms import CnDateField, ConsoleForm
from gonghui.core.identifiers import uscc_error

from . import services
from .models import Enterprise, Union
from .picker import UnionPickerField
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


# ---------------------------------------------------------------- the 新增 / 编辑 dialogs
# Each field checks itself with the rule the imports use (services.clean_union_code, core.identifiers.uscc_error,
# core.excel.parse_date through CnDateField), so every error shows at once beside its field; the service checks
# again (and the permission) when the view writes, and its field-named errors land beside the same fields.

PARENT_KINDS = (Union.Kind.DISTRICT, Union.Kind.TOWNSHIP, Union.Kind.FEDERATION)
NEW_UNION_KINDS = [(k, Union.Kind(k).label) for k in (Union.Kind.SINGLE, Union.Kind.JOINT, Union.Kind.FEDERATION,
                                                      Union.Kind.TOWNSHIP)]


def _text(label: str, max_length: int, *, required: bool = False, **attrs: str) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=required, strip=True,
                           widget=forms.TextInput(attrs={"class": "form-control", **attrs}),
                           error_messages={"required": f"{label}不能为空",
                                           "max_length": f"{label}不能超过{max_length}个字"})


def _select(label: str, choices: Any, *, required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices, required=required,
                             widget=forms.Select(attrs={"class": "form-select"}),
                             error_messages={"required": f"请选择{label}", "invalid_choice": f"请从列表中选择{label}"})


class UnionForm(ConsoleForm):
    """新增工会 (with its 上级工会, chosen with the picker among the unions where the user holds `change`) and 编辑
    (without: a new parent is a move, on the union's page)."""

    name = _text("工会名称", 100, required=True, placeholder="如：某某有限公司工会委员会")
    kind = _select("类型", NEW_UNION_KINDS)
    parent = UnionPickerField(label="上级工会", kinds=PARENT_KINDS, action=Action.CHANGE,
                              help_text="镇(街道)总工会或工会联合会；输入名称搜索，或点“浏览”")
    code = _text("统一社会信用代码", 24, placeholder="18位，工会以81开头", autocomplete="off")
    federation_type = _select("联合会类别", [("", "（非联合会不填）"), *Union.FederationType.choices], required=False)
    region = forms.TypedChoiceField(label="所在区划", required=False, coerce=int, empty_value=None,
                                    widget=forms.Select(attrs={"class": "form-select"}),
                                    error_messages={"invalid_choice": "请从列表中选择所在区划"})
    chair = _text("工会主席", 30)
    contact = _text("联系人", 30)
    contact_phone = _text("联系电话", 20, inputmode="tel")
    founded_on = CnDateField(label="成立日期", required=False)
    status = _select("状态", Union.Status.choices)
    reason = _text("撤销原因", 200, placeholder="撤销工会须填写原因")
    confirm = forms.BooleanField(label="我确认撤销该工会（记入操作日志）", required=False,
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args: Any, user: Any, union: Union | None = None, regions: list[Any], **kwargs: Any) -> None:
        self.union = union
        if union is not None:
            kwargs.setdefault("initial", {
                "name": union.name, "code": union.code or "", "federation_type": union.federation_type,
                "region": union.region_id, "chair": union.chair, "contact": union.contact,
                "contact_phone": union.contact_phone, "founded_on": union.founded_on, "status": union.status})
        super().__init__(*args, **kwargs)
        if union is not None and union.region is not None and union.region not in regions:
            regions = [union.region, *regions]  # the district's own region, say: kept as it is
        region = self.fields["region"]
        assert isinstance(region, forms.ChoiceField)
        region.choices = [("", "（不填）"), *((r.pk, r.name) for r in regions)]
        if union is None:
            self.fields["parent"].limit_to(Union.objects.visible_to(user, Action.CHANGE))  # type: ignore[attr-defined]
            self.fields["status"].initial = Union.Status.NORMAL
            del self.fields["reason"], self.fields["confirm"]
        else:
            del self.fields["parent"], self.fields["kind"]
            if union.kind != Union.Kind.FEDERATION:
                del self.fields["federation_type"]
        self.regions = {r.pk: r for r in regions}
        for field in self.fields.values():
            if field.required:
                field.widget.attrs.setdefault("required", "")

    def clean_code(self) -> str | None:
        try:
            return services.clean_union_code(self.cleaned_data.get("code"))
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, parent_id = data.get("kind"), data.get("parent")
        if kind and parent_id:
            parent = Union.objects.filter(pk=parent_id).only("kind").first()
            error = services.union_kind_error(parent_kind=parent.kind, kind=kind) if parent else None
            if error:
                self.add_error("kind", error)
        if kind != Union.Kind.FEDERATION and data.get("federation_type") and self.union is None:
            self.add_error("federation_type", "只有工会联合会才填写联合会类别")
        if self.union is not None and data.get("status") == Union.Status.REVOKED != self.union.status:
            if not (data.get("reason") or "").strip():
                self.add_error("reason", "撤销工会须填写原因")
            if not data.get("confirm"):
                self.add_error("confirm", "请勾选确认撤销")
        return data

    def service_fields(self) -> dict[str, Any]:
        """What the service writes: the model's fields, by their names."""
        d = self.cleaned_data
        fields: dict[str, Any] = {k: d[k] or "" for k in ("name", "chair", "contact", "contact_phone") if k in d}
        fields.update(code=d.get("code") or None, region=self.regions.get(d.get("region") or 0),
                      founded_on=d.get("founded_on"),
                      status=d.get("status") or Union.Status.NORMAL)
        if "federation_type" in self.fields:
            fields["federation_type"] = d.get("federation_type") or ""
        return fields


class EnterpriseForm(ConsoleForm):
    """新增企业 / 编辑企业. The USCC is the firm's identity: typed when it is added, shown (not edited) after."""

    uscc = _text("统一社会信用代码", 24, required=True, placeholder="18位", autocomplete="off")
    name = _text("单位名称", 120, required=True)
    township = forms.TypedChoiceField(label="所在镇街", coerce=int, widget=forms.Select(attrs={"class": "form-select"}),
                                      error_messages={"required": "所在镇街不能为空",
                                                      "invalid_choice": "请从列表中选择所在镇街"})
    address = _text("单位地址", 200)
    industry = _text("所属行业", 50)
    headcount = forms.IntegerField(label="参保人数", required=False, min_value=0, max_value=10_000_000,
                                   widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
                                   error_messages={"invalid": "参保人数应为整数", "min_value": "参保人数不能为负数",
                                                   "max_value": "参保人数过大，请核对"})
    status = _select("经营状态", Enterprise.Status.choices)
    established_on = CnDateField(label="成立日期", required=False)
    covering_union = UnionPickerField(label="覆盖工会", required=False, kinds=(Union.Kind.SINGLE, Union.Kind.JOINT),
                                      action=Action.CHANGE, help_text="已建会的企业选择覆盖它的基层工会；未建会不选")

    def __init__(self, *args: Any, user: Any, townships: list[Union], enterprise: Enterprise | None = None,
                 **kwargs: Any) -> None:
        self.enterprise = enterprise
        if enterprise is not None:
            kwargs.setdefault("initial", {
                "name": enterprise.name, "township": enterprise.territory_id, "address": enterprise.address,
                "industry": enterprise.industry, "headcount": enterprise.headcount, "status": enterprise.status,
                "established_on": enterprise.established_on, "covering_union": enterprise.covering_union_id})
        super().__init__(*args, **kwargs)
        township = self.fields["township"]
        assert isinstance(township, forms.ChoiceField)
        township.choices = [("", "请选择"), *((t.pk, t.name.removesuffix("总工会")) for t in townships)]
        self.townships = {t.pk: t for t in townships}
        self.fields["covering_union"].limit_to(Union.objects.visible_to(user, Action.CHANGE))  # type: ignore[attr-defined]
        if enterprise is not None:
            del self.fields["uscc"]
            if enterprise.territory_id not in self.townships:
                # an industry federation edits the firms it covers, not which township they lie in
                township.choices = [(enterprise.territory_id, enterprise.territory.name.removesuffix("总工会"))]
                township.disabled = True
        for field in self.fields.values():
            if field.required:
                field.widget.attrs.setdefault("required", "")
        if self.initial.get("status") is None and enterprise is None:
            self.fields["status"].initial = Enterprise.Status.ACTIVE

    def clean_uscc(self) -> str:
        raw = self.cleaned_data.get("uscc")
        error = uscc_error(raw)
        if error:
            raise forms.ValidationError(error)
        return services.clean_enterprise_code(raw)

    def service_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"name": d["name"], "address": d.get("address") or "", "industry": d.get("industry") or "",
                "headcount": d.get("headcount"), "status": d.get("status") or Enterprise.Status.ACTIVE,
                "established_on": d.get("established_on")}
