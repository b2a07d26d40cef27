from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from . import services
from .lockout import locked_detail
from .models import RoleAssignment
from .permissions import action_paths

router = Router(tags=["认证与用户"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str


class ErrorOut(Schema):
    detail: str


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 401: ErrorOut, 429: ErrorOut},
    summary="用户名密码换取访问令牌",
    description="失败计入登录锁定（连续 5 次失败锁定 30 分钟，锁定期间返回 429）。"
    "令牌只显示这一次，服务器仅保存其摘要。",
)
def auth_token(request: HttpRequest, payload: TokenIn) -> dict[str, str]:
    token = services.token_issue(
        request=request, username=payload.username, password=payload.password, name=payload.name
    )
    if getattr(request, "axes_locked_out", False):
        raise HttpError(429, locked_detail(request))
    if token is None:
        raise HttpError(401, "用户名或密码错误")
    return {"token": token}


@router.post(
    "/auth/revoke", response={204: None}, summary="吊销当前令牌", description="吊销本次请求所用的 Bearer 令牌；幂等。"
)
def auth_revoke(request: HttpRequest) -> tuple[int, None]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        services.token_revoke(user=request.user, token=header[7:].strip())  # type: ignore[arg-type]
    return 204, None


class AssignmentOut(Schema):
    role: str
    role_name: str
    union_id: int | None
    union_name: str | None
    unit_id: int | None
    unit_name: str | None


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    is_superuser: bool
    roles: list[AssignmentOut]
    scope_union_ids: list[int] | None


@router.get("/me", response=MeOut, summary="当前用户与数据范围")
def me(request: HttpRequest) -> dict[str, object]:
    user = request.user
    assignments = RoleAssignment.objects.filter(user_id=int(user.pk or 0), active=True).select_related("union", "unit")
    paths = action_paths(user)
    scope_ids = None if paths is None else sorted(
        {a.union.pk for a in assignments if a.union is not None and a.union.path in paths}
    )
    return {
        "id": user.pk,
        "username": user.get_username(),
        "display_name": getattr(user, "display_name", ""),
        "is_superuser": user.is_superuser,
        "roles": [
            {"role": a.role, "role_name": a.get_role_display(), "union_id": a.union_id,
             "union_name": a.union.name if a.union is not None else None, "unit_id": a.unit_id,
             "unit_name": a.unit.name if a.unit is not None else None}
            for a in assignments
        ],
        "scope_union_ids": scope_ids,
    }
