"""三重过滤 (three-round screening, per firm, with reasons, history and undo) and the township tasks it makes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gonghui.accounts.permissions import Action
from gonghui.core.errors import WrongState
from gonghui.members.services import require_reason
from gonghui.orgs.models import Enterprise, Union
from gonghui.orgs.scope import require
from gonghui.orgs.services import coverage_end, coverage_start

from ..models import CampaignFirm, ListRow, ScreeningStep, Source, Stage, TaskStatus

D = ScreeningStep.Decision
ROUND_OF_STAGE = {Stage.LISTED: 1, Stage.ROUND2: 2, Stage.ROUND3: 3}
DECISIONS: dict[int, tuple[str, ...]] = {
    1: (D.COVERED_ELSEWHERE, D.ZOMBIE, D.SHELL, D.KEEP),
    2: (D.SINGLE, D.BELOW),
    3: (D.JOINT, D.UNREACHABLE),
}
TASK_DONE = (TaskStatus.FOUNDED, TaskStatus.JOINED)


def labour_survey_headcount(firm: CampaignFirm) -> int | None:
    """The firm's head count on the campaign's latest 企业劳动用工调查 list (round 2's confirmation), if any."""
    row = (ListRow.objects.filter(source_list__campaign=firm.campaign_id, source_list__source=Source.LABOUR_SURVEY,
                                  enterprise=firm.enterprise_id, headcount__isnull=False)
           .order_by("-source_list__as_of").values_list("headcount", flat=True).first())
    return row


def _next_stage(firm: CampaignFirm, rnd: int, decision: str) -> Stage:
    if rnd == 1:
        if decision != D.KEEP:
            return Stage.REMOVED
        head = firm.enterprise.headcount or 0
        return Stage.ROUND2 if head >= firm.campaign.threshold else Stage.ROUND3
    if rnd == 2:
        return Stage.SINGLE if decision == D.SINGLE else Stage.ROUND3
    return Stage.JOINT if decision == D.JOINT else Stage.REMOVED


def firm_screen(*, actor: Any, firm: CampaignFirm, round: int, decision: str, reason: str,
                union: Union | None = None, called_by: str = "", called_at: dt.datetime | None = None,
                call_outcome: str = "") -> ScreeningStep:
    """One screening decision on a firm in the round its stage is in (409 otherwise), with its reason.

    Round 1: covered_elsewhere (link it to `union`, which then covers the firm), zombie, shell → removed; keep
    → round 2 (head count ≥ the campaign's threshold) or round 3. Round 2: single (须单独建会; confirmed against
    the 企业劳动用工调查 list when there is one) or below. Round 3: joint (纳入联合工会 `union`, after a phone
    verification: who called, when, the outcome) or unreachable. Ending in single/joint opens the township
    task (未联系, due at the campaign's end). Requires `change` on the firm (its township). Atomic, audited."""
    require(actor, Action.CHANGE, firm)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写理由")
    if round not in DECISIONS:
        raise ValidationError("轮次应为 1、2 或 3")
    if decision not in DECISIONS[round]:
        labels = "、".join(f"{d}（{D(d).label}）" for d in DECISIONS[round])
        raise ValidationError(f"第{round}轮的结论应为：{labels}")
    with transaction.atomic(), set_actor(actor):
        firm = CampaignFirm.objects.select_for_update(of=("self",)).select_related("enterprise", "campaign").get(pk=firm.pk)
        if ROUND_OF_STAGE.get(Stage(firm.stage)) != round:
            raise WrongState(f"该企业目前为“{firm.get_stage_display()}”，不在第{round}轮")
        if decision in (D.COVERED_ELSEWHERE, D.JOINT):
            if union is None or not union.is_grassroots:
                raise ValidationError("请选择覆盖该企业的基层工会" if decision == D.COVERED_ELSEWHERE
                                      else "请选择要加入的联合工会")
            if decision == D.JOINT and union.kind != Union.Kind.JOINT:
                raise ValidationError(f"{union.name}不是联合工会")
            require(actor, Action.VIEW, union)
        if decision == D.JOINT and not (called_by.strip() and called_at and call_outcome.strip()):
            raise ValidationError("纳入联合工会前须电话核实：请填写核实人、电话时间和结果")
        if decision == D.SINGLE:
            survey = labour_survey_headcount(firm)
            if survey is not None:
                reason = f"{reason}（劳动用工调查：{survey}人）"
        after = _next_stage(firm, round, decision)
        step = ScreeningStep.objects.create(
            firm=firm, round=round, decision=decision, reason=reason[:200], stage_before=firm.stage,
            stage_after=after, union=union, called_by=called_by[:30], called_at=called_at,
            call_outcome=call_outcome[:60], actor=actor)
        if decision == D.COVERED_ELSEWHERE and union is not None:
            coverage_start(actor=actor, union=union, enterprise=firm.enterprise, note="建会入会行动：已由其他工会覆盖")
        firm.stage = after
        if after in (Stage.SINGLE, Stage.JOINT):
            firm.task_status = TaskStatus.TODO
            firm.due_on = firm.due_on or firm.campaign.ends_on
            firm.joint_union = union if after == Stage.JOINT else None
        firm.save()
        return step


def firm_screen_undo(*, actor: Any, firm: CampaignFirm, reason: str) -> ScreeningStep:
    """Undo the firm's latest screening step (recorded as a step of its own, with the reason); a coverage that
    step linked is ended. 409 when there is nothing to undo or the task is already being worked on.
    Requires `change` on the firm. Atomic, audited."""
    require(actor, Action.CHANGE, firm)
    reason = require_reason(reason, "撤销筛查须填写原因")
    with transaction.atomic(), set_actor(actor):
        firm = CampaignFirm.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=firm.pk)
        last = firm.steps.filter(undone=False).exclude(decision=D.UNDO).order_by("-pk").first()
        if last is None:
            raise WrongState("没有可以撤销的筛查记录")
        if firm.task_status not in ("", TaskStatus.TODO):
            raise WrongState(f"任务已在办理（{firm.get_task_status_display()}），不能撤销筛查")
        if last.decision == D.COVERED_ELSEWHERE and firm.enterprise.covering_union_id == last.union_id:
            coverage_end(actor=actor, enterprise=firm.enterprise)
        last.undone = True
        last.save(update_fields=["undone"])
        step = ScreeningStep.objects.create(firm=firm, round=last.round, decision=D.UNDO, reason=reason[:200],
                                            stage_before=firm.stage, stage_after=last.stage_before, actor=actor)
        firm.stage = last.stage_before
        if firm.stage not in (Stage.SINGLE, Stage.JOINT):
            firm.task_status, firm.joint_union, firm.due_on = "", None, None
        firm.save()
        return step


def firms_screen_bulk(*, actor: Any, firms: Iterable[CampaignFirm], round: int, decision: str,
                      reason: str) -> int:
    """The same decision on many firms (e.g. every 注销 firm out in one step), the reason recorded per firm.
    Firms not in that round or not the actor's to change are skipped. Each firm is its own transaction.
    Returns how many were screened."""
    n = 0
    for firm in firms:
        try:
            firm_screen(actor=actor, firm=firm, round=round, decision=decision, reason=reason)
        except (WrongState, ValidationError):
            continue
        n += 1
    return n


def zombie_firms(campaign_firms: Any) -> Any:
    """Round-1 suggestion: firms still listed whose enterprise is 吊销/注销 or has no insured staff."""
    from django.db.models import Q

    return campaign_firms.filter(stage=Stage.LISTED).filter(
        Q(enterprise__status__in=[Enterprise.Status.REVOKED, Enterprise.Status.CANCELLED]) | Q(enterprise__headcount=0))


def firm_task_update(*, actor: Any, firm: CampaignFirm, status: str, note: str = "",
                     due_on: dt.date | None = None) -> bool:
    """A township cadre's update of a task: status (未联系 / 已联系 / 筹备中 / 已入联合会 / 无法建会 + reason),
    note, due date. 已建会 comes from the founding workflow only; 已入联合会 needs the joint union, which then
    covers the firm. Returns whether anything changed (idempotent). Requires `change` on the firm. Atomic."""
    require(actor, Action.CHANGE, firm)
    if status not in TaskStatus.values or status == "":
        raise ValidationError(f"任务状态应为：{'、'.join(str(label) for v, label in TaskStatus.choices if v)}")
    note = (note or "").strip()
    with transaction.atomic(), set_actor(actor):
        firm = CampaignFirm.objects.select_for_update(of=("self",)).select_related("enterprise", "joint_union").get(pk=firm.pk)
        if firm.stage not in (Stage.SINGLE, Stage.JOINT):
            raise WrongState("该企业尚未筛查完毕，没有任务")
        if status == firm.task_status and note == firm.task_note and (due_on is None or due_on == firm.due_on):
            return False
        if status == TaskStatus.FAILED and not note:
            raise ValidationError("无法建会须填写原因")
        if status == TaskStatus.FOUNDED and firm.task_status != TaskStatus.FOUNDED:
            raise ValidationError("已建会由建会流程“成立”一步完成，请在建会流程中办理")
        if status == TaskStatus.JOINED and firm.task_status != TaskStatus.JOINED:
            if firm.stage != Stage.JOINT or firm.joint_union is None:
                raise ValidationError("只有加入联合工会的任务才能标记为已入联合会")
            coverage_start(actor=actor, union=firm.joint_union, enterprise=firm.enterprise,
                           note="建会入会行动：加入联合工会")
        firm.task_status, firm.task_note = status, note[:200]
        if due_on is not None:
            firm.due_on = due_on
        firm.task_done_on = timezone.localdate() if status in TASK_DONE else None
        firm.save()
        return True
