"""The generic scope suite: every console page and API route, as users of sibling townships.

Routes are discovered at run time (config.urls, recursively, and the ninja API's operations), so a route
added later is covered without editing this file. For every route that takes an object id:

- as `dongcheng`, an object that belongs to `yuanqiao`'s subtree answers 404 (GET; and a POST answers 404 or
  405, never 200/302 with an effect);

for every list (API lists answering {items, count}, console pages without an id): what dongcheng and yuanqiao
see is disjoint, and huangyan sees both; anonymous users get 401 from the API and a redirect to the login page
from the console.

The model behind an id is found from the parameter name (`union_id` → orgs.Union), else from the view's source
(`Union.objects.get_visible(...)`, `union_id=pk`) or the URL name. When that fails the test FAILS and says so:
register the route in ROUTE_MODELS below (one line).
"""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern

from gonghui.accounts.models import ApiToken

# --- the registration points --------------------------------------------------------------------------------

# Routes whose object id the resolver cannot map: "url name" (namespaced) or "url name:param" → "app.Model".
ROUTE_MODELS: dict[str, str] = {
    "gonghui_members_api_member_detail": "members.Person",  # a member is a Person held through a membership
    # the one import path: every kind's job page, confirm and error workbook act on an orgs.ImportJob
    "orgs:import_job": "orgs.ImportJob",
    "members:import_job": "orgs.ImportJob",
    "members:import_confirm": "orgs.ImportJob",
    "members:import_errors": "orgs.ImportJob",
    "downloads:file": "downloads.ExportJob",  # an export belongs to the user who asked for it
}

# Console routes an anonymous visitor may open (login, public H5 pages for workers …), by namespaced url name.
PUBLIC_PAGES: set[str] = {
    "login",
    "logout",
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

# Query strings a list route needs to answer at all (by url name / operationId); none so far.
LIST_PARAMS: dict[str, str] = {}

# Models without demo data in yuanqiao's subtree and with required fields beyond their scope FKs:
# "app.Model" → a function returning one object inside yuanqiao's subtree.


def _yuanqiao_export() -> models.Model:
    from gonghui.downloads.models import ExportJob

    return ExportJob.objects.create(kind="members", title="会员名册", params_cipher="-", filename="x.xlsx",
                                    created_by=_user("yuanqiao"), status=ExportJob.Status.DONE)


OBJECT_FACTORIES: dict[str, Callable[[], models.Model]] = {"downloads.ExportJob": _yuanqiao_export}

# Whole areas with their own permission model.
SKIPPED_PREFIXES = ("admin/",)

API_PREFIX = "api/"


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


# --- which model an id names --------------------------------------------------------------------------------


def _scoped_models() -> dict[str, type[models.Model]]:
    """model_name → model, for every model that reads through `visible_to`."""
    found = {}
    for model in apps.get_models():
        if hasattr(model, "scope_fields") and hasattr(model._default_manager, "visible_to"):
            found[model._meta.model_name] = model
    return found


def _source(view: Any) -> str:
    try:
        return inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):
        return ""


def _helper_sources(view: Any, param: str) -> str:
    """Source of the module-level helpers the view passes the id to: `job = _job(request, pk)`."""
    module = inspect.getmodule(inspect.unwrap(view))
    found = []
    for name in set(re.findall(rf"\b(\w+)\([^)\n]*\b{param}\b", _source(view))):
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper is not inspect.unwrap(view):
            found.append(_source(helper))
    return "\n".join(found)


@cache
def resolve_model(route: Route, param: str) -> type[models.Model]:
    """The model whose primary key `param` of `route` is; pytest.fail with the fix when it cannot tell."""
    declared = getattr(route.view, "scoped", None)  # @scoped(Model, pk="pk") on the view
    if declared is not None and param in declared.lookup.values():
        return declared.model
    scoped = _scoped_models()
    for key in (f"{route.name}:{param}", route.name):
        if key in ROUTE_MODELS:
            return apps.get_model(ROUTE_MODELS[key])
    # 1. the parameter says it: union_id, enterprise_id, membership_id …
    stem = param[:-3] if param.endswith("_id") else ""
    if stem.replace("_", "") in scoped:
        return scoped[stem.replace("_", "")]
    source = _source(route.view) + _helper_sources(route.view, param)
    names: set[str] = set()
    # 2. the view fetches it through scope by that id: `Union.objects…get_visible(user, pk=pk)` (preferred),
    #    or any scoped fetch in the view and the helpers it hands the id to
    fetch = r"\b([A-Z]\w*)\.objects\b[^\n]*?\.get_visible\("
    names |= {m.lower() for m in re.findall(fetch + rf"[^)\n]*\bpk\s*=\s*{param}\b", source)}
    if not names:
        names |= {m.lower() for m in re.findall(fetch, source)}
    # 3. the view hands it on by name: `selectors.union_child_nodes(user=…, union_id=pk)`
    names |= {m.replace("_", "") for m in re.findall(rf"\b(\w+)_id\s*=\s*{param}\b", source)}
    candidates = {n for n in names if n in scoped}
    if len(candidates) != 1:
        # 4. the URL or view name says it: union_detail, enterprise_detail
        words = set(re.split(r"[^a-z]+", f"{route.name} {getattr(route.view, '__name__', '')}".lower()))
        by_name = {w for w in words if w in scoped}
        candidates = by_name if len(by_name) == 1 else candidates
    if len(candidates) == 1:
        return scoped[candidates.pop()]
    pytest.fail(
        f"作用域测试无法判断路由 {route} 的参数 `{param}` 指向哪个模型（候选：{sorted(candidates) or '无'}）。"
        f"请在 tests/test_scope_matrix.py 的 ROUTE_MODELS 里登记一行，例如 "
        f'"{route.name}": "orgs.Union"。',
        pytrace=False,
    )


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def foreign_objects(model: type[models.Model]) -> list[models.Model]:
    """Objects in yuanqiao's subtree that dongcheng must not reach: the first and the last, top and leaf."""
    mine = model._default_manager.visible_to(_user("dongcheng")).values("pk")  # type: ignore[attr-defined]
    theirs = model._default_manager.visible_to(_user("yuanqiao")).exclude(pk__in=mine).order_by("pk")  # type: ignore[attr-defined]
    objs = [o for o in (theirs.first(), theirs.last()) if o is not None]
    if not objs:
        objs = [_make_foreign(model)]
    return list({o.pk: o for o in objs}.values())


def _make_foreign(model: type[models.Model]) -> models.Model:
    """No demo object in yuanqiao's subtree (an import job, say): make one by hand, or say how to."""
    from gonghui.orgs.models import Union

    if model._meta.label in OBJECT_FACTORIES:
        return OBJECT_FACTORIES[model._meta.label]()
    township = Union.objects.get(name="院桥镇总工会")
    fields: tuple[str, ...] = getattr(model, "scope_fields", ())
    try:
        with transaction.atomic():
            return model._default_manager.create(**{f: township for f in fields})
    except Exception as exc:
        pytest.fail(
            f"演示数据里没有属于 yuanqiao 范围的 {model._meta.label}，也无法只凭 {fields} 造一个（{exc}）。"
            "请在 tests/test_scope_matrix.py 的 OBJECT_FACTORIES 里登记一个造对象的函数。",
            pytrace=False,
        )


def _fill(route: Route, values: dict[str, Any]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m["name"]
        if name in values:
            return str(values[name])
        conv = dict(route.params).get(name, "str")
        return {"int": "1", "uuid": str(uuid.uuid4())}.get(conv, "x")

    path = re.sub(r"[<{](?:\w+:)?(?P<name>\w+)[>}]", sub, route.route)
    return "/" + path.lstrip("/")


def _token_headers(username: str) -> dict[str, str]:
    plain = ApiToken.new_plain()
    ApiToken.objects.create(user=_user(username), key_hash=ApiToken.hash(plain), prefix=plain[:8], name="scope-matrix")
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def _call(client: Client, method: str, url: str, **extra: Any) -> HttpResponse:
    if method in ("POST", "PUT", "PATCH"):
        return getattr(client, method.lower())(url, data="{}", content_type="application/json", **extra)
    return getattr(client, method.lower())(url, **extra)


def _ids(routes: list[Route]) -> list[str]:
    return [str(r) for r in routes]


WITH_IDS_PAGES = [r for r in PAGES if r.id_params]
WITH_IDS_API = [r for r in APIS if r.id_params]
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
    assert {"union_id"} == set(next(r for r in APIS if r.route == "api/v1/unions/{union_id}").id_params)


# --- 1. an object in the sibling's subtree is a 404 ---------------------------------------------------------


@pytest.mark.parametrize("route", WITH_IDS_PAGES, ids=_ids(WITH_IDS_PAGES))
def test_page_object_of_sibling_township_is_404(route: Route, client_as: Callable[[str], Client]) -> None:
    client = client_as("dongcheng")
    targets = {p: foreign_objects(resolve_model(route, p)) for p in route.id_params}
    for i in range(max(len(objs) for objs in targets.values())):
        url = _fill(route, {p: objs[min(i, len(objs) - 1)].pk for p, objs in targets.items()})
        got = client.get(url)
        assert got.status_code in (404, 405), f"GET {url} 作为 dongcheng 应为 404，实为 {got.status_code}"
        posted = client.post(url, {})
        assert posted.status_code in (404, 405), f"POST {url} 作为 dongcheng 应为 404/405，实为 {posted.status_code}"
        assert not (got.status_code == 405 and posted.status_code == 405), f"{url} 对 GET 和 POST 都答 405"


@pytest.mark.parametrize("route", WITH_IDS_API, ids=_ids(WITH_IDS_API))
def test_api_object_of_sibling_township_is_404(route: Route, client: Client) -> None:
    headers = _token_headers("dongcheng")
    targets = {p: foreign_objects(resolve_model(route, p)) for p in route.id_params}
    for i in range(max(len(objs) for objs in targets.values())):
        url = _fill(route, {p: objs[min(i, len(objs) - 1)].pk for p, objs in targets.items()})
        response = _call(client, route.method, url, **headers)
        # a write whose body does not validate (422) never reached the object either
        allowed = (404,) if route.method == "GET" else (404, 422)
        assert response.status_code in allowed, f"{route.method} {url} 作为 dongcheng 应为 404，实为 {response.status_code}"
        if response.status_code == 404:
            assert response.json()["detail"], url


# --- 2. lists: siblings disjoint, the district sees both ----------------------------------------------------


def _api_ids(client: Client, route: Route, headers: dict[str, str]) -> set[tuple[str, Any]]:
    url = _fill(route, {})
    extra = LIST_PARAMS.get(route.name, "")
    seen: set[tuple[str, Any]] = set()
    offset = 0
    while True:
        response = client.get(f"{url}?limit=1000&offset={offset}&{extra}", **headers)
        assert response.status_code == 200, f"GET {url} → {response.status_code}; 如需参数请登记 LIST_PARAMS"
        body = response.json()
        if not (isinstance(body, dict) and {"items", "count"} <= set(body)):
            pytest.skip(f"{route} 不是分页列表")
        seen |= {(route.route, item.get("id", repr(item))) for item in body["items"]}
        offset += 1000
        if offset >= body["count"]:
            return seen


@pytest.mark.parametrize("route", LIST_API, ids=_ids(LIST_API))
def test_api_list_is_disjoint_between_siblings(route: Route, client: Client) -> None:
    d = _api_ids(client, route, _token_headers("dongcheng"))
    y = _api_ids(client, route, _token_headers("yuanqiao"))
    h = _api_ids(client, route, _token_headers("huangyan"))
    assert not (d & y), f"{route}: dongcheng 与 yuanqiao 的结果有交集 {sorted(d & y)[:5]}"
    assert d | y <= h, f"{route}: huangyan 的结果缺少 {sorted((d | y) - h)[:5]}"


_HREF = re.compile(r"""href=["']([^"'#]+)["']""")


def _linked_objects(html: str) -> set[tuple[str, int]]:
    """(model label, pk) of every object a page links to through a route that takes an object id."""
    found: set[tuple[str, int]] = set()
    for href in set(_HREF.findall(html)):
        path = urlsplit(href).path
        if not path.startswith("/") or path.startswith(("/static/", "/media/", "/" + API_PREFIX)):
            continue
        try:
            match = resolve(path)
        except Resolver404:
            continue
        route = next((r for r in WITH_IDS_PAGES if r.name == (match.view_name or "")), None)
        if route is None or len(route.id_params) != 1:
            continue
        param = route.id_params[0]
        model = resolve_model(route, param)
        found.add((model._meta.label, int(match.kwargs[param])))
    return found


@pytest.mark.parametrize("route", LIST_PAGES, ids=_ids(LIST_PAGES))
def test_page_lists_are_disjoint_between_siblings(route: Route) -> None:
    seen: dict[str, set[tuple[str, int]]] = {}
    for username in ("dongcheng", "yuanqiao", "huangyan"):
        client = Client()
        client.force_login(_user(username))
        response = client.get(_fill(route, {}) + ("?" + LIST_PARAMS[route.name] if route.name in LIST_PARAMS else ""))
        if response.status_code in (404, 405) or response.get("Content-Type", "").split(";")[0] != "text/html":
            pytest.skip(f"{route}: {username} 得到 {response.status_code} {response.get('Content-Type')}，不是列表页")
        assert response.status_code == 200, f"{route} 作为 {username} 应为 200，实为 {response.status_code}"
        seen[username] = _linked_objects(response.content.decode())
        user = _user(username)
        for label, pk in seen[username]:
            model = apps.get_model(label)
            assert model._default_manager.visible_to(user).filter(pk=pk).exists(), (  # type: ignore[attr-defined]
                f"{route}: 页面给 {username} 链接了范围外的 {label} #{pk}（点进去会是 404）"
            )
    both = seen["dongcheng"] & seen["yuanqiao"]
    assert not both, f"{route}: dongcheng 与 yuanqiao 的页面链接到相同对象 {sorted(both)[:5]}"


# --- 3. anonymous -------------------------------------------------------------------------------------------


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
