"""三重过滤, township tasks (export → re-import through the one import path), founding a union, the bulletin."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from gonghui.campaigns import bulletin, services
from gonghui.campaigns.models import CampaignFirm, Founding, ScreeningStep, Stage, TaskStatus
from gonghui.core.errors import WrongState
from gonghui.core.identifiers import make_uscc
from gonghui.members.models import JoinSettings
from gonghui.orgs.models import Coverage, Enterprise, Union
from tests import factories as f

from .helpers import make_campaign

pytestmark = pytest.mark.django_db
D = ScreeningStep.Decision


@pytest.fixture
def setup(cast: Any) -> dict[str, Any]:
    campaign = make_campaign(cast.huangyan, cast.district, threshold=25)
    big = f.EnterpriseFactory(name="台州市黄岩东城远大机械有限公司", territory=cast.dongcheng_town, headcount=80)
    small = f.EnterpriseFactory(name="台州市黄岩东城小美饰品有限公司", territory=cast.dongcheng_town, headcount=6)
    dead = f.EnterpriseFactory(name="台州市黄岩东城旧日贸易有限公司", territory=cast.dongcheng_town,
                               status=Enterprise.Status.CANCELLED)
    yq = f.EnterpriseFactory(name="台州市黄岩院桥华远电器有限公司", territory=cast.yuanqiao_town, headcount=30)
    day = dt.date(2026, 10, 31)
    firms = {k: CampaignFirm.objects.create(campaign=campaign, enterprise=e, township=e.territory, match="uncovered",
                                            added_on=day)
             for k, e in (("big", big), ("small", small), ("dead", dead), ("yq", yq))}
    joint = f.UnionFactory(parent=cast.dongcheng_town, name="东城街道小微企业联合工会", kind=Union.Kind.JOINT)
    return {"campaign": campaign, "joint": joint, **firms}


def test_three_rounds_with_reasons_history_and_undo(cast: Any, setup: Any) -> None:
    big, small = setup["big"], setup["small"]
    services.firm_screen(actor=cast.dongcheng, firm=big, round=1, decision=D.KEEP, reason="正常经营")
    big.refresh_from_db()
    assert big.stage == Stage.ROUND2
    with pytest.raises(WrongState):
        services.firm_screen(actor=cast.dongcheng, firm=big, round=3, decision=D.JOINT, reason="x")
    services.firm_screen(actor=cast.dongcheng, firm=big, round=2, decision=D.SINGLE, reason="80人")
    big.refresh_from_db()
    assert (big.stage, big.task_status, big.due_on) == (Stage.SINGLE, TaskStatus.TODO, dt.date(2027, 3, 31))

    services.firm_screen(actor=cast.dongcheng, firm=small, round=1, decision=D.KEEP, reason="正常经营")
    small.refresh_from_db()
    assert small.stage == Stage.ROUND3
    with pytest.raises(ValidationError, match="电话核实"):
        services.firm_screen(actor=cast.dongcheng, firm=small, round=3, decision=D.JOINT, reason="同意",
                             union=setup["joint"])
    services.firm_screen(actor=cast.dongcheng, firm=small, round=3, decision=D.JOINT, reason="同意加入",
                         union=setup["joint"], called_by="王晓燕", called_at=timezone.now(), call_outcome="同意")
    small.refresh_from_db()
    assert (small.stage, small.joint_union_id) == (Stage.JOINT, setup["joint"].pk)

    services.firm_screen_undo(actor=cast.dongcheng, firm=small, reason="核实有误")
    small.refresh_from_db()
    assert (small.stage, small.task_status, small.joint_union_id) == (Stage.ROUND3, "", None)
    history = list(small.steps.values_list("round", "decision", "undone", "actor__username"))
    assert history == [(1, "keep", False, "dongcheng"), (3, "joint", True, "dongcheng"), (3, "undo", False, "dongcheng")]

    with pytest.raises(PermissionDenied):  # a sibling township never screens 东城's firms
        services.firm_screen(actor=cast.yuanqiao, firm=big, round=2, decision=D.SINGLE, reason="x")


def test_bulk_removes_cancelled_firms_with_the_reason_per_firm(cast: Any, setup: Any, client_as: Any) -> None:
    c = client_as("dongcheng")
    r = c.post(f"/campaigns/{setup['campaign'].pk}/firms/", {"bulk": "zombie", "reason": "已注销"})
    assert r.status_code == 302
    dead = CampaignFirm.objects.get(pk=setup["dead"].pk)
    assert dead.stage == Stage.REMOVED and dead.steps.get().reason == "已注销"
    assert CampaignFirm.objects.get(pk=setup["big"].pk).stage == Stage.LISTED


def test_covered_elsewhere_links_the_firm_to_that_union(cast: Any, setup: Any) -> None:
    services.firm_screen(actor=cast.dongcheng, firm=setup["big"], round=1, decision=D.COVERED_ELSEWHERE,
                         reason="以“远大工会”名义已建会", union=cast.dc_union2)
    assert Enterprise.objects.get(pk=setup["big"].enterprise_id).covering_union_id == cast.dc_union2.pk
    services.firm_screen_undo(actor=cast.dongcheng, firm=setup["big"], reason="误判")
    assert Enterprise.objects.get(pk=setup["big"].enterprise_id).covering_union_id is None


def _to_task(cast: Any, firm: CampaignFirm) -> None:
    services.firm_screen(actor=cast.dongcheng, firm=firm, round=1, decision=D.KEEP, reason="正常经营")
    services.firm_screen(actor=cast.dongcheng, firm=firm, round=2, decision=D.SINGLE, reason="达到标准")


def test_founding_creates_the_union_covers_the_firm_opens_its_qr_and_completes_the_task(cast: Any,
                                                                                       setup: Any) -> None:
    big = setup["big"]
    _to_task(cast, big)
    fnd = services.founding_start(actor=cast.dongcheng, firm=big, prep_group="张伟、李娜")
    with pytest.raises(WrongState):
        services.founding_approve(actor=cast.dongcheng, founding=fnd, approval_no="东工〔2026〕1号",
                                  approved_on=dt.date(2026, 11, 20))
    with pytest.raises(ValidationError, match="女职工委员会"):
        services.founding_congress(actor=cast.dongcheng, founding=fnd, held_on=dt.date(2026, 11, 10),
                                   committees={"committee": [["张伟", "主席"]], "audit": [["王芳", "主任"]]})
    fnd = services.founding_congress(actor=cast.dongcheng, founding=fnd, held_on=dt.date(2026, 11, 10), committees={
        "committee": [["张伟", "主席"], ["刘洋", "委员"]], "audit": [["王芳", "主任"]], "women": [["李娜", "主任"]]})
    fnd = services.founding_approve(actor=cast.dongcheng, founding=fnd, approval_no="东工〔2026〕1号",
                                    approved_on=dt.date(2026, 11, 20))
    code = make_uscc("81331003" + "MA2K9X8Y7")
    fnd = services.founding_establish(actor=cast.dongcheng, founding=fnd, union_code=code,
                                      founded_on=dt.date(2026, 11, 25))
    union = Union.objects.get(code=code)
    assert union.get_parent() == cast.dongcheng_town and union.kind == Union.Kind.SINGLE and union.chair == "张伟"
    assert set(union.committees.values_list("kind", flat=True)) == {"committee", "audit", "women"}
    assert Enterprise.objects.get(pk=big.enterprise_id).covering_union_id == union.pk
    assert Coverage.objects.filter(union=union, ended_on__isnull=True).count() == 1
    assert JoinSettings.objects.get(union=union).open
    big.refresh_from_db()
    assert (big.task_status, big.task_done_on) == (TaskStatus.FOUNDED, dt.date(2026, 11, 25))
    assert Founding.objects.get(pk=fnd.pk).union_id == union.pk


def test_joint_task_completes_when_the_joint_union_covers_the_firm(cast: Any, setup: Any) -> None:
    small = setup["small"]
    services.firm_screen(actor=cast.dongcheng, firm=small, round=1, decision=D.KEEP, reason="正常")
    services.firm_screen(actor=cast.dongcheng, firm=small, round=3, decision=D.JOINT, reason="同意",
                         union=setup["joint"], called_by="王", called_at=timezone.now(), call_outcome="同意")
    with pytest.raises(ValidationError):
        services.firm_task_update(actor=cast.dongcheng, firm=small, status=TaskStatus.FAILED)
    services.firm_task_update(actor=cast.dongcheng, firm=small, status=TaskStatus.JOINED, note="已签协议")
    assert Enterprise.objects.get(pk=small.enterprise_id).covering_union_id == setup["joint"].pk
    assert CampaignFirm.objects.get(pk=small.pk).task_done_on == timezone.localdate()


def _import(client: Any, body: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/campaigns/tasks-import/", {"file": SimpleUploadedFile("任务.xlsx", body)}, follow=True)


def test_task_list_exports_and_reimports_all_or_nothing_and_idempotent(cast: Any, setup: Any,
                                                                      client_as: Any) -> None:
    from gonghui.orgs.models import ImportJob

    _to_task(cast, setup["big"])
    c = client_as("dongcheng")
    r = c.get(f"/campaigns/{setup['campaign'].pk}/tasks/?export=xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb.active
    assert ws.data_validations.dataValidation, "the status column is a dropdown"
    header = [c.value for c in ws[2]]
    status_col = header.index("任务状态*") + 1
    assert [ws.cell(3, 1).value, ws.cell(3, status_col).value] == [str(setup["big"].pk), "未联系"]

    ws.cell(3, status_col).value = "已联系"
    ws.cell(4, 1).value = str(setup["yq"].pk)  # a 院桥 firm: not dongcheng's
    ws.cell(4, status_col).value = "已联系"
    buf = io.BytesIO()
    wb.save(buf)
    _import(c, buf.getvalue())
    job = ImportJob.objects.filter(kind="campaign_tasks").latest("pk")
    assert job.status == ImportJob.Status.REJECTED and job.result["rejected"] == 1
    assert CampaignFirm.objects.get(pk=setup["big"].pk).task_status == TaskStatus.TODO  # nothing written
    assert c.get(f"/campaigns/tasks-import/errors/?job={job.pk}").status_code == 200

    ws.delete_rows(4)
    buf = io.BytesIO()
    wb.save(buf)
    _import(c, buf.getvalue())
    job = ImportJob.objects.filter(kind="campaign_tasks").latest("pk")
    c.post(f"/campaigns/tasks-import/confirm/?job={job.pk}", {"job": job.pk})
    assert CampaignFirm.objects.get(pk=setup["big"].pk).task_status == TaskStatus.CONTACTED
    _import(c, buf.getvalue())
    again = ImportJob.objects.filter(kind="campaign_tasks").latest("pk")
    assert (again.result["updated"], again.result["unchanged"]) == (0, 1)


def test_bulletin_numbers_equal_the_database_in_json_docx_and_xlsx(cast: Any, setup: Any, client_as: Any) -> None:
    from gonghui.campaigns.models import ListRow, SourceList

    campaign = setup["campaign"]
    sl = SourceList.objects.create(campaign=campaign, source="social_security", as_of=dt.date(2026, 11, 30),
                                   status=SourceList.Status.APPLIED, original_name="x.csv")
    for i, (ent, match) in enumerate([(cast.dc_firm, "covered"), (setup["big"].enterprise, "uncovered"),
                                      (setup["small"].enterprise, "uncovered"), (setup["yq"].enterprise, "uncovered")]):
        ListRow.objects.create(source_list=sl, campaign=campaign, row=i + 1, name=ent.name, match=match,
                               enterprise=ent, township=ent.territory)
    _to_task(cast, setup["big"])
    fnd = services.founding_start(actor=cast.dongcheng, firm=setup["big"], prep_group="张伟")
    fnd = services.founding_congress(actor=cast.dongcheng, founding=fnd, held_on=dt.date(2026, 11, 10), committees={
        "committee": [["张伟", "主席"]], "audit": [["王芳", "主任"]], "women": [["李娜", "主任"]]})
    fnd = services.founding_approve(actor=cast.dongcheng, founding=fnd, approval_no="东工〔2026〕2号",
                                    approved_on=dt.date(2026, 11, 12))
    fnd = services.founding_establish(actor=cast.dongcheng, founding=fnd, union_code=make_uscc("81331003MA2K9X8Y6"),
                                      founded_on=dt.date(2026, 11, 15))
    f.member(union=fnd.union, employer=setup["big"].enterprise, name="周杰")
    data = client_as("huangyan").get(f"/api/v1/campaigns/{campaign.pk}/bulletin?month=2026-11").json()
    dc = next(t for t in data["townships"] if t["township_union_id"] == cast.dongcheng_town.pk)
    # the database, counted directly
    assert dc["listed"] == ListRow.objects.filter(source_list=sl, township=cast.dongcheng_town).count() == 3
    assert (dc["covered"], dc["uncovered"], dc["new"]) == (1, 2, 0)
    assert dc["tasks"] == CampaignFirm.objects.filter(campaign=campaign, township=cast.dongcheng_town,
                                                      stage__in=["single", "joint"]).count() == 1
    assert (dc["tasks_done"], dc["completion_rate"], dc["unions_founded"], dc["members_joined"]) == (1, 1.0, 1, 1)
    assert data["totals"]["listed"] == 4 and data["townships"][0]["township_union_id"] == cast.dongcheng_town.pk
    # a township's bulletin holds its own row only
    own = client_as("yuanqiao").get(f"/api/v1/campaigns/{campaign.pk}/bulletin?month=2026-11").json()
    assert [t["township_union_id"] for t in own["townships"]] == [cast.yuanqiao_town.pk]

    doc = Document(io.BytesIO(client_as("huangyan").get(
        f"/api/v1/campaigns/{campaign.pk}/bulletin?month=2026-11&format=docx").content))
    assert "2026年11月" in doc.paragraphs[0].text
    table = doc.tables[0]
    row = next(r for r in table.rows if r.cells[1].text == cast.dongcheng_town.name)
    assert [c.text for c in row.cells[2:11]] == [str(dc[k]) if k != "completion_rate" else "100.0%"
                                                 for k in bulletin.FIELDS[:9]]
    # 建会率 / 入会率 at the month's end and their change, counted by hand from the coverage and membership history
    coverage_now, coverage_before = (_coverage_by_hand(cast.dongcheng_town, d) for d in (NOV_END, OCT_END))
    members_now, members_before = (_member_rate_by_hand(cast.dongcheng_town, d) for d in (NOV_END, OCT_END))
    assert coverage_now > coverage_before, "the union founded on 11-15 raised 东城's 建会率"
    assert (dc["coverage_rate"], dc["coverage_rate_change"]) == (coverage_now, round(coverage_now - coverage_before, 4))
    assert (dc["member_rate"], dc["member_rate_change"]) == (members_now, round(members_now - members_before, 4))
    points = round((coverage_now - coverage_before) * 100, 1)
    assert [c.text for c in row.cells[11:]] == [
        f"{coverage_now * 100:.1f}%", f"{points:+.1f}个百分点", f"{members_now * 100:.1f}%",
        "持平" if round((members_now - members_before) * 100, 1) == 0
        else f"{round((members_now - members_before) * 100, 1):+.1f}个百分点"]
    total = table.rows[-1]
    assert total.cells[1].text == "合计" and total.cells[2].text == "4"
    ws = load_workbook(io.BytesIO(client_as("huangyan").get(
        f"/api/v1/campaigns/{campaign.pk}/bulletin?month=2026-11&format=xlsx").content)).active
    rows = {r[1]: r for r in ws.iter_rows(min_row=3, values_only=True)}
    assert list(rows[cast.dongcheng_town.name][2:6]) == [3, 1, 2, 0]
    assert rows["合计"][2] == 4
    assert rows[cast.dongcheng_town.name][11] == f"{coverage_now * 100:.1f}%"
    page = client_as("huangyan").get(f"/campaigns/{campaign.pk}/bulletin/?month=2026-11").content.decode()
    assert f"{points:+.1f}个百分点" in page and "建会率较上月" in page
    assert '<option value="2026-11" selected>2026年11月</option>' in page and 'type="month"' not in page


NOV_END, OCT_END = dt.date(2026, 11, 30), dt.date(2026, 10, 31)


def _known(town: Any, day: dt.date) -> list[Any]:
    from gonghui.orgs.models import Enterprise

    return [e for e in Enterprise.objects.filter(territory=town, status="active")
            if e.listed_on is None or e.listed_on <= day]


def _coverage_by_hand(town: Any, day: dt.date) -> float:
    firms = _known(town, day)
    covered = [e for e in firms if any(c.started_on <= day and (c.ended_on is None or c.ended_on > day)
                                       for c in e.coverages.all())]
    return round(len(covered) / len(firms), 4)


def _member_rate_by_hand(town: Any, day: dt.date) -> float:
    from gonghui.members.models import Membership

    firms = _known(town, day)
    people = {m.person_id for m in Membership.objects.filter(person__employer__in=firms)
              if m.status not in ("pending", "rejected") and m.joined_on <= day
              and (m.ended_on is None or m.ended_on > day)}
    return round(len(people) / sum(e.headcount or 0 for e in firms), 4)


def test_welcome_kit_checklist_per_new_member(cast: Any, setup: Any, client_as: Any) -> None:
    from gonghui.campaigns.models import WelcomeKit
    from gonghui.members.models import Membership

    big = setup["big"]
    _to_task(cast, big)
    fnd = services.founding_start(actor=cast.dongcheng, firm=big, prep_group="张伟")
    fnd = services.founding_congress(actor=cast.dongcheng, founding=fnd, held_on=dt.date(2026, 11, 10), committees={
        "committee": [["张伟", "主席"]], "audit": [["王芳", "主任"]], "women": [["李娜", "主任"]]})
    fnd = services.founding_approve(actor=cast.dongcheng, founding=fnd, approval_no="东工〔2026〕3号",
                                    approved_on=dt.date(2026, 11, 12))
    fnd = services.founding_establish(actor=cast.dongcheng, founding=fnd, union_code=make_uscc("81331003MA2K9X8Y5"))
    person = f.member(union=fnd.union, employer=big.enterprise, name="吴磊")
    m = Membership.objects.get(person=person, union=fnd.union)
    url = f"/campaigns/{big.campaign_id}/firms/{big.pk}/welcome/"
    assert "吴磊" in client_as("dongcheng").get(url).content.decode()
    client_as("dongcheng").post(url, {"membership": m.pk, "badge": "1", "law": "1"})
    kit = WelcomeKit.objects.get(membership=m)
    assert (kit.badge, kit.card, kit.law, kit.gift, kit.lesson) == (True, False, True, False, False)
    assert client_as("yuanqiao").get(url).status_code == 404


def test_many_firms_at_one_address_are_suggested_as_shells(cast: Any, setup: Any, client_as: Any) -> None:
    addr = "东城街道劳动南路88号302室"
    firms = []
    for _ in range(3):
        e = f.EnterpriseFactory(territory=cast.dongcheng_town, address=addr, headcount=3)
        firms.append(CampaignFirm.objects.create(campaign=setup["campaign"], enterprise=e, township=cast.dongcheng_town,
                                                 match="uncovered", added_on=dt.date(2026, 10, 31)))
    html = client_as("dongcheng").get(f"/campaigns/{setup['campaign'].pk}/firms/{firms[0].pk}/").content.decode()
    assert "疑似挂靠" in html
    html = client_as("dongcheng").get(f"/campaigns/{setup['campaign'].pk}/firms/{setup['big'].pk}/").content.decode()
    assert "疑似挂靠" not in html
