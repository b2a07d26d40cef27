"""Importing cadres' accounts from Excel: the `users` kind of the one import path (`gonghui.core.importing`).

One row is one user with a first role: 姓名, 手机号码, 用户名, 角色, 授权组织 (a union of the tree, by name or
统一社会信用代码, or a unit off the tree such as 人社局 for a 部门经办人). `check` writes nothing and applies the
users console's rules row by row (`accounts.services.user_create`'s): a valid, free username, an 11-digit
mobile, a known role, an organisation in sight, and a role the importing cadre may grant there — nobody hands
out more than they hold. `write` creates each user through `user_create` (audited, a one-time password that
must be changed at the first login) and leaves the passwords in one private workbook in the job's folder,
which the confirming cadre downloads once (`import_pages.deliverable`); it is then deleted.

A username already taken is "unchanged" when that user already holds the same role there (re-importing the
file changes nothing), and rejected otherwise: an import never takes over an existing account.

This kind lives in orgs, not accounts, because a row names a node of the tree (accounts sits below orgs).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from gonghui.accounts import services as accounts
from gonghui.accounts.grants import may_grant
from gonghui.accounts.models import RoleAssignment, Unit, User
from gonghui.accounts.permissions import Action, Role
from gonghui.core.excel import Column, Row, Table, cell_text, xlsx_bytes
from gonghui.core.identifiers import normalize_code
from gonghui.core.importing import ImportKind, ImportRequest, Outcome, register, write_private

from .imports import AUDIT_MODELS, _duplicates, _process, _Result, _RowFailed, registry_anchor
from .models import Union

KIND = "users"
LABEL = "用户"
CREDENTIALS = "初始密码.xlsx"
ROLE_BY_LABEL = {str(label): value for value, label in Role.choices}

USER_COLUMNS = (
    Column("name", "姓名", field="person_name", required=True, width=12),
    Column("mobile", "手机号码", field="mobile", width=14),
    Column("username", "用户名", field="username", required=True, width=16),
    Column("role", "角色", field="role", required=True, choices=tuple(ROLE_BY_LABEL), width=20),
    Column("target", "授权组织", field="role_target", required=True, width=30),
)
NOTES = ("带 * 的列必填", "角色请从下拉列表中选择", "授权组织填写工会名称或统一社会信用代码；部门经办人填写协同单位名称（如 人社局）",
         "用户名只能包含字母、数字和 @ . + - _，不能与已有用户重复",
         "导入后每人得到一个一次性初始密码（首次登录须修改），由确认导入的人下载一次，请通过安全渠道逐一告知",
         "默认同一文件中有任何一行出错，整份文件都不会写入；也可选择先导入正确的行")
EXAMPLES = (("王丽", "13800000000", "wangli", "基层工会管理员", "东城街道总工会"),)


AUDIT_MODELS[KIND] = User


def anchor(user: Any) -> Union | None:
    """The union a users import is made under (and scoped by): the top node where the user manages users."""
    return registry_anchor(user, Action.MANAGE_USERS)


def _target(text: str, actor: Any) -> Union | Unit:
    """The node or unit a row names: a union in the actor's sight by code or name (a name must be unique in
    sight), else a unit by name."""
    code = normalize_code(text)
    if code and len(code) == 18:
        union = Union.objects.visible_to(actor).filter(code=code).first()
        if union is not None:
            return union
    unions = list(Union.objects.visible_to(actor).filter(name=text)[:2])
    if len(unions) == 1:
        return unions[0]
    if len(unions) > 1:
        raise _RowFailed("授权组织", text, "有多个同名工会，请改填统一社会信用代码")
    unit = Unit.objects.filter(name=text).first()
    if unit is not None:
        return unit
    raise _RowFailed("授权组织", text, "找不到这个工会或协同单位（或不在您的管辖范围）")


def _rows(actor: Any, credentials: list[tuple[Any, ...]]) -> Callable[[Table, bool], Any]:
    def make(table: Table, write: bool) -> tuple[Callable[[Row], _Result], dict[int, tuple[str, str, str]]]:
        before = {n: ("用户名", "", f"与第{', '.join(str(o) for o in others if o != n)}行用户名重复")
                  for n, others in _duplicates(table.rows, lambda r: cell_text(r.values.get("username")).lower()).items()}

        def do_row(row: Row) -> _Result:
            v = row.values
            name, username = cell_text(v.get("name")), cell_text(v.get("username"))
            mobile, role_text, target_text = cell_text(v.get("mobile")), cell_text(v.get("role")), cell_text(v.get("target"))
            if not name:
                raise _RowFailed("姓名", "", "姓名不能为空")
            if not username:
                raise _RowFailed("用户名", "", "用户名不能为空")
            role = ROLE_BY_LABEL.get(role_text)
            if role is None:
                raise _RowFailed("角色", role_text, f"角色应为 {'、'.join(ROLE_BY_LABEL)} 之一")
            if not target_text:
                raise _RowFailed("授权组织", "", "授权组织不能为空")
            target = _target(target_text, actor)
            where = {"union": target} if isinstance(target, Union) else {"unit": target}
            if not may_grant(actor, role, **where):
                raise _RowFailed("角色", role_text, f"您无权在“{target}”授予“{role_text}”：只能在自己管理的范围内授予不超过自身权限的角色")
            existing = User.objects.filter(username__iexact=username).first()
            if existing is not None:
                if RoleAssignment.objects.filter(user=existing, role=role, active=True, **where).exists():
                    return _Result("unchanged", f"{name}（{username}）")
                raise _RowFailed("用户名", username, "用户名已被使用；给已有用户增加角色请在用户管理中操作")
            try:
                accounts.clean_phone(mobile)
                accounts.clean_username(username)
            except ValidationError as exc:
                column = "手机号码" if "手机号" in exc.messages[0] else "用户名"
                raise _RowFailed(column, mobile if column == "手机号码" else username, exc.messages[0]) from None
            if write:
                try:
                    user, password = accounts.user_create(actor=actor, username=username, display_name=name,
                                                          phone=mobile, role=role, **where)
                except PermissionDenied as exc:
                    raise _RowFailed("角色", role_text, str(exc)) from None
                credentials.append((row.number, name, user.username, password, role_text, str(target)))
            return _Result("created", f"{name}（{username}）", f"{role_text} @ {target}")

        return do_row, before

    return make


def _run(req: ImportRequest, *, commit: bool) -> Outcome:
    credentials: list[tuple[Any, ...]] = []
    outcome = _process(req, columns=USER_COLUMNS, kind=KIND, make_row=_rows(req.actor, credentials), write=commit)
    if commit and credentials and outcome.written:
        folder = Path(req.path).parent if isinstance(req.path, Path) else None
        if folder is not None:
            columns = (("行号", 8), ("姓名", 12), ("用户名", 16), ("一次性初始密码", 18), ("角色", 20), ("授权组织", 30))
            write_private(folder / CREDENTIALS, xlsx_bytes(columns, credentials, sheet="初始密码",
                                                           title="初始密码（首次登录须修改；请逐一告知本人，勿转发）"))
            outcome.deliverable = CREDENTIALS
    return outcome


def done_url(job: Any) -> str:
    from django.urls import reverse

    return reverse("user_list")


register(ImportKind(name=KIND, label=LABEL, columns=lambda user: USER_COLUMNS,
                    check=lambda req: _run(req, commit=False), write=lambda req: _run(req, commit=True),
                    notes=NOTES, examples=EXAMPLES, done_url=done_url, anchor=anchor, action=Action.MANAGE_USERS))
