"""Data scope by action: one rule in one place, where the tree lives.

`gonghui.accounts.permissions` says on which nodes (paths) and units a user holds an action; this module turns
that into filters. Every model that belongs to a place in the tree declares `scope_fields`: the relations
through which it belongs — a foreign key to `orgs.Union` (the object belongs to that node's subtree), a
relation path ending in one (`memberships__union`: a person belongs wherever they ever held a membership) or
a foreign key to `accounts.Unit` (an object routed to a unit off the tree).

- `Model.objects.visible_to(user, action="view")` keeps the rows on which `user` holds `action`; it is the only
  way a selector or view starts a read. Only the assignments whose role grants the action count, each over
  its own subtree: 只读 over the district plus 基层工会管理员 of one union makes a writer in that union only.
- `get_visible(user, action="view", **lookup)`: one object or Http404 (absent, outside scope, malformed id —
  the same answer).
- `require(actor, action, obj)`: PermissionDenied (a 403 with a zh-hans detail, in pages and in the API) when
  `obj` — which the caller could see — is not one `actor` may `action`. Services call it.
- `@scoped(Model, action=…, pk="pk")`: a view declares the object its URL names; the decorator fetches it
  (404 if invisible), requires the action (403) and hands the object to the view. The scope matrix reads
  these declarations.
"""

from __future__ import annotations

import functools
import inspect
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404

from gonghui.accounts.models import Unit
from gonghui.accounts.permissions import Action, action_paths, action_units, can

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from .models import Union

_M = TypeVar("_M", bound=models.Model)

STEPLEN = 4  # Union.steplen: a root's path is one step long

NOT_FOUND = "对象不存在或无权访问"
ACTION_VERBS: dict[str, str] = {
    Action.VIEW: "查看",
    Action.CHANGE: "办理或修改",
    Action.APPROVE: "审批",
    Action.MOVE: "调整组织隶属",
    Action.EXPORT_UNMASKED: "导出完整身份证号码",
    Action.REVEAL_ID: "查看完整身份证号码",
    Action.MANAGE_USERS: "管理用户与授权",
    Action.VIEW_AUDIT: "查看审计日志",
    Action.HANDLE: "办理诉求",
}


def denied_message(action: str) -> str:
    return f"您的角色没有在此{ACTION_VERBS.get(action, '执行此操作')}的权限"


def _union_model() -> type[Union]:
    # orgs.models builds its managers from this module, so the model is looked up, not imported
    return apps.get_model("orgs", "Union")  # type: ignore[return-value]


def covers_whole_tree(user: Any, paths: list[str]) -> bool:
    """True when `paths` include every root of the tree (a district admin in a one-district install).

    Scope is then no filter at all, so the city-wide lists and counts skip the `IN (subtree)` subqueries,
    which on 30k enterprises cost more than the rest of the page. Cached on the user per set of paths."""
    if not any(len(p) == STEPLEN for p in paths):
        return False  # only a root's path is one step long; no root, no whole tree
    key = tuple(paths)
    cache: dict[tuple[str, ...], bool] | None = getattr(user, "_scope_whole_tree", None)
    if cache is None:
        cache = {}
        user._scope_whole_tree = cache
    if key not in cache:
        cache[key] = not _union_model().objects.filter(depth=1).exclude(path__in=paths).exists()
    return cache[key]


def whole_tree(user: Any, action: str = Action.VIEW) -> bool:
    """True when `user` holds `action` over the whole tree (superuser included): district-wide pages."""
    paths = action_paths(user, action)
    return paths is None or covers_whole_tree(user, paths)


def path_in_scope(user: Any, path: str, action: str = Action.VIEW) -> bool:
    """Whether the node at `path` lies in a subtree on which `user` holds `action` (no query once cached)."""
    paths = action_paths(user, action)
    return paths is None or any(path.startswith(p) for p in paths)


def union_subtree_q(paths: list[str], field: str = "path") -> Q:
    return reduce(operator.or_, (Q(**{f"{field}__startswith": p}) for p in paths))


def _relation_target(model: type[models.Model], path: str) -> tuple[type[models.Model], bool]:
    """The model a `scope_fields` entry ends on, and whether the path crosses a to-many relation."""
    current, multi = model, False
    for part in path.split("__"):
        try:
            f = current._meta.get_field(part)
        except FieldDoesNotExist as exc:
            raise ValueError(f"{model.__name__}.scope_fields: {path!r} is not a relation") from exc
        if f.related_model is None:
            raise ValueError(f"{model.__name__}.scope_fields: {path!r} is not a relation")
        multi = multi or bool(f.one_to_many or f.many_to_many)
        current = f.related_model  # type: ignore[assignment]
    return current, multi


def _required_tree_link(model: type[models.Model], path: str) -> bool:
    """Whether `path` is a non-null foreign key straight to a tree node: then every row of `model` is on the tree."""
    if path == "self" or "__" in path:
        return path == "self"
    f = model._meta.get_field(path)
    return f.related_model is _union_model() and not f.null


def scope_q(
    user: Any, model: type[models.Model], *, action: str = Action.VIEW, through: str = "",
    via: tuple[str, ...] | None = None,
) -> Q | None:
    """The filter `model.objects.visible_to(user, action)` applies, as a Q; None when there is none (superuser,
    whole tree).

    With `through` (a relation path, e.g. "employer") the model's `scope_fields` are reached through it, so a read
    of another model can keep the rows whose related `model` object is visible by a join, instead of an
    `IN (SELECT … visible_to …)` the database may not drive from an index (the 工作台's members per township).
    `via` keeps only some of the model's `scope_fields` (a person's *current* union for the member list, not the
    unions they once belonged to)."""
    paths = action_paths(user, action)
    if paths is None:
        return None
    fields: tuple[str, ...] = model.scope_fields  # type: ignore[attr-defined]
    if via is not None:
        unknown = set(via) - set(fields)
        if unknown:
            raise ValueError(f"{model.__name__}.scope_fields has no {sorted(unknown)}")
        fields = tuple(via)
    prefix = f"{through}__" if through else ""
    if paths and covers_whole_tree(user, paths) and (
            all(f == "self" or _relation_target(model, f)[0] is not Unit for f in fields)
            or any(_required_tree_link(model, f) for f in fields)):
        return None  # every row is on the tree (a required link to a node), and the user holds all of it
    union_model = _union_model()
    parts: list[Q] = []
    subtree = union_model.objects.filter(union_subtree_q(paths)).values("pk") if paths else None
    for f in fields:
        if f == "self":
            if paths:
                parts.append(union_subtree_q(paths, field=f"{prefix}path"))
            continue
        target, multi = _relation_target(model, f)
        if target is Unit:
            units = action_units(user, action) or []
            if units:
                parts.append(Q(**{f"{prefix}{f}__in": units}))
            continue
        if subtree is None:
            continue
        if multi:
            # a to-many path (a person's memberships): one semi-join on the related table, no duplicate rows
            first, _, rest = f.partition("__")
            rel = model._meta.get_field(first)
            if rel.one_to_many and rest:
                inner = rel.related_model._base_manager.filter(  # type: ignore[union-attr]
                    **{f"{rest}__in": subtree}).values(rel.field.name)  # type: ignore[union-attr]
            else:
                inner = model._base_manager.filter(**{f"{f}__in": subtree}).values("pk")
            parts.append(Q(**{f"{prefix}pk__in": inner}))
        elif "__" in f:
            # a path through another table (a demand's unit's node): one semi-join on that table, not a join of
            # every row to it (the join under an OR made the 50k-demand queue scan and sort everything)
            first, _, rest = f.partition("__")
            rel_model = model._meta.get_field(first).related_model
            inner = rel_model._base_manager.filter(**{f"{rest}__in": subtree}).values("pk")  # type: ignore[union-attr]
            parts.append(Q(**{f"{prefix}{first}__in": inner}))
        else:
            parts.append(Q(**{f"{prefix}{f}__in": subtree}))
    if not parts:
        return Q(pk__in=[])
    return reduce(operator.or_, parts)


class ScopedQuerySet(models.QuerySet[_M]):
    """QuerySet with `visible_to(user, action)`; the model names its tree links in `scope_fields`."""

    def visible_to(self, user: Any, action: str = Action.VIEW, *, via: tuple[str, ...] | None = None) -> Self:
        """The rows on which `user` holds `action` (`via`: through some of the scope_fields only)."""
        q = scope_q(user, self.model, action=action, via=via)
        if q is None:
            return self
        if q == Q(pk__in=[]):
            return self.none()
        return self.filter(q)

    def get_visible(self, user: Any, action: str = Action.VIEW, *, via: tuple[str, ...] | None = None,
                    **lookup: Any) -> _M:
        """Fetch one object through scope; out of scope and absent both raise Http404. With an action other
        than view, an object the user sees but may not `action` is a PermissionDenied (403), not a 404."""
        try:
            obj = self.visible_to(user, via=via).get(**lookup)
        except (ObjectDoesNotExist, ValueError, TypeError) as exc:
            raise Http404(NOT_FOUND) from exc
        if action != Action.VIEW:
            require(user, action, obj)
        return obj


def allowed(actor: Any, action: str, obj: models.Model | None = None) -> bool:
    """Whether `actor` may `action` on `obj` (None: anywhere). The predicate behind `require`; templates use it
    to show or hide a button — the write itself still calls `require`."""
    if obj is None:
        return can(actor, action)
    paths = action_paths(actor, action)
    if paths is None:
        return True
    fields: tuple[str, ...] | None = getattr(type(obj), "scope_fields", None)
    if fields is None:
        raise TypeError(f"{type(obj).__name__} declares no scope_fields")
    if fields == ("self",):
        return any(obj.path.startswith(p) for p in paths)  # type: ignore[attr-defined]
    manager = type(obj)._default_manager
    return bool(manager.visible_to(actor, action).filter(pk=obj.pk).exists())  # type: ignore[attr-defined]


def require(actor: Any, action: str, obj: models.Model | None = None) -> None:
    """Raise PermissionDenied (zh-hans) unless `actor` may `action` on `obj` (or, with no object, anywhere).
    Every service that writes calls it first; the caller has fetched `obj` through scope (invisible = 404)."""
    if not allowed(actor, action, obj):
        raise PermissionDenied(denied_message(action))


# ---------------------------------------------------------------- views declare their scoped object


@dataclass(frozen=True)
class ScopedRoute:
    """What a view's URL names: `model` looked up by `lookup` (model field → URL kwarg), fetched for `action`."""

    model: type[models.Model]
    action: str
    lookup: dict[str, str]
    arg: str
    normalise: dict[str, Callable[[str], Any]] = field(default_factory=dict)
    related: tuple[str, ...] = ()
    post_action: str | None = None  # a page that shows on GET and writes on POST: the action a POST requires
    where: dict[str, Any] = field(default_factory=dict)  # fixed extra lookups (an API detail: current members)
    via: tuple[str, ...] | None = None  # scope through some scope_fields only (see scope_q)


def scoped(
    model: type[models.Model],
    *,
    action: str = Action.VIEW,
    arg: str = "",
    normalise: dict[str, Callable[[str], Any]] | None = None,
    related: tuple[str, ...] = (),
    post_action: str | None = None,
    where: dict[str, Any] | None = None,
    via: tuple[str, ...] | None = None,
    **lookup: str,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`@scoped(Union, action="change", pk="pk")`: the view's URL kwarg `pk` names a Union; fetch it through
    scope (Http404 when invisible), require `action` on it (PermissionDenied → 403) and call the view with
    the object as `arg` (default: the model name, `union`) instead of the kwarg. `normalise` maps a model field
    to a function applied to the URL value first (`code=normalize_code`); `related` is select_related.
    `post_action`: a page that reads on GET and writes on POST (a settings form) requires it on every POST.
    `where` adds fixed lookups. Works on ninja operations too: the wrapper shows ninja the URL parameters
    (`union_id: int`) in place of the object argument, so the OpenAPI schema is unchanged. The declaration is kept on the view
    (`view.scoped`), where the scope matrix finds it."""
    route = ScopedRoute(model, str(action), dict(lookup or {"pk": "pk"}), arg or model._meta.model_name or "obj",
                        dict(normalise or {}), tuple(related), str(post_action) if post_action else None,
                        dict(where or {}), via)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            route: ScopedRoute = wrapper.scoped  # type: ignore[attr-defined]  # read per call: tests swap it
            values: dict[str, Any] = dict(route.where)
            for model_field, kwarg in route.lookup.items():
                raw = kwargs.pop(kwarg)
                fn = route.normalise.get(model_field)
                values[model_field] = fn(raw) if fn else raw
            qs = route.model._default_manager.select_related(*route.related) if route.related else (
                route.model._default_manager.all())
            obj = qs.get_visible(request.user, action=route.action, via=route.via,  # type: ignore[attr-defined]
                                 **values)
            if route.post_action and request.method == "POST":
                require(request.user, route.post_action, obj)
            kwargs[route.arg] = obj
            return view(request, *args, **kwargs)

        wrapper.scoped = route  # type: ignore[attr-defined]
        wrapper.__signature__ = _url_signature(view, route)  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _url_signature(view: Callable[..., Any], route: ScopedRoute) -> inspect.Signature:
    """The view's signature as the URL sees it: the object argument replaced by the URL parameters."""
    sig = inspect.signature(view)
    params = [p for p in sig.parameters.values() if p.name != route.arg]
    url_params = [
        inspect.Parameter(kwarg, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=int if f == "pk" else str)
        for f, kwarg in route.lookup.items()
    ]
    return sig.replace(parameters=[*params[:1], *url_params, *params[1:]], return_annotation=sig.return_annotation)


@dataclass(frozen=True)
class PermissionRoute:
    """A page that names no object but needs `action` somewhere (a form to request a transfer, an import)."""

    action: str


def permission(action: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """`@permission(Action.CHANGE)`: the page needs `action` on at least one node (403 otherwise); the object it
    then writes on is fetched and required again by the service. Kept on the view for the scope matrix."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require(request.user, wrapper.permission.action)  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        wrapper.permission = PermissionRoute(str(action))  # type: ignore[attr-defined]
        return wrapper

    return decorate
