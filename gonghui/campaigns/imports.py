"""镇街任务 import: a township's task list exported from the task page (with its dropdown status column) comes
back through the one import path (`gonghui.core.importing`: reader, synonyms, row errors, error workbook; the job
lifecycle of `gonghui.orgs.import_jobs`). Strict: a file with any rejected row changes nothing; re-importing the
same file changes nothing (every row unchanged). Each row must be a task the importing cadre may change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from gonghui.accounts.permissions import Action
from gonghui.core.excel import Column, cell_text, parse_date, parse_int, read_table, template_bytes
from gonghui.core.importing import ImportKind, ImportRequest, Outcome, register
from gonghui.orgs.imports import registry_anchor

from .models import Campaign, CampaignFirm, Stage, TaskStatus

KIND = "campaign_tasks"
STATUS_BY_LABEL = {str(label): value for value, label in TaskStatus.choices if value}
COLUMNS: tuple[Column, ...] = (
    Column("firm", "任务编号", required=True, width=10),
    Column("name", "单位名称", field="enterprise_name", width=30),
    Column("uscc", "统一社会信用代码", field="uscc", width=22),
    Column("township", "所在镇街", field="township", width=14),
    Column("kind", "任务类型", width=12),
    Column("status", "任务状态", required=True, choices=tuple(STATUS_BY_LABEL), width=12),
    Column("due_on", "完成期限", width=12),
    Column("note", "备注", width=30),
)


def columns(user: Any) -> Sequence[Column]:
    return COLUMNS


def task_workbook(campaign: Campaign, firms: Sequence[CampaignFirm]) -> bytes:
    """The task list as an import template: notes row, header, the status column a dropdown, one row per task."""
    rows = [(f.pk, f.enterprise.name, f.enterprise.uscc, f.township.name, f.task_kind, f.get_task_status_display(),
             f.due_on.isoformat() if f.due_on else "", f.task_note) for f in firms]
    return template_bytes(COLUMNS, sheet="建会入会任务", notes=(
        f"{campaign.name}：修改“任务状态”（下拉选择）、完成期限、备注后，在“任务导入”中上传本文件",
        "“已建会”由建会流程完成，不能在此填写；“无法建会”须在备注中写明原因"), examples=rows)


def _run(req: ImportRequest, *, write: bool) -> Outcome:
    from gonghui.core.errors import WrongState

    from .services import firm_task_update

    table = read_table(req.path, COLUMNS, sheet=req.sheet)
    out = Outcome(sheet=table.sheet, header_row=table.header_row, rows=len(table.rows),
                  blank_rows=table.blank_rows, total_rows=table.skipped_total_rows)
    firms = CampaignFirm.objects.visible_to(req.actor, Action.CHANGE).select_related("enterprise")
    plan: list[tuple[int, CampaignFirm, str, str, Any]] = []
    for row in table.rows:
        v = row.values
        try:
            pk = parse_int(v.get("firm"), label="任务编号")
        except ValueError as exc:
            out.reject(row.number, "任务编号", v.get("firm"), str(exc), v)
            continue
        firm = firms.filter(pk=pk).first() if pk else None
        if firm is None or firm.stage not in (Stage.SINGLE, Stage.JOINT):
            out.reject(row.number, "任务编号", v.get("firm"), "任务不存在或不在您的办理范围内", v)
            continue
        label = cell_text(v.get("status"))
        status = STATUS_BY_LABEL.get(label)
        if status is None:
            out.reject(row.number, "任务状态", label, f"任务状态应为：{'、'.join(STATUS_BY_LABEL)}", v)
            continue
        note = cell_text(v.get("note"))
        try:
            due = parse_date(v.get("due_on"))
        except ValueError as exc:
            out.reject(row.number, "完成期限", v.get("due_on"), str(exc), v)
            continue
        if status == firm.task_status and note == firm.task_note and (due is None or due == firm.due_on):
            out.count("unchanged", row=row.number, label=firm.enterprise.name)
            continue
        if status == TaskStatus.FOUNDED and firm.task_status != TaskStatus.FOUNDED:
            out.reject(row.number, "任务状态", label, "“已建会”由建会流程完成，不能在此填写", v)
            continue
        if status == TaskStatus.FAILED and not note:
            out.reject(row.number, "备注", note, "无法建会须在备注中写明原因", v)
            continue
        if status == TaskStatus.JOINED and (firm.stage != Stage.JOINT or firm.joint_union_id is None):
            out.reject(row.number, "任务状态", label, "只有加入联合工会的任务才能标记为已入联合会", v)
            continue
        plan.append((row.number, firm, status, note, due))
        out.count("updated", row=row.number, label=firm.enterprise.name, detail=f"→ {label}")
    if not write or (out.rejected and not req.skip_invalid):
        return out
    with transaction.atomic():
        for number, firm, status, note, due in plan:
            try:
                firm_task_update(actor=req.actor, firm=firm, status=status, note=note, due_on=due)
            except (ValidationError, WrongState) as exc:
                raise ValidationError(f"第{number}行：{exc}") from exc
    out.written = True
    return out


register(ImportKind(
    name=KIND, label="镇街任务", columns=columns, check=lambda r: _run(r, write=False),
    write=lambda r: _run(r, write=True), anchor=registry_anchor,
    notes=("请使用“下发任务”页导出的任务表", "只可修改任务状态、完成期限和备注"),
))
