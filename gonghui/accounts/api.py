from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from gonghui.core.scope import scope_paths

from . import services
from .models import RoleAssignment

router = Router(tags=["认证与用户"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str


@router.post("/auth/token", auth=None, response=TokenOut, summary="用户名密码换取访问令牌")
def auth_token(request: HttpRequest, payload: TokenIn) -> dict[str, str]:
    token = services.token_issue(request=request, username=payload.username, password=payload.password, name=payload.name)
    if token is None:
        raise HttpError(401, "用户名或密码错误，或账号已被锁定")
    return {"token": token}


@router.post("/auth/revoke", response={204: None}, summary="吊销当前令牌")
def auth_revoke(request: HttpRequest) -> tuple[int, None]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        services.token_revoke(user=request.user, token=header[7:].strip())  # type: ignore[arg-type]
    return 204, None


class AssignmentOut(Schema):
    role: str
    role_name: str
    union_id: int
    union_name: str


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
    assignments = RoleAssignment.objects.filter(user=user, active=True).select_related("union")
    paths = scope_paths(user)
    from gonghui.orgs.models import Union

    scope_ids = None if paths is None else list(Union.objects.filter(path__in=paths).values_list("pk", flat=True))
    return {
        "id": user.pk,
        "username": user.get_username(),
        "display_name": getattr(user, "display_name", ""),
        "is_superuser": user.is_superuser,
        "roles": [
            {"role": a.role, "role_name": a.get_role_display(), "union_id": a.union_id, "union_name": a.union.name}
            for a in assignments
        ],
        "scope_union_ids": scope_ids,
    }
