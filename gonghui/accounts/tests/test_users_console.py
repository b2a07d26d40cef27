"""The users console: a 区总管理员 (and a 镇街管理员 within their subtree) creates users, grants and revokes roles,
deactivates users and resets passwords; nobody grants outside their manage_users scope or more than they hold.

Given the demo cast: huangyan (区总管理员, whole district), dongcheng and yuanqiao (镇街管理员 of sibling townships),
kuaidi (a federation's union admin: no manage_users).
"""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from gonghui.accounts import selectors, services
from gonghui.accounts.models import ApiToken, Role, RoleAssignment, User

# The tree is a layer above accounts (import-linter's layers contract): its model is reached by name, as the
# RoleAssignment foreign key reaches it.
Union = apps.get_model("orgs", "Union")

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Qiuyu-Shanhe-2026"


def _union_under(township: str) -> Union:
    root = Union.objects.get(name=township)
    return Union.objects.filter(path__startswith=root.path, depth__gt=root.depth, kind="single").order_by("path").first()


@pytest.fixture
def dong_union() -> Union:
    return _union_under("东城街道总工会")


@pytest.fixture
def yuan_union() -> Union:
    return _union_under("院桥镇总工会")


def _create(client: Client, union: Union, **extra: str) -> Any:
    data = {"username": "lixiaohong", "display_name": "李晓红", "phone": "13805761234", "role": Role.UNION_ADMIN,
            "node": str(union.pk), **extra}
    return client.post(reverse("user_new"), data)


def _audit_entry(user: User, key: str) -> LogEntry:
    """The one audit entry on `user` whose changes name `key`."""
    (entry,) = [e for e in LogEntry.objects.filter(object_pk=str(user.pk)) if key in (e.changes or {})]
    return entry


def _one_time_password(response: Any) -> str:
    html = response.content.decode()
    start = html.index('data-testid="one-time-password">') + len('data-testid="one-time-password">')
    return html[start : html.index("<", start)]


def test_township_admin_creates_a_user_who_must_change_the_one_time_password(client_as: Any, dong_union: Union) -> None:
    # when dongcheng creates 李晓红 as admin of a union in 东城
    response = _create(client_as("dongcheng"), dong_union)
    assert response.status_code == 200
    password = _one_time_password(response)
    user = User.objects.get(username="lixiaohong")
    assert user.must_change_password and user.display_name == "李晓红" and user.check_password(password)
    assert list(user.role_assignments.values_list("role", "union")) == [(Role.UNION_ADMIN, dong_union.pk)]
    # then 李晓红 logs in with it and every page sends her to the password change until she picks her own
    her = Client()
    assert her.post(reverse("login"), {"username": "lixiaohong", "password": password})["Location"] == reverse("dashboard")
    assert her.get(reverse("dashboard"))["Location"] == reverse("password_change")
    assert her.get("/orgs/unions/")["Location"] == reverse("password_change")
    api = her.get("/api/v1/me")
    assert api.status_code == 403 and "重置" in api.json()["detail"]
    token = Client().post("/api/v1/auth/token", {"username": "lixiaohong", "password": password}, content_type="application/json")
    assert token.status_code == 401 and "设置新密码" in token.json()["detail"]
    her.post(reverse("password_change"), {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert her.get(reverse("dashboard")).status_code == 200
    user.refresh_from_db()
    assert not user.must_change_password
    # and the creation is audited with dongcheng as the actor
    entry = _audit_entry(user, "新建用户")
    assert entry.actor.username == "dongcheng" and password not in str(entry.changes)


def test_a_node_outside_the_actors_subtree_is_not_found(client_as: Any, yuan_union: Union) -> None:
    response = _create(client_as("dongcheng"), yuan_union)
    assert "在您的管理范围内找不到组织" in response.content.decode()
    # the 统一社会信用代码 is looked up in the same scope
    response = _create(client_as("dongcheng"), yuan_union, node=yuan_union.code or "")
    assert "在您的管理范围内找不到组织" in response.content.decode()
    assert not User.objects.filter(username="lixiaohong").exists()
    # the district admin may
    assert _create(client_as("huangyan"), yuan_union).status_code == 200


def test_nobody_grants_a_role_that_grants_more_than_they_hold(client_as: Any, dongcheng: Any, dong_union: Union) -> None:
    # a 镇街管理员 lacks export_unmasked, reveal_id and view_audit: they cannot make a 区总管理员, not even in 东城
    response = _create(client_as("dongcheng"), dong_union, role=Role.DISTRICT_ADMIN)
    assert response.status_code == 403 and "不超过自身权限" in response.content.decode()
    assert not User.objects.filter(username="lixiaohong").exists()
    target = User.objects.create_user("wangfang", display_name="王芳")
    with pytest.raises(PermissionDenied):
        services.role_assign(actor=dongcheng, user=target, role=Role.DISTRICT_ADMIN, union=dong_union)
    # the same role they hold, inside their subtree, they may grant
    services.role_assign(actor=dongcheng, user=target, role=Role.TOWNSHIP_ADMIN, union=dong_union)
    assert RoleAssignment.objects.filter(user=target, role=Role.TOWNSHIP_ADMIN, active=True).exists()


def test_sibling_township_cannot_see_or_touch_the_user(client_as: Any, huangyan: Any, yuanqiao: Any, dong_union: Union) -> None:
    user, _ = services.user_create(actor=huangyan, username="zhaolei", display_name="赵磊", role=Role.UNION_ADMIN,
                                   union=dong_union)
    dong, yuan = client_as("dongcheng"), Client()
    yuan.force_login(yuanqiao)
    assert "zhaolei" in dong.get(reverse("user_list")).content.decode()
    assert "zhaolei" not in yuan.get(reverse("user_list")).content.decode()
    assert yuan.get(reverse("user_detail", args=[user.pk])).status_code == 404
    for name in ("user_password_reset", "user_deactivate", "user_second_factor_reset", "user_role_assign"):
        assert yuan.post(reverse(name, args=[user.pk]), {"role": Role.READONLY, "node": ""}).status_code == 404
    assignment = user.role_assignments.get()
    assert yuan.post(reverse("user_role_revoke", args=[user.pk, assignment.pk])).status_code == 404
    user.refresh_from_db()
    assert user.is_active and assignment.active
    with pytest.raises(PermissionDenied):
        services.user_password_reset(actor=yuanqiao, user=user)


def test_a_township_admin_cannot_take_over_a_stronger_user(client_as: Any, huangyan: Any, dongcheng: Any, dong_union: Union) -> None:
    # given a user who is 区总管理员 (district) and also admin of a union in 东城
    boss = User.objects.create_user("sunqiang", display_name="孙强")
    services.role_assign(actor=huangyan, user=boss, role=Role.DISTRICT_ADMIN, union=Union.objects.get(depth=1))
    services.role_assign(actor=huangyan, user=boss, role=Role.UNION_ADMIN, union=dong_union)
    client = client_as("dongcheng")
    # dongcheng sees them (a role in 东城) but may not reset, deactivate or revoke the district role
    assert client.get(reverse("user_detail", args=[boss.pk])).status_code == 200
    assert client.post(reverse("user_password_reset", args=[boss.pk])).status_code == 403
    assert client.post(reverse("user_deactivate", args=[boss.pk])).status_code == 403
    district = boss.role_assignments.get(role=Role.DISTRICT_ADMIN)
    assert client.post(reverse("user_role_revoke", args=[boss.pk, district.pk])).status_code == 403
    boss.refresh_from_db()
    assert boss.is_active and district.active
    # the 东城 role itself is within dongcheng's power
    local = boss.role_assignments.get(role=Role.UNION_ADMIN)
    # without a reason nothing is revoked (the service refuses it), with one it is
    assert client.post(reverse("user_role_revoke", args=[boss.pk, local.pk]), {"reason": " "}).status_code == 302
    local.refresh_from_db()
    assert local.active
    assert client.post(reverse("user_role_revoke", args=[boss.pk, local.pk]),
                       {"reason": "岗位调整"}).status_code == 302
    local.refresh_from_db()
    assert not local.active


def test_users_without_manage_users_get_403(client_as: Any) -> None:
    assert client_as("kuaidi").get(reverse("user_list")).status_code == 403
    assert client_as("kuaidi").get(reverse("user_new")).status_code == 403


def _api_token(username: str, password: str) -> str:
    r = Client().post("/api/v1/auth/token", {"username": username, "password": password}, content_type="application/json")
    assert r.status_code == 200, r.content
    return r.json()["token"]


def test_password_reset_ends_sessions_and_tokens(client_as: Any, huangyan: Any, dong_union: Union) -> None:
    user, first = services.user_create(actor=huangyan, username="zhouhui", display_name="周慧", role=Role.UNION_ADMIN,
                                       union=dong_union)
    her = Client()
    her.post(reverse("login"), {"username": "zhouhui", "password": first})
    her.post(reverse("password_change"), {"old_password": first, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    token = _api_token("zhouhui", NEW_PASSWORD)
    assert her.get(reverse("dashboard")).status_code == 200
    # when dongcheng resets her password
    response = client_as("dongcheng").post(reverse("user_password_reset", args=[user.pk]))
    one_time = _one_time_password(response)
    # then her session and her token are gone, the old password fails and the new one must be changed
    assert her.get(reverse("dashboard")).status_code == 302
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert Client().post(reverse("login"), {"username": "zhouhui", "password": NEW_PASSWORD}).status_code == 200
    again = Client()
    again.post(reverse("login"), {"username": "zhouhui", "password": one_time})
    assert again.get(reverse("dashboard"))["Location"] == reverse("password_change")


def test_deactivation_ends_sessions_and_tokens_and_login(client_as: Any, huangyan: Any, dong_union: Union) -> None:
    user, password = services.user_create(actor=huangyan, username="wujun", display_name="吴军", role=Role.READONLY,
                                          union=dong_union)
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    token = _api_token("wujun", password)
    his = Client()
    his.post(reverse("login"), {"username": "wujun", "password": password})
    assert his.get(reverse("dashboard")).status_code == 200
    assert client_as("dongcheng").post(reverse("user_deactivate", args=[user.pk])).status_code == 302
    assert his.get(reverse("dashboard")).status_code == 200  # no reason: still active
    assert client_as("dongcheng").post(reverse("user_deactivate", args=[user.pk]),
                                       {"reason": "已调离"}).status_code == 302
    assert his.get(reverse("dashboard")).status_code == 302
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert Client().post(reverse("login"), {"username": "wujun", "password": password}).status_code == 200  # refused
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 0
    assert _audit_entry(user, "账号").changes == {"账号": "停用", "原因": "已调离"}
    assert _audit_entry(user, "账号").actor.username == "dongcheng"


def test_making_someone_an_administrator_ends_their_password_only_sessions(huangyan: Any, dong_union: Union) -> None:
    user, password = services.user_create(actor=huangyan, username="chenjing", display_name="陈静", role=Role.READONLY,
                                          union=dong_union)
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    token = _api_token("chenjing", password)
    hers = Client()
    hers.post(reverse("login"), {"username": "chenjing", "password": password})
    assert hers.get(reverse("dashboard")).status_code == 200
    # when she becomes a 镇街管理员 (who signs in with a second factor)
    services.role_assign(actor=huangyan, user=user, role=Role.TOWNSHIP_ADMIN, union=Union.objects.get(name="东城街道总工会"))
    # then what she opened with the password alone is closed
    assert hers.get(reverse("dashboard")).status_code == 302
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert Client().post(reverse("login"), {"username": "chenjing", "password": password})["Location"] == reverse("otp_enrol")


def test_the_list_shows_last_login_and_failed_attempts(client_as: Any, huangyan: Any, dong_union: Union) -> None:
    user, password = services.user_create(actor=huangyan, username="heping", display_name="何平", role=Role.READONLY,
                                          union=dong_union)
    for _ in range(3):
        Client().post(reverse("login"), {"username": "heping", "password": "wrong-wrong"})
    row = selectors.user_get(actor=huangyan, pk=user.pk)
    assert row.failed_attempts == 3 and row.last_login is None
    page = client_as("dongcheng").get(reverse("user_detail", args=[user.pk])).content.decode()
    assert "3 次" in page and "从未登录" in page
    Client().post(reverse("login"), {"username": "heping", "password": password})
    row = selectors.user_get(actor=huangyan, pk=user.pk)
    assert row.failed_attempts == 0 and row.last_login is not None


def test_nobody_revokes_their_own_roles_or_resets_themselves(dongcheng: Any) -> None:
    own = dongcheng.role_assignments.get()
    with pytest.raises(PermissionDenied):
        services.role_revoke(actor=dongcheng, assignment=own, reason="测试")
    with pytest.raises(PermissionDenied):
        services.user_password_reset(actor=dongcheng, user=dongcheng)


def test_revoke_and_grant_are_audited(huangyan: Any, dong_union: Union) -> None:
    user, _ = services.user_create(actor=huangyan, username="liuyi", display_name="刘毅", role=Role.READONLY,
                                   union=dong_union)
    a = services.role_assign(actor=huangyan, user=user, role=Role.UNION_ADMIN, union=dong_union)
    with pytest.raises(ValidationError):
        services.role_revoke(actor=huangyan, assignment=a, reason="")
    services.role_revoke(actor=huangyan, assignment=a, reason="岗位调整")
    changes = [e.changes for e in LogEntry.objects.filter(object_pk=str(user.pk)).order_by("timestamp")]
    # the action is the entry's key beside 原因 (PostgreSQL's jsonb keeps keys in its own order, not the written one)
    assert [next(k for k in c if k != "原因") for c in changes][-3:] == ["新建用户", "授予角色", "撤销角色"]
    assert changes[-1]["原因"] == "岗位调整"
