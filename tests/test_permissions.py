"""Permissions by action on tree nodes and units (issue 8), on the cast of conftest.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse

from gonghui.accounts.models import RoleAssignment
from gonghui.accounts.permissions import ROLE_ACTIONS, Action, Role, can, clear_cache
from gonghui.members.models import Membership, Person
from gonghui.orgs.models import Enterprise, Union
from gonghui.orgs.scope import require

pytestmark = pytest.mark.django_db

V, C, AP, MV, EX, RV, MU, AU, H = (Action.VIEW, Action.CHANGE, Action.APPROVE, Action.MOVE, Action.EXPORT_UNMASKED,
                                   Action.REVEAL_ID, Action.MANAGE_USERS, Action.VIEW_AUDIT, Action.HANDLE)

# The one table of what each role grants. Changing ROLE_ACTIONS means changing this table on purpose.
EXPECTED = {
    Role.DISTRICT_ADMIN: {V, C, AP, MV, EX, RV, MU, AU, H},
    Role.TOWNSHIP_ADMIN: {V, C, AP, MV, MU, H},
    Role.UNION_ADMIN: {V, C, AP, H},
    Role.DEPARTMENT: {V, H},  # a partner department works the demands routed to its unit (issue 13)
    Role.READONLY: {V},
}


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_role_actions_are_pinned(role: Role) -> None:
    assert set(ROLE_ACTIONS[role]) == EXPECTED[role]


def test_every_role_is_in_the_table_and_the_roles_page(client_as: Any) -> None:
    assert set(ROLE_ACTIONS) == set(Role) == set(EXPECTED)
    html = client_as("chakan").get(reverse("roles")).content.decode()
    for role in Role:
        assert f'data-role="{role.value}"' in html and role.label in html
    for action in Action:
        assert action.label in html
    # the row of 只读 ticks 查看 only
    row = html.split('data-role="readonly"')[1].split("</tr>")[0]
    assert row.count("✓") == 1


# ---------------------------------------------------------------- each assignment over its own subtree


def test_readonly_at_district_plus_admin_of_one_union_writes_only_there(cast: Any) -> None:
    mixed = cast.mixed
    # sees all of 东城 (only 只读 there) …
    assert Union.objects.visible_to(mixed).filter(pk=cast.dc_union2.pk).exists()
    # … but may change dc_union only
    changeable = set(Union.objects.visible_to(mixed, Action.CHANGE).values_list("pk", flat=True))
    assert changeable == {cast.dc_union.pk}
    require(mixed, Action.CHANGE, cast.dc_union)
    with pytest.raises(PermissionDenied, match="办理或修改"):
        require(mixed, Action.CHANGE, cast.dc_union2)
    with pytest.raises(PermissionDenied):
        require(mixed, Action.CHANGE, cast.dongcheng_town)
    m2 = Membership.objects.get(person=cast.dc2_member)
    with pytest.raises(PermissionDenied):
        require(mixed, Action.APPROVE, m2)
    require(mixed, Action.APPROVE, Membership.objects.get(person=cast.worker))


def test_a_narrower_assignment_adds_nothing_to_a_wider_one(cast: Any) -> None:
    dongcheng = cast.dongcheng
    # given what dongcheng sees before
    before = set(Union.objects.visible_to(dongcheng).values_list("pk", flat=True))
    assert cast.dc_union.pk in before and cast.yq_union.pk not in before
    # when a 只读 assignment on a union inside their township is added
    RoleAssignment.objects.create(user=dongcheng, role=Role.READONLY, union=cast.dc_union)
    clear_cache(dongcheng)
    # then they see exactly the same unions, and still may change all of them
    assert set(Union.objects.visible_to(dongcheng).values_list("pk", flat=True)) == before
    assert set(Union.objects.visible_to(dongcheng, Action.CHANGE).values_list("pk", flat=True)) == before
    # and an assignment on the sibling township widens it (the filter is read again after clear_cache)
    RoleAssignment.objects.create(user=dongcheng, role=Role.READONLY, union=cast.yuanqiao_town)
    clear_cache(dongcheng)
    after = set(Union.objects.visible_to(dongcheng).values_list("pk", flat=True))
    assert before < after and cast.yq_union.pk in after
    assert cast.yq_union.pk not in set(Union.objects.visible_to(dongcheng, Action.CHANGE).values_list("pk", flat=True))


def test_inactive_assignments_grant_nothing(cast: Any) -> None:
    RoleAssignment.objects.filter(user=cast.mixed, union=cast.dc_union).update(active=False)
    clear_cache(cast.mixed)
    assert not can(cast.mixed, Action.CHANGE)
    assert not Union.objects.visible_to(cast.mixed, Action.CHANGE).exists()


def test_an_assignment_names_a_union_or_a_unit_never_both_nor_neither(cast: Any) -> None:
    unit = cast.renshe.role_assignments.get().unit
    for kwargs in ({"union": cast.dc_union, "unit": unit}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            RoleAssignment.objects.create(user=cast.mixed, role=Role.DEPARTMENT, **kwargs)


# ---------------------------------------------------------------- the demo's 只读 and 部门经办人


def test_chakan_sees_the_whole_district_and_may_change_nothing(cast: Any) -> None:
    chakan = cast.chakan
    assert Union.objects.visible_to(chakan).count() == Union.objects.count()
    assert Enterprise.objects.visible_to(chakan).filter(pk=cast.kd_firm.pk).exists()
    for action in (C, AP, MV, EX, RV, MU, AU):
        assert not can(chakan, action), action
        assert not Union.objects.visible_to(chakan, action).exists()


def test_renshe_sees_nothing_on_the_tree(cast: Any) -> None:
    renshe = cast.renshe
    a = renshe.role_assignments.get()
    assert a.union is None and a.unit.name == "台州市黄岩区人力资源和社会保障局" and a.role == Role.DEPARTMENT
    assert can(renshe, Action.VIEW)  # on their unit
    for model in (Union, Enterprise, Person, Membership):
        assert not model.objects.visible_to(renshe).exists(), model  # type: ignore[attr-defined]
    with pytest.raises(Http404):
        Union.objects.get_visible(renshe, pk=cast.dc_union.pk)


def test_demo_accounts_log_in_with_the_demo_password(client: Client) -> None:
    for username in ("chakan", "renshe"):
        r = client.post(reverse("login"), {"username": username, "password": "demo12345"})
        assert r.status_code == 302 and client.session.get("_auth_user_id"), username
        client.logout()


def _post_as(user: Any, name: str, *args: Any, data: dict[str, Any] | None = None) -> int:
    c = Client()
    c.force_login(user)
    return c.post(reverse(name, args=args), data or {}).status_code


def test_every_console_write_answers_403_to_chakan(cast: Any) -> None:
    m = Membership.objects.get(person=cast.worker)
    m.status = Membership.Status.PENDING
    m.save(update_fields=["status"])
    writes = [
        ("orgs:union_move", (cast.dc_union.pk,), {"new_parent": cast.dc_union2.pk}),
        ("members:change", (cast.worker.pk,), {"kind": "retain", "on": "2026-10-01", "reason": "外出"}),
        ("members:join_decide", (m.pk,), {"approve": "1"}),
        ("members:reveal", (cast.worker.pk,), {"reason": "核对"}),
        ("members:transfer_in", (), {"id_number": cast.yq_member.id_number, "to_union": cast.dc_union.pk}),
        ("join:admin", (cast.dc_union.pk,), {"action": "settings", "open": ""}),
        ("join:admin", (cast.dc_union.pk,), {"action": "recruiter", "name": "周杰"}),
        ("members:import", (), {}),
        ("orgs:import", ("enterprises",), {}),
    ]
    for name, args, data in writes:
        assert _post_as(cast.chakan, name, *args, data=data) == 403, name
    # nothing happened
    m.refresh_from_db()
    assert m.status == Membership.Status.PENDING
    assert not cast.dc_union.recruiters.exists()


def test_a_403_page_and_api_detail_are_in_chinese(cast: Any, client: Client) -> None:
    client.force_login(cast.chakan)
    r = client.post(reverse("join:admin", args=[cast.dc_union.pk]), {"action": "settings"})
    assert r.status_code == 403 and "无权执行此操作" in r.content.decode() and "办理或修改" in r.content.decode()
    r = client.get(reverse("members:export"), {"unmasked": "1"})
    assert r.status_code == 403 and "导出完整身份证号码" in r.content.decode()


def test_the_mixed_user_may_write_in_their_union_only(cast: Any) -> None:
    # the join settings of dc_union: theirs; of dc_union2 (only 只读 there): 403; of yq_union (unseen): 404
    data = {"action": "recruiter", "name": "周杰"}
    assert _post_as(cast.mixed, "join:admin", cast.dc_union.pk, data=data) == 302
    assert _post_as(cast.mixed, "join:admin", cast.dc_union2.pk, data=data) == 403
    assert _post_as(cast.mixed, "join:admin", cast.yq_union.pk, data=data) == 404
    assert cast.dc_union.recruiters.count() == 1 and not cast.dc_union2.recruiters.exists()


# ---------------------------------------------------------------- people through their membership history


def test_people_stay_visible_to_the_unions_they_belonged_to(cast: Any) -> None:
    dongcheng, yuanqiao = cast.dongcheng, cast.yuanqiao
    seen = set(Person.objects.visible_to(dongcheng).filter(
        pk__in=[cast.worker.pk, cast.leaver.pk, cast.mover.pk, cast.yq_member.pk]).values_list("pk", flat=True))
    assert seen == {cast.worker.pk, cast.leaver.pk, cast.mover.pk}
    # the member list is the current members only
    members = set(Person.objects.visible_to(dongcheng, via=("current_union",)).values_list("pk", flat=True))
    assert cast.worker.pk in members and cast.leaver.pk not in members and cast.mover.pk not in members
    # the mover is yuanqiao's member now; the leaver never was
    assert Person.objects.visible_to(yuanqiao).filter(pk=cast.mover.pk).exists()
    assert not Person.objects.visible_to(yuanqiao).filter(pk=cast.leaver.pk).exists()
    c = Client()
    c.force_login(dongcheng)
    assert c.get(reverse("members:detail", args=[cast.leaver.pk])).status_code == 200
    c.force_login(yuanqiao)
    assert c.get(reverse("members:detail", args=[cast.leaver.pk])).status_code == 404


def test_member_list_shows_the_own_township_only(cast: Any, client_as: Any) -> None:
    # given dongcheng's cadre; when they open the member list filtered to the cast's names
    c = client_as("dongcheng")
    names = {p.name: p for p in (cast.worker, cast.dc2_member, cast.yq_member, cast.kd_member, cast.leaver,
                                 cast.mover)}
    listed = set()
    for name in names:
        r = c.get(reverse("members:list"), {"q": name})
        assert r.status_code == 200
        listed |= {p.pk for p in r.context["page"]}
    # then exactly their current members of the cast are on it (the demo may hold namesakes: ignored)
    listed &= {p.pk for p in names.values()}
    assert listed == {cast.worker.pk, cast.dc2_member.pk}


def test_kuaidi_sees_the_firm_its_union_covers_in_another_township(cast: Any) -> None:
    assert Enterprise.objects.visible_to(cast.kuaidi).filter(pk=cast.kd_firm.pk).exists()
    assert Enterprise.objects.visible_to(cast.yuanqiao).filter(pk=cast.kd_firm.pk).exists()  # by territory
    assert not Enterprise.objects.visible_to(cast.dongcheng).filter(pk=cast.kd_firm.pk).exists()
    assert not Enterprise.objects.visible_to(cast.kuaidi).filter(pk=cast.yq_firm.pk).exists()


def test_me_names_unit_assignments(cast: Any, client: Client) -> None:
    client.force_login(cast.renshe)
    body = client.get("/api/v1/me").json()
    assert body["scope_union_ids"] == []
    assert body["roles"] == [{"role": "department", "role_name": "部门经办人", "union_id": None, "union_name": None,
                              "unit_id": cast.renshe.role_assignments.get().unit_id,
                              "unit_name": "台州市黄岩区人力资源和社会保障局"}]
