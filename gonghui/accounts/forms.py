"""Forms of the users console. A node is named by its ID or its 统一社会信用代码 and looked up only among the
nodes where the actor may grant roles, so a node outside their scope is "not found", never a hint."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from . import selectors
from .models import Role, Unit


class NodeField(forms.CharField):
    """A union named by ID or 统一社会信用代码, resolved within `queryset` (set per request)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "组织节点")
        kwargs.setdefault("help_text", "工会 ID 或统一社会信用代码（只能选择您管理范围内的组织）")
        super().__init__(**kwargs)
        self.queryset: Any = None

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if not text:
            return None
        text = text.strip().upper()
        qs = self.queryset
        node = None
        if text.isdigit() and len(text) < 18:
            node = qs.filter(pk=int(text)).first()
        if node is None:
            node = qs.filter(code=text).first()
        if node is None:
            raise ValidationError(f"在您的管理范围内找不到组织“{text}”", code="invalid_node")
        return node


class _RoleTargetForm(forms.Form):
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    node = NodeField(required=False)
    unit = forms.ModelChoiceField(label="协同单位", queryset=Unit.objects.none(), required=False, empty_label="（不选）")

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = selectors.grantable_unions(actor=actor)  # type: ignore[attr-defined]
        if selectors.may_grant_units(actor=actor):
            self.fields["unit"].queryset = Unit.objects.filter(active=True)  # type: ignore[attr-defined]
        else:
            del self.fields["unit"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "node" in self.errors:
            return data
        if bool(data.get("node")) == bool(data.get("unit")):
            raise ValidationError("请指定一个组织节点或一个协同单位（只能二选一）")
        return data


class RoleAssignForm(_RoleTargetForm):
    pass


class UserCreateForm(_RoleTargetForm):
    username = forms.CharField(label="用户名", max_length=150, help_text="登录用，字母、数字和 @ . + - _")
    display_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="手机", max_length=20, required=False)

    field_order = ["username", "display_name", "phone", "role", "node", "unit"]
