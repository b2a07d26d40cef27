"""The union tree picker: a form field + widget, and the endpoint it searches and browses.

Use it wherever a union is chosen (list filters, transfer-in, import targets, role assignment):

    from gonghui.orgs.picker import UnionPickerField

    class ImportForm(forms.Form):
        union = UnionPickerField(label="导入到工会")          # required: starts empty, must be chosen

        def __init__(self, *args, user, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["union"].limit_to(Union.objects.visible_to(user).filter(kind__in=[...]))

`cleaned_data["union"]` is the chosen union's id (an int; None when not required and empty): fetch it with
`Union.objects.get_visible(user, pk=...)` as before. The field rejects an id outside its queryset ("请从列表中
选择工会"), so a forged or stale value never reaches a service. The template renders `{{ form.union }}`; label
it with `for="id_union"` (the visible search box carries the field's id). The page needs
`{% static 'js/picker.js' %}` — base.html loads it on every console page.

The endpoint (`picker:unions`, /pick/unions/) answers JSON, or an HTML list with `format=html`:
`?action=change` only nodes where the user holds that action (default view); `?q=` name or code (≥ 1 character; 20 matches), `?parent=<id>` the children of a node (browse), neither: the
topmost nodes the user sees. `?kinds=single,joint` narrows the kinds. Only nodes in the user's scope.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from gonghui.accounts.permissions import Action

from .models import Union

SEARCH_LIMIT = 20
BROWSE_LIMIT = 200


class UnionPickerWidget(forms.Widget):
    template_name = "core/widgets/union_picker.html"

    def __init__(self, attrs: dict[str, Any] | None = None, kinds: tuple[str, ...] = (), action: str = "view") -> None:
        super().__init__(attrs)
        self.kinds = kinds
        self.action = action
        self.queryset: QuerySet[Union] | None = None

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        chosen = None
        if value not in (None, "") and str(value).isdigit() and len(str(value)) <= 18 and self.queryset is not None:
            chosen = self.queryset.filter(pk=int(value)).only("pk", "name").first()
        params = {"kinds": ",".join(self.kinds)} if self.kinds else {}
        if self.action != "view":
            params["action"] = self.action
        source = reverse("picker:unions") + ("?" + urlencode(params) if params else "")
        attrs_ = context["widget"]["attrs"]
        context["widget"].update(chosen=chosen, source=source, value=chosen.pk if chosen else "",
                                 invalid="is-invalid" in str(attrs_.get("class", "")).split(),
                                 describedby=attrs_.get("aria-describedby", ""))
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)

    def _render(self, template_name: str, context: dict[str, Any], renderer: Any = None) -> SafeString:
        # the project's templates (gonghui/templates), not only the form renderer's app directories
        return mark_safe(loader.render_to_string(template_name, context))  # noqa: S308 (a rendered template)


class UnionPickerField(forms.Field):
    """A union chosen with the picker; cleans to its id. Limit it to the user's scope with `limit_to(qs)`."""

    widget = UnionPickerWidget
    default_error_messages = {
        "required": "请从列表中选择工会",
        "invalid_choice": "请从列表中选择工会（输入名称后须点选一项）",
    }

    def __init__(self, *, kinds: tuple[str, ...] = (), action: str = "view",
                 queryset: QuerySet[Union] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("widget", UnionPickerWidget(kinds=kinds, action=action))
        super().__init__(**kwargs)
        self.kinds = kinds
        self.widget.kinds = kinds
        self.widget.action = action
        self.queryset = queryset
        self.widget.queryset = queryset

    def limit_to(self, queryset: QuerySet[Union]) -> None:
        if self.kinds:
            queryset = queryset.filter(kind__in=self.kinds)
        self.queryset = queryset
        self.widget.queryset = queryset

    def to_python(self, value: Any) -> int | None:
        if value in (None, ""):
            return None
        if not str(value).isdigit() or len(str(value)) > 18:  # beyond a bigint there is no such union
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return int(value)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and (self.queryset is None or not self.queryset.filter(pk=value).exists()):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")


def _rows(user: Any, nodes: list[Union]) -> list[dict[str, Any]]:
    """Each node with its parent's name (to tell 工会 of the same name apart) and whether it has children."""
    parent_paths = {n.path[: -Union.steplen] for n in nodes if n.depth > 1}
    # only parents the user may see: a name outside the scope is not shown, not even as context
    visible = Union.objects.visible_to(user)
    parents = dict(visible.filter(path__in=parent_paths).values_list("path", "name")) if parent_paths else {}
    return [
        {
            "id": n.pk,
            "name": n.name,
            "code": n.code or "",
            "kind": n.get_kind_display(),
            "parent": parents.get(n.path[: -Union.steplen], ""),
            "has_children": n.numchild > 0,
        }
        for n in nodes
    ]


@login_required
def unions(request: HttpRequest) -> HttpResponse:
    """Search or browse the unions in the user's scope (the picker's source)."""
    action = request.GET.get("action", "view")
    if action not in Action.__members__.values():
        action = Action.VIEW
    visible = Union.objects.visible_to(request.user, action).only("pk", "name", "code", "kind", "path", "depth", "numchild")
    kinds = [k for k in request.GET.get("kinds", "").split(",") if k in Union.Kind.values]
    q = request.GET.get("q", "").strip()[:60]
    parent_id = request.GET.get("parent", "")
    parent = None
    if q:
        matches = visible.filter(Q(name__icontains=q) | Q(code__istartswith=q.upper()))
        if kinds:
            matches = matches.filter(kind__in=kinds)
        nodes = list(matches.order_by("depth", "name")[: SEARCH_LIMIT + 1])
        limit = SEARCH_LIMIT
    elif parent_id.isdigit():
        parent = Union.objects.get_visible(request.user, action=action, pk=int(parent_id))
        nodes = list(visible.filter(path__startswith=parent.path, depth=parent.depth + 1).order_by("name")
                     [: BROWSE_LIMIT + 1])
        limit = BROWSE_LIMIT
    else:
        top = visible.order_by("depth").values_list("depth", flat=True).first()
        nodes = list(visible.filter(depth=top).order_by("name")[: BROWSE_LIMIT + 1]) if top else []
        limit = BROWSE_LIMIT
    more = len(nodes) > limit
    rows = _rows(request.user, nodes[:limit])
    if kinds:  # browsing shows every node (to walk down to the allowed ones) but only the allowed are choosable
        for row, node in zip(rows, nodes, strict=False):
            row["choosable"] = node.kind in kinds
    else:
        for row in rows:
            row["choosable"] = True
    data = {"items": rows, "more": more, "q": q,
            "parent": {"id": parent.pk, "name": parent.name, "up": _up(request.user, parent)} if parent else None}
    if request.GET.get("format") == "html":
        return render(request, "core/widgets/union_picker_options.html", data)
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def _up(user: Any, node: Union) -> int | None:
    """The parent to go back to while browsing, when the user may see it."""
    if node.depth <= 1:
        return None
    parent = Union.objects.visible_to(user).filter(path=node.path[: -Union.steplen]).values_list("pk", flat=True)
    return parent.first()
