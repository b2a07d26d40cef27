"""Where apps plug into the shared console and the site: menu entries, 工作台 panels, API routers, URL mounts.

Each app registers in its AppConfig.ready(); the base template, the 工作台, `gonghui/api.py` and `config/urls.py`
assemble from here, so adding an app edits no shared file:

    register_nav(NavItem("会员名册", "members:list", group="member", permission="view", order=10))
    register_panel(Panel("members", "members/panel_dashboard.html", panels.dashboard_context, order=20))
    register_api_router(ApiRouter("gonghui.members.api:router"))
    register_urls(UrlMount("members/", "gonghui.members.urls"))

A menu entry shows only to a user who holds its `permission` (an `Action` value) on at least one node. A panel is
served by its own route (`/panels/<name>/`, loaded by htmx into the 工作台), so each is a scoped view of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

# The menu's domains, in menu order: (key, zh-hans label).
GROUPS: tuple[tuple[str, str], ...] = (
    ("org", "组织"),
    ("member", "会员"),
    ("join", "建会入会"),
    ("service", "服务职工"),
    ("system", "系统"),
)
GROUP_LABELS = dict(GROUPS)


@dataclass(frozen=True)
class NavItem:
    """A menu entry: shown to users who hold `permission` (an Action value) on some node."""

    label: str
    url_name: str
    group: str
    permission: str = "view"
    order: int = 100

    def __post_init__(self) -> None:
        if self.group not in GROUP_LABELS:
            raise ValueError(f"unknown menu group {self.group!r}; one of {sorted(GROUP_LABELS)}")


@dataclass(frozen=True)
class Panel:
    """A 工作台 panel, served at /panels/<name>/: `context(user)` returns the context; `template` renders it."""

    name: str
    template: str
    context: Callable[[Any], dict[str, Any]]
    order: int = 100
    permission: str = "view"
    title: str = ""


@dataclass(frozen=True)
class DemoStep:
    """A step of `load_demo`: `run(scale=..., stdout=...)` adds one app's demo data; it must be idempotent."""

    name: str
    run: Callable[..., None]
    order: int = 100


@dataclass(frozen=True)
class ApiRouter:
    """A ninja router named by its dotted path ("pkg.module:attr"), mounted under /api/v1/<prefix>."""

    target: str
    prefix: str = ""
    order: int = 100


@dataclass(frozen=True)
class UrlMount:
    """A URLconf module included at `prefix` of the site (before the console's catch-all root)."""

    prefix: str
    module: str
    order: int = 100


NAV: list[NavItem] = []
DEMO_STEPS: list[DemoStep] = []
PANELS: list[Panel] = []
API_ROUTERS: list[ApiRouter] = []
URL_MOUNTS: list[UrlMount] = []


def register_nav(item: NavItem) -> None:
    if all(i.url_name != item.url_name for i in NAV):
        NAV.append(item)
        NAV.sort(key=lambda i: i.order)


def register_panel(panel: Panel) -> None:
    if all(p.name != panel.name for p in PANELS):
        PANELS.append(panel)
        PANELS.sort(key=lambda p: p.order)


def register_demo_step(step: DemoStep) -> None:
    if all(s.name != step.name for s in DEMO_STEPS):
        DEMO_STEPS.append(step)
        DEMO_STEPS.sort(key=lambda s: s.order)


def register_api_router(router: ApiRouter) -> None:
    if router not in API_ROUTERS:
        API_ROUTERS.append(router)
        API_ROUTERS.sort(key=lambda r: r.order)


def register_urls(mount: UrlMount) -> None:
    if mount not in URL_MOUNTS:
        URL_MOUNTS.append(mount)
        URL_MOUNTS.sort(key=lambda m: m.order)


def panel_named(name: str) -> Panel | None:
    return next((p for p in PANELS if p.name == name), None)


# The permission policy, plugged in by the layer that owns it (orgs' AppConfig.ready(), on top of accounts'
# permissions and the tree's scope), so the core imports neither:
# - `granted(user)`: every action the user holds on at least one node or unit (menus, panels);
# - `can_everywhere(user, action)`: the action is held on a root of the tree (whole-district pages: 操作日志);
# - `scope_names(user)`: the names of the topmost nodes the user sees ("东城街道"), for page titles.
_POLICY: dict[str, Callable[..., Any]] = {}


def set_permission_policy(
    *,
    granted: Callable[[Any], frozenset[str]],
    can_everywhere: Callable[[Any, str], bool],
    scope_names: Callable[[Any], list[str]],
) -> None:
    _POLICY.update(granted=granted, can_everywhere=can_everywhere, scope_names=scope_names)


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def granted(user: Any) -> frozenset[str]:
    fn = _POLICY.get("granted")
    return frozenset(fn(user)) if fn is not None and _authenticated(user) else frozenset()


def can(user: Any, action: str) -> bool:
    return str(action) in granted(user)


def can_everywhere(user: Any, action: str) -> bool:
    fn = _POLICY.get("can_everywhere")
    return bool(fn(user, action)) if fn is not None and _authenticated(user) else False


def scope_names(user: Any) -> list[str]:
    fn = _POLICY.get("scope_names")
    return list(fn(user)) if fn is not None and _authenticated(user) else []


def _url(item: NavItem) -> str | None:
    try:
        return reverse(item.url_name)
    except NoReverseMatch:
        return None


def nav_for(user: Any, path: str = "") -> list[dict[str, Any]]:
    """The side menu for `user`: groups in order, each with the entries they may see; the one `path` is in is
    marked current (the longest matching URL prefix wins, so /members/transfers/new/ lights up 转会)."""
    if not getattr(user, "is_authenticated", False):
        return []
    actions = granted(user)
    entries: list[dict[str, Any]] = []
    for item in NAV:
        url = _url(item) if item.permission in actions else None
        if url:
            entries.append({"label": item.label, "url": url, "group": item.group, "current": False})
    best = max((e for e in entries if path.startswith(str(e["url"]))), key=lambda e: len(str(e["url"])),
               default=None)
    if best is not None:
        best["current"] = True
    groups = []
    for key, label in GROUPS:
        items = [e for e in entries if e["group"] == key]
        if items:
            groups.append({"key": key, "label": label, "items": items, "current": any(e["current"] for e in items)})
    return groups


def panels_for(user: Any) -> list[Panel]:
    actions = granted(user)
    return [panel for panel in PANELS if panel.permission in actions]


@dataclass(frozen=True)
class AuditTarget:
    """How the 操作日志 names and links an object of `model` ("app_label.modelname"): `link(obj)` → its page's
    URL (or None), `name(obj)` → the name a cadre knows it by (default: str(obj))."""

    model: str
    link: Callable[[Any], str | None]
    name: Callable[[Any], str] | None = None
    # the models to fetch along with it (select_related), so a page of entries costs one query per model
    related: tuple[str, ...] = ()


AUDIT_TARGETS: dict[str, AuditTarget] = {}


def register_audit_target(target: AuditTarget) -> None:
    AUDIT_TARGETS[target.model] = target
