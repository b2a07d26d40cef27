"""The members console as cadres use it: list and filters, detail with history, ID reveal, changes, transfers,
approvals, export, roster import through the browser's form, 入会率 — and scope: another township's member is a
404, exactly like a member that does not exist."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from gonghui.core import crypto
from gonghui.members import services
from gonghui.members.models import Membership, Person, TransferRequest
from gonghui.orgs.models import ImportJob, Union

from .rosters import people, write_xlsx

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    """A client of its own (client_as shares one client, so two cadres in one test need two of these)."""
    from django.contrib.auth import get_user_model

    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def _member_in(township: str) -> Person:
    town = Union.objects.get(name=f"{township}总工会")
    return (Person.objects.filter(current_union__path__startswith=town.path, memberships__status="active")
            .order_by("pk").first())


def test_member_list_shows_own_territory_only(client_as: Any) -> None:
    # given dongcheng's cadre
    c = client_as("dongcheng")
    # when they open the member list
    r = c.get(reverse("members:list"))
    # then they see 东城 members only, masked
    assert r.status_code == 200
    html = r.content.decode()
    theirs = _member_in("院桥镇")
    # (applicants awaiting approval are listed apart, under 状态 = 待审核)
    assert r.context["page"].paginator.count == Person.objects.visible_to(
        r.context["user"], via=("current_union",)).filter(current_union__isnull=False).exclude(
        memberships__status="pending").count()
    assert theirs.id_masked not in html or theirs.name not in html
    assert all(p.current_union.path.startswith(Union.objects.get(name="东城街道总工会").path)
               for p in r.context["page"])
    # which members are (and are not) on it, by name: tests/test_permissions.py::test_member_list_shows_the_own_township_only


def test_member_list_query_count_is_pinned(client_as: Any, django_assert_num_queries: Any) -> None:
    # given the district admin and 50 rows on a page
    c = client_as("huangyan")
    c.get(reverse("members:list"))  # warm the session
    # then the page costs the same few queries whatever is on it (no N+1)
    # (one action check (can) where two Django permission queries were; one more for the reveal_id subtrees
    # that decide which mobiles show in full; the union filter is a picker, not 1,000 options; and one reads
    # the session, unless sessions live in Redis: CACHE_URL=redis://…)
    from django.conf import settings

    with django_assert_num_queries(9 if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db" else 8):
        r = c.get(reverse("members:list"), {"occupation": "其他"})
    assert len(r.context["page"]) == 50


def test_filters(client_as: Any) -> None:
    c = client_as("huangyan")
    p = _member_in("院桥镇")
    number = crypto.decrypt(p.id_cipher)
    # a full ID number finds exactly that person; a phone; a name fragment; a union subtree
    for q in (number, number.lower()[:17] + number[17].lower(), p.phone):
        if q:
            r = c.get(reverse("members:list"), {"q": q}, follow=True)  # a full number is moved out of the URL
            assert p in list(r.context["page"]), q
            assert q not in r.redirect_chain[-1][0]
    town = Union.objects.get(name="院桥镇总工会")
    r = c.get(reverse("members:list"), {"union": town.pk, "joined_from": "2000-01-01", "joined_to": "2026-12-31",
                                        "political": p.political})
    assert r.status_code == 200 and all(x.current_union.path.startswith(town.path) for x in r.context["page"])
    r = c.get(reverse("members:list"), {"enterprise": p.employer_id})
    assert {x.employer_id for x in r.context["page"]} == {p.employer_id}


def test_detail_out_of_scope_is_404(client_as: Any) -> None:
    # given a 院桥 member
    theirs = _member_in("院桥镇")
    c = client_as("dongcheng")
    # when dongcheng opens it (or its reveal / change pages), or a member that does not exist
    # then 404 each time, the same answer
    assert c.get(reverse("members:detail", args=[theirs.pk])).status_code == 404
    assert c.get(reverse("members:detail", args=[10**9])).status_code == 404
    assert c.post(reverse("members:change", args=[theirs.pk]), {"kind": "retain", "on": "2026-01-01"}).status_code == 404
    assert _client("yuanqiao").get(reverse("members:detail", args=[theirs.pk])).status_code == 200


def test_detail_shows_history(client_as: Any) -> None:
    p = _member_in("东城街道")
    r = client_as("dongcheng").get(reverse("members:detail", args=[p.pk]))
    assert r.status_code == 200
    assert p.id_masked in r.content.decode() and "入会" in r.content.decode()
    assert crypto.decrypt(p.id_cipher) not in r.content.decode()
    assert "显示完整号码" not in r.content.decode()  # dongcheng has no reveal permission


def test_reveal_needs_permission_and_reason_and_is_audited(client_as: Any) -> None:
    p = _member_in("东城街道")
    url = reverse("members:reveal", args=[p.pk])
    # given dongcheng without the permission → refused
    assert client_as("dongcheng").post(url, {"reason": "核对"}).status_code == 403
    # given huangyan (holds members.reveal_id from the demo)
    c = client_as("huangyan")
    assert "显示完整号码" in c.get(reverse("members:detail", args=[p.pk])).content.decode()
    # when they ask without a reason → the form again, nothing shown
    r = c.post(url, {"reason": ""})
    assert crypto.decrypt(p.id_cipher) not in r.content.decode()
    # when they give a reason → the number, once, and an audit entry with the reason
    before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()
    r = c.post(url, {"reason": "医疗互助理赔核对"})
    assert crypto.decrypt(p.id_cipher) in r.content.decode() and r["Cache-Control"] == "no-store"
    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).order_by("-pk").first()
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == before + 1
    assert "医疗互助理赔核对" in str(entry.changes)


def test_membership_change(client_as: Any) -> None:
    p = _member_in("东城街道")
    c = client_as("dongcheng")
    r = c.post(reverse("members:change", args=[p.pk]), {"kind": "retain", "on": "2026-10-01", "reason": "外出"})
    assert r.status_code == 302
    assert Membership.objects.get(person=p, status__in=Membership.OPEN).status == "retained"
    # 除名 without a reason is refused with a message, nothing changes
    r = c.post(reverse("members:change", args=[p.pk]), {"kind": "expel", "on": "2026-10-02", "reason": ""}, follow=True)
    assert "办理除名须填写原因" in r.content.decode()
    assert Membership.objects.get(person=p, status__in=Membership.OPEN).status == "retained"


def test_export_masked_and_unmasked_are_audited(client_as: Any) -> None:
    town = Union.objects.get(name="院桥镇总工会")
    # dongcheng (no export_unmasked) exports: IDs and mobiles masked, every member of their scope
    c = _client("dongcheng")
    before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()
    # asking for full numbers without export_unmasked: refused (403), nothing counted or logged
    assert c.get(reverse("members:export"), {"unmasked": "1"}).status_code == 403
    r = c.post(reverse("members:export"), {"unmasked": "on", "reason": "核对", "confirm": "on"})
    assert r.status_code == 403 and LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == before
    page = c.get(reverse("members:export"))
    assert page.status_code == 200 and "导出完整身份证号码和手机号码" not in page.content.decode()
    r = c.post(reverse("members:export"), {})
    rows = list(load_workbook(io.BytesIO(r.content)).active.values)
    assert rows[0][2] == "身份证号码" and all("*" in row[2] for row in rows[1:])
    assert all(row[5] is None or "****" in row[5] for row in rows[1:])
    assert len(rows) - 1 == Person.objects.visible_to(r.wsgi_request.user, via=("current_union",)).filter(
        current_union__isnull=False).exclude(memberships__status="pending").count()
    # huangyan may, but only with a reason and a confirmation
    h = _client("huangyan")
    before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()
    r = h.post(reverse("members:export"), {"unmasked": "on", "union": town.pk})
    assert r.status_code == 400 and "须填写原因" in r.content.decode() and "请勾选确认" in r.content.decode()
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == before
    r = h.post(reverse("members:export"), {"unmasked": "on", "union": town.pk, "reason": "报送市总核对",
                                           "confirm": "on"})
    rows = list(load_workbook(io.BytesIO(r.content)).active.values)
    assert all("*" not in row[2] and len(row[2]) == 18 for row in rows[1:])
    logs = list(LogEntry.objects.filter(action=LogEntry.Action.ACCESS).order_by("-pk")[:2])
    assert "完整身份证号码" in str(logs[0].changes) and "报送市总核对" in str(logs[0].changes)
    assert "院桥镇总工会" in str(logs[0].changes) and "已打码" in str(logs[1].changes)


def test_transfer_in_inbox_and_approval(client_as: Any) -> None:
    # given a 院桥 member and a 东城 union
    p = _member_in("院桥镇")
    dest = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    # when dongcheng requests the transfer by full ID number
    c = _client("dongcheng")
    r = c.post(reverse("members:transfer_in"), {"id_number": crypto.decrypt(p.id_cipher), "name": p.name,
                                                "to_union": dest.pk, "reason": "工作调动"})
    assert r.status_code == 302
    t = TransferRequest.objects.get(person=p, status="pending")
    # then it is in dongcheng's outgoing list and yuanqiao's incoming list
    assert t in list(c.get(reverse("members:transfers")).context["outgoing"])
    y = _client("yuanqiao")
    assert t in list(y.get(reverse("members:transfers")).context["incoming"])
    # the destination cannot approve its own request
    assert c.post(reverse("members:transfer_decide", args=[t.pk]), {"approve": "1"}).status_code == 403
    # the origin approves: the person moves, history whole
    y.post(reverse("members:transfer_decide", args=[t.pk]), {"approve": "1"})
    p.refresh_from_db()
    assert p.current_union_id == dest.pk
    assert list(p.events.values_list("kind", flat=True))[-2:] == ["transfer_out", "transfer_in"]


def test_transfer_in_unknown_person(client_as: Any) -> None:
    dest = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    r = client_as("dongcheng").post(reverse("members:transfer_in"),
                                    {"id_number": people(1, seed=999)[0][2], "name": "张三", "to_union": dest.pk})
    assert r.status_code == 400 and "请直接办理入会" in r.content.decode()


def test_approvals(client_as: Any) -> None:
    pending = Membership.objects.filter(status="pending", union__path__startswith=Union.objects.get(
        name="东城街道总工会").path).first()
    assert pending is not None
    c = _client("dongcheng")
    assert pending in list(c.get(reverse("members:approvals")).context["pending"])
    assert _client("yuanqiao").post(reverse("members:join_decide", args=[pending.pk]),
                                      {"approve": "1"}).status_code == 404
    c.post(reverse("members:join_decide", args=[pending.pk]), {"approve": "1"})
    pending.refresh_from_db()
    assert pending.status == "active"


def test_import_through_the_console(client_as: Any, tmp_path: Path) -> None:
    # given a roster with one duplicate
    rows = people(5, seed=77)
    path = write_xlsx(tmp_path / "名册.xlsx", [*rows, rows[0]], title="会员名册")
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    c = client_as("dongcheng")
    # when the cadre uploads it
    with open(path, "rb") as fh:
        r = c.post(reverse("members:import"), {"file": fh, "union": union.pk})
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("members:import_job", args=[job.pk])
    # then the preview shows what would happen, and nothing is written yet
    page = c.get(r["Location"]).content.decode()
    job.refresh_from_db()
    assert job.status == "checked" and job.result["created"] == 5 and job.result["duplicates"] == 1
    assert "确认导入" in page and "第 8 行与第 3 行是同一人" in page
    assert not Person.objects.filter(id_index=crypto.blind_index(rows[0][2])).exists()
    # when they confirm
    c.post(reverse("members:import_confirm", args=[job.pk]))
    job.refresh_from_db()
    # then the members are in, and confirming twice does nothing more
    assert job.status == "done" and Person.objects.filter(current_union=union, id_index__in=[
        crypto.blind_index(r[2]) for r in rows]).count() == 5
    r = c.post(reverse("members:import_confirm", args=[job.pk]), follow=True)
    assert "不能导入" in r.content.decode()
    # and yuanqiao cannot see the job
    assert _client("yuanqiao").get(reverse("members:import_job", args=[job.pk])).status_code == 404


def test_import_with_errors_offers_the_report(client_as: Any, tmp_path: Path) -> None:
    rows = people(3, seed=78)
    rows[1][2] = "3.31003199001011E+17"
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    c = client_as("dongcheng")
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    with open(path, "rb") as fh:
        r = c.post(reverse("members:import"), {"file": fh, "union": union.pk}, follow=True)
    assert "有 1 行无法导入" in r.content.decode() and "全部不导入" in r.content.decode() and "文本" in r.content.decode()
    job = ImportJob.objects.get()
    report = c.get(reverse("members:import_errors", args=[job.pk]))
    rows_back = list(load_workbook(io.BytesIO(b"".join(report.streaming_content))).active.values)
    assert rows_back[1][-1] == 3 and "文本" in rows_back[1][-2]


def test_large_import_runs_as_task_with_progress(client_as: Any, tmp_path: Path, settings: Any,
                                                 monkeypatch: Any) -> None:
    # given the worker path (a task backend that runs at once) for every file size
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from gonghui.orgs import import_jobs

    monkeypatch.setattr(import_jobs, "INLINE_BYTES", 0)
    rows = people(30, seed=79)
    path = write_xlsx(tmp_path / "big.xlsx", rows)
    c = client_as("dongcheng")
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    with open(path, "rb") as fh:
        c.post(reverse("members:import"), {"file": fh, "union": union.pk})
    job = ImportJob.objects.get()
    assert job.status == "checked"
    c.post(reverse("members:import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done" and job.result["created"] == 30
    # the page polls a partial (htmx) that reports the progress
    r = c.get(reverse("members:import_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'data-status="done"' in r.content.decode()
    assert "<html" not in r.content.decode()


def test_import_progress_partial_polls_while_running(client_as: Any) -> None:
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    job = ImportJob.objects.create(kind="members", union=union, folder="/nonexistent", file_name="upload",
                                   original_name="x.csv", status=ImportJob.Status.IMPORTING)
    r = client_as("dongcheng").get(reverse("members:import_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in r.content.decode() and "正在导入" in r.content.decode()


def test_readonly_user_cannot_import(client: Any, db: Any) -> None:
    from django.contrib.auth import get_user_model

    from gonghui.accounts.models import Role, RoleAssignment

    user = get_user_model().objects.create(username="viewer")
    RoleAssignment.objects.create(user=user, role=Role.READONLY, union=Union.objects.get(name="东城街道总工会"))
    client.force_login(user)
    assert client.get(reverse("members:import")).status_code == 403
    assert client.get(reverse("members:list")).status_code == 200


def test_rates_and_dashboard(client_as: Any) -> None:
    c = client_as("dongcheng")
    r = c.get(reverse("members:rates"))
    assert r.status_code == 200 and len(r.context["townships"]) == 1
    rates = [e.rate for e in r.context["page"]]
    assert rates == sorted(rates)
    e = r.context["page"][len(rates) - 1]
    assert e.n_members == Person.objects.filter(employer=e, current_union__isnull=False).count()
    assert 'hx-get="/panels/members/"' in c.get(reverse("dashboard")).content.decode()  # the 工作台 loads the panel
    d = c.get(reverse("panel", args=["members"])).content.decode()
    assert 'data-testid="member-counts"' in d and "入会率" in d
    r = _client("huangyan").get(reverse("panel", args=["members"]))
    assert r.status_code == 200 and 'data-testid="panel-township-rates"' in r.content.decode()


def test_template_download(client_as: Any) -> None:
    r = client_as("dongcheng").get(reverse("members:import_template"))
    ws = load_workbook(io.BytesIO(r.content)).active
    assert [c.value for c in ws[2]][:3] == ["姓名*", "身份证号码*", "手机号码"]


@pytest.mark.parametrize("name", ["members:list", "members:transfers", "members:approvals", "members:import",
                                  "members:rates", "members:transfer_in"])
def test_pages_answer_at_phone_width_markup(client_as: Any, name: str) -> None:
    r = client_as("kuaidi").get(reverse(name))
    assert r.status_code == 200 and 'name="viewport"' in r.content.decode()


def test_services_used_by_console_keep_history(huangyan: Any) -> None:
    p = _member_in("东城街道")
    m = Membership.objects.get(person=p, status="active")
    services.membership_change(actor=huangyan, membership=m, kind="retain", reason="外出")
    services.membership_change(actor=huangyan, membership=m, kind="restore", reason="返回")
    assert list(p.events.values_list("kind", flat=True))[-2:] == ["retain", "restore"]


def test_each_figure_has_one_definition_and_the_page_says_which(client_as: Any) -> None:
    """Issue 9: 东城's 会员 on its 工作台 and the district's row for 东城 are different figures (the members of its
    unions, the members employed by its firms); each is computed one way, equals the list it stands for, and is
    labelled as what it is. 未建会·25人以上 counts what its link lists."""
    from gonghui.members.selectors import member_list
    from gonghui.orgs.models import Enterprise

    dc = client_as("dongcheng")
    own = dc.get(reverse("panel", args=["members"]))
    assert own.context["p"]["counts"].members == member_list(user=own.wsgi_request.user).count()
    district = _client("huangyan").get(reverse("panel", args=["members"]))
    row = next(t for t in district.context["p"]["townships"] if t["name"] == "东城街道总工会")
    town = Union.objects.get(name="东城街道总工会")
    employed = Person.objects.filter(current_union__isnull=False, employer__territory=town,
                                     employer__status=Enterprise.Status.ACTIVE).count()
    assert row["members"] == employed
    html = district.content.decode()
    assert "在本镇街企业就业的会员" in html and 'data-testid="rate-definitions"' in html
    orgs = dc.get(reverse("panel", args=["orgs"]))
    listed = dc.get(reverse("orgs:enterprise_list"), {"status": "active", "covered": "no", "ge25": "1"})
    assert orgs.context["p"]["counts"].uncovered_25 == listed.context["page"].paginator.count
