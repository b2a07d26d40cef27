"""Which node a cadre's campaign belongs to by default: the top of their `change` scope."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from gonghui.accounts.permissions import Action, action_paths
from gonghui.orgs.models import Union
from gonghui.orgs.scope import denied_message


def default_owner(user: Any) -> Union:
    paths = action_paths(user, Action.CHANGE)
    qs = Union.objects.filter(kind__in=[Union.Kind.DISTRICT, Union.Kind.TOWNSHIP])
    if paths is not None:
        if not paths:
            raise PermissionDenied(denied_message(Action.CHANGE))
        qs = qs.filter(path__in=paths)
    owner = qs.order_by("depth", "path").first()
    if owner is None:
        raise PermissionDenied("只有区总工会或镇(街道)总工会可以发起建会入会行动")
    return owner
