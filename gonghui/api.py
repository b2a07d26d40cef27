"""Assembles each app's ninja router under /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Every error answers `{"detail": "<zh-hans>"}` (422 adds the field `errors`), whatever raised it.
The docs page serves Swagger UI from ninja's own static files ("ninja" is in INSTALLED_APPS): no CDN.
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as ModelValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from gonghui.accounts.api import router as accounts_router
from gonghui.accounts.auth import api_auth
from gonghui.core.errors import WrongState
from gonghui.core.registry import API_ROUTERS


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as UTF-8, not \\uXXXX escapes: readable in curl and a third smaller."""

    json_dumps_params = {"ensure_ascii": False}


# The error statuses every operation may answer, declared in the OpenAPI document so that clients (and
# schemathesis's status-code check) know them: each with the one error body `{"detail", "errors"?}`. An
# operation declares the statuses that depend on its logic itself (409 for a step its object's state refuses).
ERROR_DESCRIPTIONS = {
    400: "请求体无法解析或不符合业务规则",
    401: "未登录或令牌无效",
    403: "对象在您的范围内，但您的角色无权执行此操作",
    404: "对象不存在或无权访问（两者的回答相同）",
    422: "参数校验失败（errors 列出每个字段）",
    429: "请求过于频繁，请稍后再试",
}
ERROR_SCHEMA = {
    "title": "Error", "type": "object", "required": ["detail"],
    "properties": {"detail": {"type": "string", "description": "中文错误说明"},
                   "errors": {"type": "array", "items": {"type": "object"}, "description": "422：逐字段的错误"}},
}


def error_statuses(operation: dict[str, Any]) -> list[int]:
    """The statuses an operation can answer whatever its logic: 401/403 when it needs a login, 404 when its path
    names an object, 422 when it takes parameters or a body, 400 when it takes a body or is public (bad input to
    the join), 429 when it is public (rate-limited)."""
    params = operation.get("parameters", [])
    secured = bool(operation.get("security"))
    public = not secured
    statuses = []
    if "requestBody" in operation or public:
        statuses.append(400)
    if secured:
        statuses += [401, 403]
    if any(p.get("in") == "path" for p in params):
        statuses.append(404)
    if params or "requestBody" in operation:
        statuses.append(422)
    if public:
        statuses.append(429)
    return statuses


def declare_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error responses of `error_statuses` (and the Error component) to every operation, keeping any an
    operation declared itself."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            for status in error_statuses(operation):
                if status not in responses and str(status) not in responses:  # ninja keys them by int
                    responses[status] = {"description": ERROR_DESCRIPTIONS[status], "content": ref}
    return schema


class GonghuiAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return declare_errors(super().get_openapi_schema(*args, **kwargs))


api = GonghuiAPI(
    title="数智工会 API",
    version="1",
    description="区、镇街、工会与企业数据接口。认证：POST /api/v1/auth/token 取得令牌后以 Authorization: Bearer 调用；"
    "也可使用登录会话（写操作需带 CSRF 令牌）。列表以 limit（默认 100，最大 1000）/offset 分页，返回 {items, count}；"
    "未认证返回 401；无权访问的对象与不存在的对象一样返回 404；错误均带中文 detail。",
    auth=api_auth,
    urls_namespace="api",
    renderer=Utf8JSONRenderer(),
)
api.add_router("", accounts_router)
# Every app's router, as the apps registered them (gonghui.core.registry.register_api_router).
for _entry in API_ROUTERS:
    _module, _, _attr = _entry.target.partition(":")
    api.add_router(_entry.prefix, getattr(import_module(_module), _attr or "router"))

# zh-hans wording for the statuses the framework itself raises with English text.
STATUS_DETAIL = {
    400: "请求格式有误",
    401: "未登录或令牌无效",
    403: "无权执行此操作",
    404: "对象不存在或无权访问",
    405: "不支持该请求方法",
    422: "请求参数有误",
    429: "请求过于频繁，请稍后再试",
}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _detail(status: int, message: str = "") -> str:
    """Keep a message we wrote (zh-hans); replace the framework's English ones ("Unauthorized", "CSRF check Failed")."""
    if message and _CJK.search(message):
        return message
    if status == 403 and "csrf" in message.lower():
        return "CSRF 校验失败，请刷新页面后重试"
    return STATUS_DETAIL.get(status, "请求失败")


# pydantic's error types → zh-hans messages (ctx values are filled in); an unknown type keeps a generic message.
PYDANTIC_MESSAGES = {
    "missing": "缺少必填项",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为字符串",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应大于或等于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应小于或等于 {le}",
    "literal_error": "应为以下值之一：{expected}",
    "enum": "应为以下值之一：{expected}",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 ISO 8601",
    "json_invalid": "JSON 格式有误",
    "model_attributes_type": "请求体格式有误",
    "dict_type": "应为对象",
    "list_type": "应为数组",
    "value_error": "取值不正确",
    "extra_forbidden": "不允许的字段",
}


def _zh_error(error: dict[str, Any]) -> dict[str, Any]:
    template = PYDANTIC_MESSAGES.get(str(error.get("type", "")), "取值不正确")
    try:
        message = template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        message = template
    return {**error, "msg": message}


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [_zh_error(e) if isinstance(e, dict) else e for e in exc.errors]
    return api.create_response(request, {"detail": STATUS_DETAIL[422], "errors": errors}, status=422)


@api.exception_handler(ModelValidationError)
def _model_validation_error(request: HttpRequest, exc: ModelValidationError) -> HttpResponse:
    """A service refused the input (its messages are zh-hans): 422, every message in `detail`."""
    return api.create_response(request, {"detail": "；".join(exc.messages) or STATUS_DETAIL[422]}, status=422)


@api.exception_handler(WrongState)
def _wrong_state(request: HttpRequest, exc: WrongState) -> HttpResponse:
    """A step the object's current state does not allow (gonghui.core.errors): 409 with the service's message."""
    return api.create_response(request, {"detail": exc.message}, status=409)


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": _detail(401, exc.message)}, status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": _detail(exc.status_code, exc.message)}, status=exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": STATUS_DETAIL[404]}, status=404)


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": _detail(403, str(exc))}, status=403)

