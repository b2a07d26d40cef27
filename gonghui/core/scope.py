"""Data scope, one rule in one place.

A user holds role assignments (role, union node). They see the union of the subtrees under their nodes,
widest wins. Every model that belongs to a place in the tree declares `scope_fields`: the foreign keys to
`orgs.Union` through which it belongs (an enterprise belongs to its township by territory *and* to the
union that covers it). `Model.objects.visible_to(user)` is the only way a selector or view starts a read.
An object outside scope is then simply not found: a 404, like an object that does not exist.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.http import Http404

if TYPE_CHECKING:
    from gonghui.accounts.models import User

_M = TypeVar("_M", bound=models.Model)


def minimal_prefixes(paths: list[str]) -> list[str]:
    """Drop every path that lies under another one in the list (the wider assignment already covers it)."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(kept) for kept in result):
            result.append(path)
    return result


def scope_paths(user: Any) -> list[str] | None:
    """Materialised paths of the subtrees `user` may see; None means everything (superuser).

    Cached on the user object for the life of the request.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if getattr(user, "is_superuser", False):
        return None
    cached = getattr(user, "_scope_paths", None)
    if cached is not None:
        return list(cached)
    from gonghui.accounts.models import RoleAssignment

    paths = minimal_prefixes(
        list(RoleAssignment.objects.filter(user=user, active=True).values_list("union__path", flat=True))
    )
    user._scope_paths = paths
    return list(paths)


def covers_whole_tree(user: Any, paths: list[str]) -> bool:
    """True when `paths` include every root of the tree (a district admin in a one-district install).

    Scope is then no filter at all, so the city-wide lists and counts skip the `IN (subtree)` subqueries,
    which on 30k enterprises cost more than the rest of the page. Cached on the user like scope_paths.
    """
    from gonghui.orgs.models import Union

    if not any(len(p) == Union.steplen for p in paths):
        return False  # only a root's path is one step long; no root, no whole tree
    key = tuple(paths)
    cached = getattr(user, "_scope_whole_tree", None)
    if cached is None or cached[0] != key:
        cached = (key, not Union.objects.filter(depth=1).exclude(path__in=paths).exists())
        user._scope_whole_tree = cached
    return bool(cached[1])


def union_subtree_q(paths: list[str], field: str = "path") -> Q:
    return reduce(operator.or_, (Q(**{f"{field}__startswith": p}) for p in paths))


def scope_q(user: Any, model: type[models.Model], *, through: str = "") -> Q | None:
    """The filter `model.objects.visible_to(user)` applies, as a Q; None when there is none (superuser, whole tree).

    With `through` (a relation path, e.g. "employer") the model's `scope_fields` are reached through it, so a read
    of another model can keep the rows whose related `model` object is visible by a join, instead of an
    `IN (SELECT … visible_to …)` the database may not drive from an index (the 工作台's members per township)."""
    paths = scope_paths(user)
    if paths is None:
        return None
    if not paths:
        return Q(pk__in=[])
    if covers_whole_tree(user, paths):
        return None
    prefix = f"{through}__" if through else ""
    fields: tuple[str, ...] = model.scope_fields  # type: ignore[attr-defined]
    if fields == ("self",):
        return union_subtree_q(paths, field=f"{prefix}path")
    from gonghui.orgs.models import Union

    subtree = Union.objects.filter(union_subtree_q(paths)).values("pk")
    return reduce(operator.or_, (Q(**{f"{prefix}{f}__in": subtree}) for f in fields))


class ScopedQuerySet(models.QuerySet[_M]):
    """QuerySet with `visible_to(user)`; the model names its tree links in `scope_fields`."""

    def visible_to(self, user: User | Any) -> Self:
        paths = scope_paths(user)
        if paths is not None and not paths:
            return self.none()
        q = scope_q(user, self.model)
        return self if q is None else self.filter(q)

    def get_visible(self, user: User | Any, **lookup: Any) -> _M:
        """Fetch one object through scope; out of scope and absent both raise Http404."""
        try:
            return self.visible_to(user).get(**lookup)
        except (ObjectDoesNotExist, ValueError, TypeError) as exc:
            raise Http404("对象不存在或无权访问") from exc


def user_can_see_union(user: Any, union_path: str) -> bool:
    paths = scope_paths(user)
    return paths is None or any(union_path.startswith(p) for p in paths)
