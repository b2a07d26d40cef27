"""The generic scope suite: every console page and API route, over the roles and the cast.

Routes are discovered at run time (config.urls, recursively, and the ninja API's operations), so a route
added later is covered without editing this file. Which object a route names is not guessed: each view
declares it with `@scoped(Model, action=…, pk="pk")` (gonghui/orgs/scope.py), the decorator that also fetches it,
and this suite reads `view.scoped`. A route with a URL parameter and no declaration FAILS (register it below
only if it is not yours to decorate). Pages that need an action but name no object declare `@permission(…)`.

1. objects (int and string keys, pages and API, plain and htmx): for the cast's objects (conftest.py) and for
   each of huangyan, chakan (只读), dongcheng, yuanqiao (sibling townships), kuaidi (a federation whose scope
   crosses townships) and renshe (部门经办人 of a unit off the tree): an object the user must not see is a 404
   (GET and POST); one they see but whose declared action their roles do not grant is a 403; one they may use
   is neither. Who sees what is written out in CAST_SEES, not computed from the code under test;
2. writes: every POST to a console route by chakan is a 403 (or 405), by renshe a 403/404/405 — whatever the
   declarations say, so a forgotten check fails here;
3. lists, htmx partials, exports (`?export=xlsx`, members/export.xlsx) and foreign ids in query strings
   (?union= ?township= ?parent= ?enterprise=): siblings disjoint, both non-empty, the district sees both,
   chakan sees what huangyan sees, renshe sees nothing; a foreign id never brings a foreign row in;
4. anonymous: 401 from the API, the login page from the console.
"""

from __future__ import annotations

import dataclasses
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern
from openpyxl import load_workbook

from gonghui.accounts.models import ApiToken
from gonghui.accounts.permissions import ROLE_ACTIONS, Action
from gonghui.orgs.scope import ScopedRoute

# --- the registration points --------------------------------------------------------------------------------

# Routes whose views cannot be decorated with @scoped (they live below orgs in the layers, or their objects belong
# to a user rather than a place): "url name" → (model, URL parameter → model field, the action the view requires).
_USER = ("accounts.User", {"pk": "pk"}, Action.MANAGE_USERS)
UNDECLARED_ROUTES: dict[str, tuple[str, dict[str, str], str]] = {
    "downloads:file": ("downloads.ExportJob", {"pk": "pk"}, Action.VIEW),  # an export is its owner's alone
    "user_detail": _USER,
    "user_role_assign": _USER,
    "user_role_revoke": _USER,
    "user_deactivate": _USER,
    "user_password_reset": _USER,
    "user_second_factor_reset": _USER,
}

# URL parameters that choose a page variant, not an object: name → a value that exists.
VARIANT_PARAMS: dict[str, str] = {"kind": "enterprises", "assignment_id": "1", "name": "todo"}

# Console routes an anonymous visitor may open (login, public H5 pages for workers …), by namespaced url name.
PUBLIC_PAGES: set[str] = {
    "login",
    "logout",
    # accounts: the second step of a login, before any session (a logged-in user may also re-enrol a phone)
    "otp_verify",
    "otp_enrol",
    # members: the worker's H5 pages (scan-to-join, e-card with its own phone login, card verification)
    "join:form",
    "join:result",
    "join:verify_step",
    "join:employers",
    "join:card",
    "join:card_login",
    "join:card_logout",
    "join:verify",
}

# API operations that need no login, by operationId.
PUBLIC_API: set[str] = {
    "gonghui_accounts_api_auth_token",
    "gonghui_members_api_join",  # members: scan-to-join without the page (rate-limited, public by design)
    "gonghui_members_api_join_verify",  # members: its second step, the SMS code of an ID number already on file
}

# Console routes where a POST by any signed-in user is not a write on the tree, with the reason.
NOT_TREE_WRITES: dict[str, str] = {
    "otp_security": "one's own second factor",
    "otp_recovery_regenerate": "one's own recovery codes",
    "picker:unions": "the union picker's search (reads only, through scope)",
    "members:list": "the search form posts, so a typed ID never enters a URL; it only reads",
    "members:export": "a masked export is a read (the unmasked one requires export_unmasked: tests/test_member_privacy.py)",
    "downloads:list": "one's own downloads",
    "password_change": "one's own password",
    "password_change_done": "a confirmation page",
    "dashboard": "the 工作台 only reads (core's view)",
    "members:import_template": "a blank template download (the imports' view)",
    "members:import_job": "the job's status page only reads (the imports' view)",
    "members:import_errors": "the error workbook download (the imports' view)",
    "orgs:import_job": "the job's status page only reads (the imports' view)",
    "orgs:import_errors": "the error workbook download (the imports' view)",
    "audit_log": "a district-only read page (core's view: 404 to others)",
}

# Object routes whose object may legitimately be absent for everyone (so the "served" case may be a 404).
ABSENT_OK: dict[str, str] = {
    "members:import_errors": "a job without rejected rows has no error workbook",
    "orgs:import_job": "the cast's job is a roster (kind members); a registry job shows under its own kind",
    "downloads:file": "the cast's export has no file on disk",
    "user_role_revoke": "the assignment id in the URL is a fixed one, not necessarily the user's",
}

# List pages that link to no object for a township cadre, with the reason (else a list must not be empty).
NO_OBJECT_LINKS: dict[str, str] = {
    "panel": "a 工作台 panel: figures linked to filtered lists (the panels' own tests check the counts)",
    "otp_security": "one's own second factor",
    "user_new": "a form",
    "members:export": "the export dialog (its rows are the member list's, compared there)",
    "downloads:list": "one's own exports (an export is its owner's: the object routes check it)",
    "audit_export": "district only (403 to townships)",
    "login_log": "district only (403 to townships)",
    "dashboard": "figures only",
    "roles": "the role table",
    "password_change": "a form",
    "password_change_done": "a confirmation",
    "orgs:import_index": "links to the import forms",
    "members:import": "a form; recent jobs only",
    "members:import_template": "a download",
    "members:transfer_in": "a form",
    "orgs:import": "an upload form",
    "members:transfers": "a shared list (below)",
    "core:audit_log": "district only (404 to townships)",
    "audit_log": "district only (404 to townships)",
}

# Lists whose rows belong to two subtrees at once, so siblings may share them, with the reason (page url names and
# API operationIds).
SHARED_LISTS: dict[str, str] = {
    "members:transfers": "a transfer belongs to its origin and its destination (东城 ↔ 院桥 in the demo)",
}

# Pages that need an action beyond view (readers get 403 where the district admin is served), with the reason.
NOT_FOR_READERS: dict[str, str] = {
    "user_list": "the users console needs manage_users",
    "audit_log": "the audit log needs view_audit",
    "audit_export": "the audit log needs view_audit",
    "login_log": "the login log needs view_audit",
}

# Downloads that carry no data rows (headers, one example, dropdowns): nothing to compare.
TEMPLATES = {"members:import_template", "orgs:import_template"}

# Lists (page url names or API operationIds) whose rows may be routed to a unit off the tree → the model they list.
# renshe sees nothing in every other list; in these it sees exactly the app's cast objects written out for it.
UNIT_LISTS: dict[str, str] = {}

# Foreign ids tried in the query string of every list (console and API).
QUERY_IDS = ("union", "township", "parent", "enterprise")


# An app adds its own registrations in `gonghui/<app>/tests/scope.py`, so adding an app edits no shared file: any
# of the names above (dicts merged, sets joined) and `objects(cast) -> [(obj, {usernames who see it})]`, the
# app's cast objects (huangyan and chakan are added to every set: they see the whole district).
_MERGED = ("UNDECLARED_ROUTES", "VARIANT_PARAMS", "PUBLIC_PAGES", "PUBLIC_API", "NOT_TREE_WRITES", "ABSENT_OK",
           "NO_OBJECT_LINKS", "SHARED_LISTS", "NOT_FOR_READERS", "TEMPLATES", "UNIT_LISTS")
APP_OBJECTS: list[Any] = []


def _app_registrations() -> None:
    import importlib

    for config in apps.get_app_configs():
        if not config.name.startswith("gonghui."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tests.scope")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"{config.name}.tests", f"{config.name}.tests.scope"):
                raise
            continue
        for name in _MERGED:
            extra = getattr(module, name, None)
            if extra:
                target = globals()[name]
                target.update(extra)
        if hasattr(module, "objects"):
            APP_OBJECTS.append(module.objects)


_app_registrations()

SKIPPED_PREFIXES = ("admin/",)
API_PREFIX = "api/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
USERS = ("huangyan", "chakan", "dongcheng", "yuanqiao", "kuaidi", "renshe")

# --- discovery ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One console URL pattern or one API operation (path + method)."""

    kind: str  # "page" | "api"
    route: str  # "orgs/unions/<pk>/" or "api/v1/unions/{union_id}"
    name: str  # namespaced url name, or the API operationId
    params: tuple[tuple[str, str], ...]  # (name, converter): "int" for object ids
    view: Any = field(compare=False, repr=False)
    method: str = "GET"  # API only

    @property
    def id_params(self) -> list[str]:
        return [p for p, conv in self.params if conv == "int"]

    def __str__(self) -> str:
        return f"{self.method if self.kind == 'api' else ''} {self.route} [{self.name}]".strip()


_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<rx>[^)]*)\)")


def _pattern_text(pattern: Any) -> tuple[str, list[tuple[str, str]]]:
    """A route fragment in `<conv:name>` form plus its parameters, for both path() and re_path()."""
    if isinstance(pattern, RoutePattern):
        text = str(pattern)
        return text, [(m["name"], m["conv"] or "str") for m in _PARAM.finditer(text)]
    assert isinstance(pattern, RegexPattern)
    rx = str(pattern).lstrip("^").rstrip("$").replace("\\Z", "").replace("\\/", "/")
    params = [(m["name"], "int" if m["rx"] in (r"\d+", r"[0-9]+") else "str") for m in _REGEX_GROUP.finditer(rx)]
    return _REGEX_GROUP.sub(lambda m: f"<{m['name']}>", rx), params


def _walk(patterns: list[Any], prefix: str = "", params: tuple[tuple[str, str], ...] = (), ns: str = "") -> Iterator[
    tuple[str, str, tuple[tuple[str, str], ...], Any]
]:
    for p in patterns:
        text, own = _pattern_text(p.pattern)
        if isinstance(p, URLResolver):
            child_ns = f"{ns}:{p.namespace}".strip(":") if p.namespace else ns
            yield from _walk(p.url_patterns, prefix + text, params + tuple(own), child_ns)
        elif isinstance(p, URLPattern):
            name = f"{ns}:{p.name}".strip(":") if p.name else ""
            yield prefix + text, name, params + tuple(own), p.callback


def page_routes() -> list[Route]:
    routes = []
    for route, name, params, callback in _walk(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES) or route.startswith(API_PREFIX):
            continue
        view = getattr(callback, "view_class", callback)
        routes.append(Route("page", route, name or route, params, view))
    return routes


def api_routes() -> list[Route]:
    """Every operation of the ninja API, with its path parameters' types from the OpenAPI schema."""
    from gonghui.api import api

    api.urls  # noqa: B018 — binds the routers, so `_routers` lists every (nested) router
    views: dict[str, Any] = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for op in path_view.operations:
                views[api.get_openapi_operation_id(op)] = op.view_func
    schema = api.get_openapi_schema()
    routes = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            params = tuple(
                (p["name"], "int" if p.get("schema", {}).get("type") == "integer" else "str")
                for p in op.get("parameters", [])
                if p["in"] == "path"
            )
            routes.append(Route("api", path.lstrip("/"), op["operationId"], params, views.get(op["operationId"]),
                                method.upper()))
    return routes


PAGES = page_routes()
try:
    APIS = api_routes()
    API_DISCOVERY_ERROR = ""
except Exception as exc:  # the OpenAPI schema itself is broken: report it as a failure, not a collection error
    APIS, API_DISCOVERY_ERROR = [], f"{type(exc).__name__}: {exc}"


# --- declarations -------------------------------------------------------------------------------------------


def declaration(route: Route) -> ScopedRoute | None:
    """What the route's view declares with @scoped, or what UNDECLARED_ROUTES says for it."""
    declared = getattr(route.view, "scoped", None)
    if declared is not None:
        return declared  # type: ignore[no-any-return]
    if route.name in UNDECLARED_ROUTES:
        label, lookup, action = UNDECLARED_ROUTES[route.name]
        return ScopedRoute(apps.get_model(label), action, {f: p for p, f in lookup.items()}, "obj")
    return None


def object_params(route: Route) -> dict[str, str]:
    """URL parameter → model field of the object the route names; fails for an undeclared parameter."""
    declared = declaration(route)
    lookup = {kwarg: f for f, kwarg in declared.lookup.items()} if declared else {}
    for name, _conv in route.params:
        if name not in lookup and name not in VARIANT_PARAMS:
            pytest.fail(
                f"路由 {route} 的参数 `{name}` 没有声明它指向的对象：请在视图上加 "
                f'@scoped(Model, pk="{name}")（gonghui/orgs/scope.py），或把它登记到 VARIANT_PARAMS。',
                pytrace=False,
            )
    return lookup


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def _grants(username: str, action: str) -> bool:
    """Whether the user's roles grant `action` somewhere (from the pinned ROLE_ACTIONS)."""
    return any(action in ROLE_ACTIONS[a.role] for a in _user(username).role_assignments.filter(active=True))


def _token_headers(username: str) -> dict[str, str]:
    plain = ApiToken.new_plain()
    ApiToken.objects.create(user=_user(username), key_hash=ApiToken.hash(plain), prefix=plain[:8], name="scope-matrix")
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def _fill(route: Route, values: dict[str, Any]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m["name"]
        if name in values:
            return str(values[name])
        if name in VARIANT_PARAMS:
            return VARIANT_PARAMS[name]
        conv = dict(route.params).get(name, "str")
        return {"int": "1", "uuid": str(uuid.uuid4())}.get(conv, "x")

    path = re.sub(r"[<{](?:\w+:)?(?P<name>\w+)[>}]", sub, route.route)
    return "/" + path.lstrip("/")


def _call(client: Client, method: str, url: str, **extra: Any) -> HttpResponse:
    if method in ("POST", "PUT", "PATCH"):
        return getattr(client, method.lower())(url, data="{}", content_type="application/json", **extra)
    return getattr(client, method.lower())(url, **extra)


def _ids(routes: list[Route]) -> list[str]:
    return [str(r) for r in routes]


OBJECT_PAGES = [r for r in PAGES if r.params and r.name not in PUBLIC_PAGES and set(dict(r.params)) - set(VARIANT_PARAMS)]
OBJECT_API = [r for r in APIS if r.params and r.name not in PUBLIC_API]
VARIANT_PAGES = [r for r in PAGES if r.params and not set(dict(r.params)) - set(VARIANT_PARAMS)]
LIST_PAGES = [r for r in PAGES if not r.params and r.name not in PUBLIC_PAGES]
LIST_API = [r for r in APIS if not r.params and r.method == "GET" and r.name not in PUBLIC_API]
PRIVATE_PAGES = [r for r in PAGES if r.name not in PUBLIC_PAGES]
PRIVATE_API = [r for r in APIS if r.name not in PUBLIC_API]

pytestmark = pytest.mark.django_db


def test_discovery_found_the_known_routes() -> None:
    """A guard on the discovery itself: if it finds nothing, every other test here would pass vacuously."""
    assert not API_DISCOVERY_ERROR, f"无法生成 OpenAPI（/api/v1/openapi.json 也会 500）：{API_DISCOVERY_ERROR}"
    api_paths = {r.route for r in APIS}
    assert {"api/v1/unions/{union_id}", "api/v1/enterprises/{enterprise_id}", "api/v1/unions"} <= api_paths
    assert any(r.name == "dashboard" for r in PAGES)
    names = {r.name for r in OBJECT_PAGES}
    assert {"join:poster", "join:qr_png", "join:admin", "orgs:union_move", "members:reveal"} <= names
    assert all(declaration(r) is not None for r in OBJECT_API)
    assert {"members:export", "orgs:union_list", "orgs:enterprise_list"} <= {r.name for r in LIST_PAGES}


# --- the cast's objects and who sees them ---------------------------------------------------------------------


@dataclass
class Objects:
    by_model: dict[str, list[models.Model]]
    sees: dict[tuple[str, int], set[str]] = field(default_factory=dict)  # (label, pk) → usernames (besides the
    # district-wide huangyan and chakan, who see everything)


@pytest.fixture
def objects(cast: Any) -> Objects:
    """The cast's objects by model, each with the users who see it — written out, not computed."""
    from gonghui.downloads.models import ExportJob
    from gonghui.members.models import Membership, TransferRequest
    from gonghui.orgs.models import ImportJob

    m = {p.pk: Membership.objects.get(person=p, status="active") for p in (cast.worker, cast.yq_member, cast.kd_member)}
    m[cast.worker.pk].status = "pending"  # an approval to decide
    m[cast.worker.pk].save(update_fields=["status"])
    transfer = TransferRequest.objects.create(
        person=cast.yq_member, from_membership=m[cast.yq_member.pk], from_union=cast.yq_union, to_union=cast.kd_union,
        due_at="2099-01-01T00:00:00+08:00")
    job = ImportJob.objects.create(kind="members", union=cast.dc_union, folder="/nonexistent", file_name="upload",
                                   original_name="名册.xlsx")
    export = ExportJob.objects.create(kind="members", title="会员名册", params_cipher="-", filename="x.xlsx",
                                      created_by=cast.dongcheng, status=ExportJob.Status.DONE)
    rows: list[tuple[models.Model, set[str]]] = [
        (cast.dc_union, {"dongcheng"}), (cast.yq_union, {"yuanqiao"}), (cast.kd_union, {"kuaidi"}),
        (cast.dc_firm, {"dongcheng"}), (cast.yq_firm, {"yuanqiao"}), (cast.kd_firm, {"kuaidi", "yuanqiao"}),
        (cast.worker, {"dongcheng"}), (cast.yq_member, {"yuanqiao"}), (cast.kd_member, {"kuaidi"}),
        (cast.leaver, {"dongcheng"}),
        (m[cast.worker.pk], {"dongcheng"}), (m[cast.yq_member.pk], {"yuanqiao"}), (m[cast.kd_member.pk], {"kuaidi"}),
        (transfer, {"yuanqiao", "kuaidi"}), (job, {"dongcheng"}),
        # users console: a user is in sight of those who hold view over a node of one of their assignments
        (cast.dongcheng, {"dongcheng"}), (cast.yuanqiao, {"yuanqiao"}), (cast.kuaidi, {"kuaidi"}),
    ]
    for app_objects in APP_OBJECTS:
        rows.extend(app_objects(cast))
    out = Objects(by_model={})
    for obj, who in rows:
        out.by_model.setdefault(obj._meta.label, []).append(obj)
        out.sees[(obj._meta.label, obj.pk)] = who | {"huangyan", "chakan"}
    # an export belongs to the one who asked for it: not even the district sees another's
    out.by_model.setdefault(export._meta.label, []).append(export)
    out.sees[(export._meta.label, export.pk)] = {"dongcheng"}
    return out


def expected(username: str, route_action: str, obj: models.Model, objs: Objects) -> int:
    """404 unseen, 403 seen but not permitted, 200 (meaning: neither) otherwise."""
    if username not in objs.sees[(obj._meta.label, obj.pk)]:
        return 404
    return 200 if _grants(username, route_action) else 403


def _accepts(want: int, got: int, *, granted: bool = True, absent_ok: bool = False) -> bool:
    """`granted`: the user holds the route's action somewhere. Without it a 403 may come before the object is
    looked up — that tells nothing about the object, so it stands for a 404 too."""
    if got == 405:
        return True  # the route does not take this method: nothing ran
    if want == 404 and got == 403 and not granted:
        return True
    if want == 200 and absent_ok and got == 404:
        return True
    return got == want if want in (403, 404) else got not in (403, 404)


def check_object_route(route: Route, objs: Objects, declared: ScopedRoute) -> int:
    """Every user × every cast object of the route's model, GET (and htmx GET) and POST; returns the number of
    requests compared (the caller asserts it is not zero)."""
    params = object_params(route)
    targets = [o for o in objs.by_model.get(declared.model._meta.label, [])
               if not declared.where or type(o)._base_manager.filter(pk=o.pk, **declared.where).exists()]
    assert targets, f"{route}: 演员表中没有 {declared.model._meta.label} 对象，矩阵会空跑；请在 objects 夹具里加一个"
    compared = 0
    for username in USERS:
        if route.kind == "api":
            client, extra = Client(), _token_headers(username)
        else:
            client, extra = Client(), {}
            client.force_login(_user(username))
        for obj in targets:
            url = _fill(route, {p: getattr(obj, f) for p, f in params.items()})
            want = expected(username, declared.action, obj, objs)
            granted, absent_ok = _grants(username, declared.action), route.name in ABSENT_OK
            method = route.method if route.kind == "api" else "GET"
            got = _call(client, method, url, **extra).status_code
            assert _accepts(want, got, granted=granted, absent_ok=absent_ok), (
                f"{method} {url} 作为 {username} 应为 {want}，实为 {got}")
            compared += 1
            if route.kind == "page":
                got = client.get(url, {"part": "children"}, HTTP_HX_REQUEST="true").status_code
                assert _accepts(want, got, granted=granted, absent_ok=absent_ok), (
                    f"htmx GET {url} 作为 {username} 应为 {want}，实为 {got}")
                # a POST is a write: nobody without `change` (or the declared action) gets past a 403
                post_action = declared.post_action or (declared.action if declared.action != Action.VIEW
                                                       else Action.CHANGE)
                post_granted = _grants(username, post_action)
                post_want = 404 if want == 404 else 0 if post_granted else 403
                if post_want and route.name not in NOT_TREE_WRITES:
                    got = client.post(url, {}).status_code
                    assert _accepts(post_want, got, granted=post_granted), (
                        f"POST {url} 作为 {username} 应为 {post_want}，实为 {got}")
                    compared += 1
    return compared


@pytest.mark.parametrize("route", OBJECT_PAGES + OBJECT_API, ids=_ids(OBJECT_PAGES + OBJECT_API))
def test_objects_answer_404_403_or_serve_by_role(route: Route, objects: Objects) -> None:
    declared = declaration(route)
    if declared is None:
        object_params(route)  # fails, naming the fix
        raise AssertionError("unreachable")
    assert check_object_route(route, objects, declared) > 0


def test_removing_a_permission_check_makes_the_matrix_fail(objects: Objects) -> None:
    """Given join:admin, whose POST requires `change` (post_action), when the check is taken off the view,
    then the matrix fails on it (chakan's POST goes through); with the check back it passes."""
    route = next(r for r in OBJECT_PAGES if r.name == "join:admin")
    declared = declaration(route)
    assert declared is not None and declared.post_action == Action.CHANGE
    views = [route.view]
    while hasattr(views[-1], "__wrapped__"):
        views.append(views[-1].__wrapped__)
    holders = [v for v in views if hasattr(v, "scoped")]
    try:
        for v in holders:
            v.scoped = dataclasses.replace(declared, post_action=None)
        with pytest.raises(AssertionError, match="POST .* 作为 chakan 应为 403"):
            check_object_route(route, objects, declared)
    finally:
        for v in holders:
            v.scoped = declared
    assert check_object_route(route, objects, declared) > 0


# --- writes: readers never write, whatever the declarations say ----------------------------------------------


READER_WRITES = [r for r in LIST_PAGES + VARIANT_PAGES if r.name not in NOT_TREE_WRITES]


@pytest.mark.parametrize("route", READER_WRITES, ids=_ids(READER_WRITES))
def test_readers_never_write(route: Route) -> None:
    """Pages that name no object (object routes: check_object_route's POSTs)."""
    url = _fill(route, {})
    for username, allowed in (("chakan", (403, 405)), ("renshe", (403, 404, 405))):
        client = Client()
        client.force_login(_user(username))
        got = client.post(url, {}).status_code
        assert got in allowed, f"POST {url} 作为 {username}（不能办理任何业务）应为 {allowed}，实为 {got}"


@pytest.mark.parametrize("route", [r for r in PRIVATE_PAGES if getattr(r.view, "permission", None)],
                         ids=_ids([r for r in PRIVATE_PAGES if getattr(r.view, "permission", None)]))
def test_pages_needing_an_action_answer_403_without_it(route: Route, cast: Any) -> None:
    action = route.view.permission.action
    for username in USERS:
        client = Client()
        client.force_login(_user(username))
        got = client.get(_fill(route, {})).status_code
        assert (got == 403) == (not _grants(username, action)), f"GET {route} 作为 {username} → {got}"


# --- lists, partials, exports, foreign ids in the query string ----------------------------------------------


_HREF = re.compile(r"""href=["']([^"'#]+)["']""")


def _linked_objects(html: str) -> set[tuple[str, int]]:
    """(model label, pk) of every object a page links to through a route that names an object."""
    found: set[tuple[str, int]] = set()
    for href in set(_HREF.findall(html)):
        path = urlsplit(href).path
        if not path.startswith("/") or path.startswith(("/static/", "/media/", "/" + API_PREFIX)):
            continue
        try:
            match = resolve(path)
        except Resolver404:
            continue
        route = next((r for r in OBJECT_PAGES if r.name == (match.view_name or "")), None)
        declared = declaration(route) if route is not None else None
        if route is None or declared is None or len(declared.lookup) != 1:
            continue
        (model_field, kwarg), = declared.lookup.items()
        value = match.kwargs[kwarg]
        obj = declared.model._default_manager.filter(**{model_field: value}).values_list("pk", flat=True).first()
        if obj is not None:
            found.add((declared.model._meta.label, obj))
    return found


def _page(username: str, url: str, **extra: Any) -> HttpResponse:
    client = Client()
    client.force_login(_user(username))
    return client.get(url, **extra)


def _xlsx_rows(response: HttpResponse) -> set[tuple[Any, ...]]:
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).active.values)
    return {tuple(r) for r in rows[1:]}


def _seen(username: str, url: str, **extra: Any) -> tuple[str, set[Any]] | None:
    """What a list shows `username`: ("html", linked objects) or ("xlsx", data rows); None if not a list."""
    r = _page(username, url, **extra)
    kind = r.get("Content-Type", "").split(";")[0]
    if r.status_code in (400, 403, 404, 405):  # 400: a filter value refused (a foreign union): nothing shown
        return ("denied", set())
    assert r.status_code == 200, f"{url} 作为 {username} 应为 200，实为 {r.status_code}"
    if kind == XLSX:
        return "xlsx", _xlsx_rows(r)
    if kind == "text/html":
        user = _user(username)
        linked = _linked_objects(r.content.decode())
        for label, pk in linked:
            model = apps.get_model(label)
            assert model._default_manager.visible_to(user).filter(pk=pk).exists(), (  # type: ignore[attr-defined]
                f"{url}: 页面给 {username} 链接了范围外的 {label} #{pk}（点进去会是 404）")
        return "html", linked
    return None


def _variants(route: Route) -> Iterator[tuple[str, dict[str, Any]]]:
    url = _fill(route, {})
    yield url, {}
    yield url, {"HTTP_HX_REQUEST": "true"}  # the htmx partial of the same list
    if _page("huangyan", url + "?export=xlsx").get("Content-Type", "").startswith(XLSX):
        yield url + "?export=xlsx", {}


@pytest.mark.parametrize("route", LIST_PAGES + VARIANT_PAGES, ids=_ids(LIST_PAGES + VARIANT_PAGES))
def test_lists_partials_and_exports_are_disjoint_between_siblings(route: Route, cast: Any) -> None:
    if route.name in TEMPLATES:
        pytest.skip("a template download: no data rows")
    for url, extra in _variants(route):
        seen = {u: _seen(u, url, **extra) for u in USERS}
        if seen["huangyan"] is None or seen["huangyan"][0] == "denied":
            continue  # not a list (a download of something else), or not for anyone but a superuser
        d, y, h = (seen[u][1] for u in ("dongcheng", "yuanqiao", "huangyan"))  # type: ignore[index]
        if route.name not in NO_OBJECT_LINKS and route.name not in NOT_TREE_WRITES:
            assert d and y, f"{url} {extra}: 列表为空（dongcheng {len(d)}，yuanqiao {len(y)}），比较没有意义"
        if route.name not in SHARED_LISTS:
            assert not (d & y), f"{url} {extra}: dongcheng 与 yuanqiao 看到相同的对象 {sorted(d & y, key=str)[:5]}"
        if seen["huangyan"][0] == "xlsx":  # an export is the whole list (a page shows the first rows only)
            assert d | y <= h, f"{url} {extra}: huangyan 缺少 {sorted((d | y) - h, key=str)[:5]}"
        if route.name in NOT_FOR_READERS:
            assert seen["chakan"][0] == "denied", f"{url} {extra}: 只读 chakan 不应打开（{NOT_FOR_READERS[route.name]}）"
        else:
            assert seen["chakan"][1] == h, f"{url} {extra}: 只读 chakan 应与 huangyan 看到的一样"  # type: ignore[index]
        assert not seen["renshe"][1], f"{url} {extra}: renshe（组织树外）不应看到任何对象"  # type: ignore[index]


def test_foreign_ids_in_the_query_string_bring_nothing_foreign(cast: Any) -> None:
    foreign = {"union": cast.yq_union.pk, "township": cast.yuanqiao_town.pk, "parent": cast.yuanqiao_town.pk,
               "enterprise": cast.yq_firm.pk}
    theirs = {("orgs.Union", cast.yq_union.pk), ("orgs.Enterprise", cast.yq_firm.pk),
              ("members.Person", cast.yq_member.pk)}
    shown_to_district = 0
    for route in LIST_PAGES:
        for name in QUERY_IDS:
            url = f"{_fill(route, {})}?{name}={foreign[name]}"
            mine = _seen("dongcheng", url)
            if mine is None or mine[0] == "denied":
                continue
            if mine[0] == "html":
                assert not (mine[1] & theirs), f"{url}: dongcheng 看到了 {mine[1] & theirs}"
                district = _seen("huangyan", url)
                shown_to_district += len(district[1] & theirs) if district else 0
            else:
                names = {str(v) for row in mine[1] for v in row}
                assert not names & {cast.yq_firm.name, cast.yq_union.name}, url
    headers = _token_headers("dongcheng")
    for route in LIST_API:
        own: set[Any] | None = None
        for name in QUERY_IDS:
            url = f"{_fill(route, {})}?{name}={foreign[name]}&limit=1000"
            r = Client().get(url, **headers)
            if r.status_code != 200 or not isinstance(r.json(), dict) or "items" not in r.json():
                continue
            own = _api_ids(route, "dongcheng") if own is None else own
            got = {item.get("id") for item in r.json()["items"]}
            assert got <= own, f"{url}: dongcheng 用院桥的 id 过滤得到了范围外的 {sorted(got - own)[:5]}"
    # the query strings are not ignored: the district sees the cast's 院桥 objects through them
    assert shown_to_district > 0


def _api_ids(route: Route, username: str) -> set[Any]:
    url = _fill(route, {})
    headers = _token_headers(username)
    seen: set[Any] = set()
    offset = 0
    while True:
        response = Client().get(f"{url}?limit=1000&offset={offset}", **headers)
        assert response.status_code == 200, f"GET {url} → {response.status_code}"
        body = response.json()
        if not (isinstance(body, dict) and {"items", "count"} <= set(body)):
            pytest.skip(f"{route} 不是分页列表")
        seen |= {item.get("id", repr(item)) for item in body["items"]}
        offset += 1000
        if offset >= body["count"]:
            return seen


@pytest.mark.parametrize("route", LIST_API, ids=_ids(LIST_API))
def test_api_lists_are_disjoint_between_siblings(route: Route, cast: Any) -> None:
    seen = {u: _api_ids(route, u) for u in USERS}
    d, y, h = seen["dongcheng"], seen["yuanqiao"], seen["huangyan"]
    assert d and y, f"{route}: 列表为空（dongcheng {len(d)}，yuanqiao {len(y)}），比较没有意义"
    if route.name not in SHARED_LISTS:
        assert not (d & y), f"{route}: dongcheng 与 yuanqiao 的结果有交集 {sorted(d & y)[:5]}"
    assert d | y <= h, f"{route}: huangyan 的结果缺少 {sorted((d | y) - h)[:5]}"
    assert seen["chakan"] == h and not seen["renshe"]
    assert seen["kuaidi"], f"{route}: kuaidi 什么也看不到"


_UNIT_ROUTES = [r for r in LIST_PAGES + LIST_API if r.name in UNIT_LISTS]


@pytest.mark.parametrize("route", _UNIT_ROUTES, ids=_ids(_UNIT_ROUTES))
def test_unit_lists_show_exactly_what_is_routed_to_the_unit(route: Route, objects: Objects) -> None:
    """A unit off the tree (renshe, 人社局) sees in these lists exactly the cast objects routed to it."""
    label = UNIT_LISTS[route.name]
    want = {pk for (lbl, pk), who in objects.sees.items() if lbl == label and "renshe" in who}
    assert want, f"{route}: 演员表中没有给 renshe 的 {label} 对象，比较没有意义"
    if route.kind == "api":
        got = _api_ids(route, "renshe")
    else:
        seen = _seen("renshe", _fill(route, {}))
        assert seen is not None and seen[0] == "html", route
        got = {pk for lbl, pk in seen[1] if lbl == label}
    assert got == want, f"{route}: renshe 应只看到派给人社局的 {sorted(want)}，实为 {sorted(got)}"


# --- anonymous -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", PRIVATE_API, ids=_ids(PRIVATE_API))
def test_api_anonymous_is_401(route: Route, client: Client) -> None:
    response = _call(client, route.method, _fill(route, {}))
    assert response.status_code == 401, f"{route} 匿名访问应为 401，实为 {response.status_code}"
    assert response.json()["detail"] == "未登录或令牌无效"


@pytest.mark.parametrize("route", PRIVATE_PAGES, ids=_ids(PRIVATE_PAGES))
def test_page_anonymous_redirects_to_login(route: Route, client: Client) -> None:
    url = _fill(route, {})
    login = resolve_url(settings.LOGIN_URL)
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    assert response.status_code == 302 and response["Location"].startswith(login), (
        f"{route} 匿名访问应跳转到登录页，实为 {response.status_code} {response.get('Location', '')}；"
        "若这是面向职工的公开页面，请登记到 PUBLIC_PAGES"
    )


def test_only_the_token_endpoint_is_public() -> None:
    """An operation declared with auth=None must be listed in PUBLIC_API on purpose."""
    from gonghui.api import api

    schema = api.get_openapi_schema()
    public = {op["operationId"] for methods in schema["paths"].values() for op in methods.values() if not op.get("security")}
    assert public == PUBLIC_API
