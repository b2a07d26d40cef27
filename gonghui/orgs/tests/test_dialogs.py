"""新增工会 / 编辑 / 新增企业 / 编辑, one at a time: given the cast, when a cadre fills a dialog, then the import's rules
apply, every error shows beside its field at once, every write is permission-checked and audited."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from gonghui.orgs import services
from gonghui.orgs.models import Enterprise, Union
from tests import factories as f

pytestmark = pytest.mark.django_db

GOOD_UNION_CODE = f.union_code(990001)
GOOD_FIRM_CODE = f.enterprise_code(990002)


def _bad_check(code: str) -> str:
    """The same code with a wrong check character."""
    return code[:17] + ("0" if code[17] != "0" else "1")


# ---------------------------------------------------------------- services


def test_union_add_requires_change_on_the_parent(cast):
    with pytest.raises(PermissionDenied):
        services.union_add(actor=cast.dongcheng, parent=cast.yuanqiao_town, kind=Union.Kind.SINGLE, name="某工会")
    with pytest.raises(PermissionDenied):
        services.union_add(actor=cast.chakan, parent=cast.dongcheng_town, kind=Union.Kind.SINGLE, name="某工会")


def test_union_add_names_every_bad_field_and_writes_nothing(cast):
    before = Union.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.union_add(actor=cast.dongcheng, parent=cast.dc_union, kind=Union.Kind.SINGLE,
                           code=_bad_check(GOOD_UNION_CODE), name="某工会")
    errors = exc.value.message_dict
    assert "校验位错误" in errors["code"][0]
    assert "单独建会下不能设立单独建会" in errors["kind"][0]
    assert Union.objects.count() == before


def test_union_add_refuses_a_code_held_by_another_union_naming_it_only_in_scope(cast):
    cast.yq_union.code = GOOD_UNION_CODE
    cast.yq_union.save()
    with pytest.raises(ValidationError) as exc:
        services.union_add(actor=cast.dongcheng, parent=cast.dongcheng_town, kind=Union.Kind.SINGLE,
                           code=GOOD_UNION_CODE, name="某工会")
    assert "不在您的管辖范围" in exc.value.message_dict["code"][0]
    assert cast.yq_union.name not in exc.value.message_dict["code"][0]


def test_union_add_writes_an_audit_row_naming_the_actor(cast):
    union = services.union_add(actor=cast.dongcheng, parent=cast.dongcheng_town, kind=Union.Kind.SINGLE,
                               code=GOOD_UNION_CODE, name="台州市黄岩东城新建模具有限公司工会委员会",
                               founded_on=dt.date(2026, 12, 1))
    assert union.get_parent().pk == cast.dongcheng_town.pk
    entry = LogEntry.objects.get_for_object(union).get(action=LogEntry.Action.CREATE)
    assert entry.actor == cast.dongcheng


def test_union_edit_requires_change_and_a_reason_to_revoke(cast):
    with pytest.raises(PermissionDenied):
        services.union_edit(actor=cast.yuanqiao, union=cast.dc_union, chair="李四")
    with pytest.raises(ValidationError) as exc:
        services.union_edit(actor=cast.dongcheng, union=cast.dc_union, status=Union.Status.REVOKED, reason=" ")
    assert exc.value.message_dict["reason"] == ["撤销工会须填写原因"]
    cast.dc_union.refresh_from_db()
    assert cast.dc_union.status == Union.Status.NORMAL
    assert services.union_edit(actor=cast.dongcheng, union=cast.dc_union, status=Union.Status.REVOKED,
                               reason="企业已注销")
    changes = [e.changes_dict for e in LogEntry.objects.get_for_object(cast.dc_union)]
    assert {"撤销原因": ["", "企业已注销"]} in changes
    assert any("status" in c for c in changes)


def test_enterprise_add_checks_township_permission_uscc_and_duplicates(cast):
    with pytest.raises(PermissionDenied):
        services.enterprise_add(actor=cast.dongcheng, uscc=GOOD_FIRM_CODE, township=cast.yuanqiao_town, name="某公司")
    with pytest.raises(ValidationError) as exc:
        services.enterprise_add(actor=cast.dongcheng, uscc=cast.dc_firm.uscc, township=cast.dongcheng_town,
                                name="某公司")
    assert cast.dc_firm.name in exc.value.message_dict["uscc"][0]
    ent = services.enterprise_add(actor=cast.dongcheng, uscc=GOOD_FIRM_CODE, township=cast.dongcheng_town,
                                  name="台州市黄岩东城新建模具有限公司", covering_union=cast.dc_union2)
    assert ent.territory_id == cast.dongcheng_town.pk and ent.covering_union_id == cast.dc_union2.pk
    assert LogEntry.objects.get_for_object(ent).filter(actor=cast.dongcheng).exists()


def test_enterprise_edit_moves_township_only_for_who_holds_both(cast):
    # kuaidi covers kd_firm (院桥 ground) but does not hold 院桥 or 东城
    with pytest.raises(ValidationError) as exc:
        services.enterprise_edit(actor=cast.kuaidi, enterprise=cast.kd_firm, township=cast.dongcheng_town,
                                 name=cast.kd_firm.name)
    assert "同时管辖" in exc.value.message_dict["township"][0]
    with pytest.raises(PermissionDenied):
        services.enterprise_edit(actor=cast.dongcheng, enterprise=cast.yq_firm, township=cast.yuanqiao_town,
                                 name="改名")
    assert services.enterprise_edit(actor=cast.huangyan, enterprise=cast.kd_firm, township=cast.dongcheng_town,
                                    name=cast.kd_firm.name, headcount=40) == "updated"
    cast.kd_firm.refresh_from_db()
    assert cast.kd_firm.territory_id == cast.dongcheng_town.pk and cast.kd_firm.headcount == 40


# ---------------------------------------------------------------- views


def test_union_new_shows_every_error_beside_its_field_then_saves(client_as, cast):
    c = client_as("dongcheng")
    url = reverse("orgs:union_new")
    r = c.post(url, {"name": "", "kind": Union.Kind.TOWNSHIP, "parent": cast.dongcheng_town.pk, "code": "81331",
                     "founded_on": "2026-13-45", "status": "normal"})
    assert r.status_code == 400
    html = r.content.decode()
    for name in ("name", "code", "founded_on", "kind"):
        assert f'id="id_{name}_error"' in html, name
        assert f'aria-describedby="id_{name}_error"' in html, name
    assert html.count("is-invalid") >= 4
    r = c.post(url, {"name": "台州市黄岩东城新建模具有限公司工会委员会", "kind": Union.Kind.SINGLE,
                     "parent": cast.dongcheng_town.pk, "code": GOOD_UNION_CODE, "founded_on": "2026年12月1日",
                     "status": "normal"})
    union = Union.objects.get(code=GOOD_UNION_CODE)
    assert r.status_code == 302 and r["Location"] == reverse("orgs:union_detail", args=[union.pk])
    assert union.founded_on == dt.date(2026, 12, 1)


def test_union_new_parent_outside_scope_is_refused_like_a_bad_choice(client_as, cast):
    r = client_as("dongcheng").post(reverse("orgs:union_new"), {
        "name": "某工会", "kind": Union.Kind.SINGLE, "parent": cast.yuanqiao_town.pk, "status": "normal"})
    assert r.status_code == 400
    assert "请从列表中选择工会" in r.content.decode()
    assert not Union.objects.filter(name="某工会").exists()


def test_dialog_over_htmx_answers_the_form_and_redirects_on_success(client_as, cast):
    c = client_as("dongcheng")
    url = reverse("orgs:union_edit", args=[cast.dc_union.pk])
    r = c.get(url, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and b"<html" not in r.content and b'hx-post="' in r.content
    r = c.post(url, {"name": cast.dc_union.name, "chair": "李四", "status": "normal"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Redirect"] == reverse("orgs:union_detail", args=[cast.dc_union.pk])
    cast.dc_union.refresh_from_db()
    assert cast.dc_union.chair == "李四"


def test_union_edit_revoke_needs_reason_and_confirmation(client_as, cast):
    c = client_as("dongcheng")
    url = reverse("orgs:union_edit", args=[cast.dc_union.pk])
    r = c.post(url, {"name": cast.dc_union.name, "status": "revoked"})
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="id_reason_error"' in html and 'id="id_confirm_error"' in html
    r = c.post(url, {"name": cast.dc_union.name, "status": "revoked", "reason": "企业已注销", "confirm": "on"})
    assert r.status_code == 302
    cast.dc_union.refresh_from_db()
    assert cast.dc_union.status == Union.Status.REVOKED


def test_buttons_only_for_who_may_write(client_as, cast):
    for username, shown in (("dongcheng", True), ("chakan", False)):
        c = client_as(username)
        assert (b'data-testid="union-new"' in c.get(reverse("orgs:union_list")).content) is shown
        assert (b'data-testid="enterprise-new"' in c.get(reverse("orgs:enterprise_list")).content) is shown
        detail = c.get(reverse("orgs:union_detail", args=[cast.dc_union.pk])).content
        assert (b'data-testid="union-edit"' in detail) is shown
        firm = c.get(reverse("orgs:enterprise_detail", args=[cast.dc_firm.pk])).content
        assert (b'data-testid="enterprise-edit"' in firm) is shown


def test_crafted_posts_answer_like_the_rest_of_the_app(client_as, cast):
    # a reader: 403; a sibling township: 404 for an object it cannot see
    chakan = client_as("chakan")
    assert chakan.post(reverse("orgs:union_new"), {}).status_code == 403
    assert chakan.post(reverse("orgs:union_edit", args=[cast.dc_union.pk]), {}).status_code == 403
    assert chakan.post(reverse("orgs:enterprise_new"), {}).status_code == 403
    yq = client_as("yuanqiao")
    assert yq.post(reverse("orgs:union_edit", args=[cast.dc_union.pk]), {"name": "x"}).status_code == 404
    assert yq.post(reverse("orgs:enterprise_edit", args=[cast.dc_firm.pk]), {"name": "x"}).status_code == 404


def test_enterprise_new_duplicate_links_to_the_firm_and_edit_saves(client_as, cast):
    c = client_as("dongcheng")
    r = c.post(reverse("orgs:enterprise_new"), {"uscc": cast.dc_firm.uscc, "name": "某公司",
                                                "township": cast.dongcheng_town.pk, "status": "active"})
    assert r.status_code == 400
    assert reverse("orgs:enterprise_detail", args=[cast.dc_firm.pk]).encode() in r.content
    url = reverse("orgs:enterprise_edit", args=[cast.dc_firm.pk])
    r = c.post(url, {"name": cast.dc_firm.name, "township": cast.dongcheng_town.pk, "status": "active",
                     "headcount": "88", "established_on": "2020/7/1", "covering_union": cast.dc_union.pk})
    assert r.status_code == 302
    ent = Enterprise.objects.get(pk=cast.dc_firm.pk)
    assert ent.headcount == 88 and ent.established_on == dt.date(2020, 7, 1)


def test_dialog_pages_query_counts_are_pinned(client_as, cast, django_assert_max_num_queries):
    c = client_as("dongcheng")
    c.get(reverse("orgs:union_new"))  # warm the session
    with django_assert_max_num_queries(7):
        assert c.get(reverse("orgs:union_new")).status_code == 200
    with django_assert_max_num_queries(9):
        assert c.get(reverse("orgs:union_edit", args=[cast.dc_union.pk])).status_code == 200
    with django_assert_max_num_queries(6):
        assert c.get(reverse("orgs:enterprise_new")).status_code == 200
    with django_assert_max_num_queries(9):
        assert c.get(reverse("orgs:enterprise_edit", args=[cast.dc_firm.pk])).status_code == 200


def test_pages_with_the_new_buttons_keep_their_query_counts(client_as, cast, django_assert_max_num_queries):
    # the 新增/编辑 buttons read the shell's cached grants (list pages) or the cached paths (detail pages)
    c = client_as("dongcheng")
    c.get(reverse("orgs:union_list"))
    for url, n in ((reverse("orgs:union_list"), 7), (reverse("orgs:enterprise_list"), 7),
                   (reverse("orgs:enterprise_detail", args=[cast.dc_firm.pk]), 8),
                   (reverse("orgs:union_detail", args=[cast.dc_union.pk]), 11)):
        with django_assert_max_num_queries(n):
            assert c.get(url).status_code == 200
