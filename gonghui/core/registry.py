"""Where apps plug into the shared console: menu items and 工作台 panels.

Each app registers in its AppConfig.ready(), so the base template and the dashboard never import apps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    order: int = 100
    district_only: bool = False


@dataclass(frozen=True)
class Panel:
    """A 工作台 panel: `context(user)` returns the template context; `template` renders it."""

    template: str
    context: Callable[[Any], dict[str, Any]]
    order: int = 100


@dataclass(frozen=True)
class DemoStep:
    """A step of `load_demo`: `run(scale=..., stdout=...)` adds one app's demo data; it must be idempotent."""

    name: str
    run: Callable[..., None]
    order: int = 100


NAV: list[NavItem] = []
DEMO_STEPS: list[DemoStep] = []
PANELS: list[Panel] = []


def register_nav(item: NavItem) -> None:
    if item not in NAV:
        NAV.append(item)
        NAV.sort(key=lambda i: i.order)


def register_panel(panel: Panel) -> None:
    if panel not in PANELS:
        PANELS.append(panel)
        PANELS.sort(key=lambda p: p.order)


def register_demo_step(step: DemoStep) -> None:
    if all(s.name != step.name for s in DEMO_STEPS):
        DEMO_STEPS.append(step)
        DEMO_STEPS.sort(key=lambda s: s.order)


def nav_for(user: Any) -> list[dict[str, str]]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    for item in NAV:
        if item.district_only and not user.can("view_audit"):
            continue
        items.append({"label": item.label, "url": reverse(item.url_name)})
    return items
