"""Assembles each app's ninja router under /api/v1/ (OpenAPI at /api/v1/openapi.json)."""

from ninja import NinjaAPI

from gonghui.accounts.api import router as accounts_router
from gonghui.accounts.auth import api_auth
from gonghui.orgs.api import router as orgs_router

api = NinjaAPI(
    title="数智工会 API",
    version="1",
    description="区、镇街、工会与企业数据接口。认证：POST /api/v1/auth/token 取得令牌后以 Authorization: Bearer 调用；"
    "也可使用登录会话。列表以 limit/offset 分页，返回 {items, count}；无权访问的对象返回 404。",
    auth=api_auth,
    urls_namespace="api",
)
api.add_router("", accounts_router)
api.add_router("", orgs_router)
