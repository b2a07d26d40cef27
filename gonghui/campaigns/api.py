"""Campaigns API (/api/v1/campaigns…): campaigns, their lists (upload → classified → applied), rows with the
linkage evidence, firms with screening and task updates, and the monthly bulletin.

Object routes declare their object with @scoped (404 out of scope, 403 without the action); a POST's body is
read after that check (every field has a default, the service refuses what is missing with a 422), so a foreign
id never learns more than a 404."""


import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, File, Form, Query, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gonghui.accounts.permissions import Action
from gonghui.core.importing import INLINE_BYTES
from gonghui.core.paging import DbId, Paging
from gonghui.orgs.models import Union
from gonghui.orgs.scope import scoped

from . import bulletin, selectors, services
from .models import Campaign, CampaignFirm, ListRow, Match, SourceList, Stage, TaskStatus
from .owner import default_owner

router = Router(tags=["建会入会"])


class CampaignIn(Schema):
    name: str = ""
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    threshold: int = Field(25, ge=1, le=10000)
    trades: list[str] = []
    owner_union_id: DbId | None = Field(None, description="发起单位（缺省：本人可办理范围的最上级）")


class CampaignOut(Schema):
    id: int
    name: str
    owner_union_id: int
    owner_name: str
    starts_on: dt.date
    ends_on: dt.date
    threshold: int
    trades: list[str]

    @staticmethod
    def resolve_owner_union_id(obj: Campaign) -> int:
        return obj.owner_id

    @staticmethod
    def resolve_owner_name(obj: Campaign) -> str:
        return obj.owner.name


@router.post("/campaigns", response={201: CampaignOut}, summary="发起建会入会行动")
def campaign_create(request: HttpRequest, payload: CampaignIn) -> Any:
    if payload.owner_union_id:
        owner = Union.objects.get_visible(request.user, Action.CHANGE, pk=payload.owner_union_id)
    else:
        owner = default_owner(request.user)
    if not payload.starts_on or not payload.ends_on:
        raise HttpError(422, "请填写开始日期和结束日期（YYYY-MM-DD）")
    campaign = services.campaign_create(actor=request.user, owner=owner, name=payload.name,
                                        starts_on=payload.starts_on, ends_on=payload.ends_on,
                                        threshold=payload.threshold, trades=payload.trades)
    return 201, campaign


@router.get("/campaigns", response=list[CampaignOut], summary="建会入会行动列表")
@paginate(Paging)
def campaign_list(request: HttpRequest) -> Any:
    return selectors.campaign_list(user=request.user)


@router.get("/campaigns/{id}", response=CampaignOut, summary="建会入会行动详情")
@scoped(Campaign, pk="id", related=("owner",))
def campaign_detail(request: HttpRequest, campaign: Campaign) -> Campaign:
    return campaign


# ---------------------------------------------------------------- lists


class ListAccepted(Schema):
    id: int
    status: str


class Counts(Schema):
    covered: int = 0
    uncovered: int = 0
    new: int = 0
    review: int = 0
    rejected: int = 0


class ListOut(Schema):
    id: int
    source: str
    as_of: dt.date
    status: str = Field(..., description="queued|running|classified|applying|applied|failed（applying：大名单在后台应用中，progress 为进度）")
    progress: float
    rows: int
    counts: Counts
    movement: dict[str, int]
    detail: str


@router.post("/campaigns/{id}/lists", response={202: ListAccepted}, summary="上传名单（后台解析比对）",
             description="multipart：file、source（social_security|census|market|labour_survey）、as_of（YYYY-MM-DD）。"
             "小文件当即比对完毕；大文件由后台任务处理，用 GET …/lists/{list_id} 查看进度。")
@scoped(Campaign, pk="id", action=Action.CHANGE)
def list_upload(request: HttpRequest, campaign: Campaign, file: UploadedFile | None = File(None),
                source: str = Form(""), as_of: str = Form("")) -> Any:
    if file is None:
        raise HttpError(422, "请上传名单文件（file）")
    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError as exc:
        raise HttpError(422, "名单日期 as_of 应为 YYYY-MM-DD") from exc
    sl = services.list_upload(actor=request.user, campaign=campaign, source=source, as_of=day,
                              chunks=file.chunks(), size=file.size or 0, original_name=file.name or "upload")
    start_classify(sl)
    return 202, {"id": sl.pk, "status": sl.status}


def start_classify(sl: SourceList) -> None:
    """Small files are classified in the request; larger ones by the worker (the page polls the progress)."""
    from pathlib import Path

    from . import tasks

    path = Path(sl.folder) / "upload"
    if path.is_file() and path.stat().st_size <= INLINE_BYTES:
        services.list_classify(sl.pk)
    else:
        tasks.classify_list.enqueue(sl.pk)
    sl.refresh_from_db()


@router.get("/campaigns/{id}/lists/{list_id}", response=ListOut, summary="名单状态与分类计数")
@scoped(SourceList, campaign_id="id", pk="list_id")
def list_detail(request: HttpRequest, sourcelist: SourceList) -> Any:
    return _list_out(sourcelist)


def _list_out(sourcelist: SourceList) -> dict[str, Any]:
    return {"id": sourcelist.pk, "source": sourcelist.source, "as_of": sourcelist.as_of, "status": sourcelist.status,
            "progress": sourcelist.progress, "rows": sourcelist.rows, "counts": sourcelist.counts or {},
            "movement": sourcelist.movement or {}, "detail": sourcelist.detail}


class RowOut(Schema):
    id: int
    row: int
    name: str
    uscc: str
    headcount: int | None
    match: str
    enterprise_id: int | None
    candidate_id: int | None
    covering_union_id: int | None
    score: float | None
    township_union_id: int | None
    reason: str
    evidence: dict[str, Any]

    @staticmethod
    def resolve_township_union_id(obj: ListRow) -> int | None:
        return obj.township_id


class RowQuery(Schema):
    match: str = Field("", description="covered|uncovered|new|review|rejected")


@router.get("/campaigns/{id}/lists/{list_id}/rows", response=list[RowOut], summary="名单行（按属地）")
@paginate(Paging)
@scoped(SourceList, campaign_id="id", pk="list_id")
def list_rows(request: HttpRequest, sourcelist: SourceList, filters: Query[RowQuery]) -> Any:
    if filters.match and filters.match not in Match.values:
        raise HttpError(422, f"match 应为：{'|'.join(Match.values)}")
    return selectors.row_list(user=request.user, source_list=sourcelist, match=filters.match)


@router.post("/campaigns/{id}/lists/{list_id}/apply", response=ListOut, summary="应用名单",
             description="已分类的名单：新企业登记入名录，人数更新，未建会与新企业纳入行动。排队中或比对中 409。"
                         f"超过 {services.INLINE_APPLY_ROWS} 行的名单在后台分批应用：返回 status=applying，轮询名单状态直至 applied。")
@scoped(SourceList, campaign_id="id", pk="list_id", action=Action.CHANGE, related=("campaign",))
def list_apply(request: HttpRequest, sourcelist: SourceList) -> Any:
    services.list_apply(actor=request.user, source_list=sourcelist, background=True)
    sourcelist.refresh_from_db()
    return _list_out(sourcelist)


class DecideIn(Schema):
    same: bool | None = Field(None, description="true：是候选企业；false：不是（新企业）")


@router.post("/campaigns/{id}/rows/{row_id}/decide", response=RowOut, summary="核对待核对行")
@scoped(ListRow, campaign_id="id", pk="row_id", action=Action.CHANGE)
def row_decide(request: HttpRequest, listrow: ListRow, payload: DecideIn) -> Any:
    if payload.same is None:
        raise HttpError(422, "请给出 same：true 或 false")
    return services.row_decide(actor=request.user, row=listrow, same=payload.same)


class UndoDecisionIn(Schema):
    reason: str = Field("", description="撤销原因（必填）")


@router.post("/campaigns/{id}/rows/{row_id}/undo", response=RowOut, summary="撤销核对结论",
             description="名单应用前，撤销对待核对行的人工结论：该行重新待核对，记住的结论一并撤销。原因必填（422）；"
                         "没有可撤销的结论或名单已应用 409。")
@scoped(ListRow, campaign_id="id", pk="row_id", action=Action.CHANGE)
def row_undo(request: HttpRequest, listrow: ListRow, payload: UndoDecisionIn) -> Any:
    return services.row_decision_undo(actor=request.user, row=listrow, reason=payload.reason)


# ---------------------------------------------------------------- firms


class FirmOut(Schema):
    id: int
    enterprise_id: int
    name: str
    uscc: str
    headcount: int | None
    township_union_id: int
    match: str
    stage: str
    task_status: str
    movement: str
    due_on: dt.date | None

    @staticmethod
    def resolve_name(obj: CampaignFirm) -> str:
        return obj.enterprise.name

    @staticmethod
    def resolve_uscc(obj: CampaignFirm) -> str:
        return obj.enterprise.uscc

    @staticmethod
    def resolve_headcount(obj: CampaignFirm) -> int | None:
        return obj.enterprise.headcount

    @staticmethod
    def resolve_township_union_id(obj: CampaignFirm) -> int:
        return obj.township_id


class FirmQuery(Schema):
    match: str = ""
    stage: str = ""
    township: DbId | None = None
    task_status: str | None = None


@router.get("/campaigns/{id}/firms", response=list[FirmOut], summary="行动企业（按属地）")
@paginate(Paging)
@scoped(Campaign, pk="id")
def firm_list(request: HttpRequest, campaign: Campaign, filters: Query[FirmQuery]) -> Any:
    if filters.stage and filters.stage not in Stage.values:
        raise HttpError(422, f"stage 应为：{'|'.join(Stage.values)}")
    if filters.task_status and filters.task_status not in TaskStatus.values:
        raise HttpError(422, f"task_status 应为：{'|'.join(v for v in TaskStatus.values if v)}")
    return selectors.firm_list(user=request.user, campaign=campaign, match=filters.match, stage=filters.stage,
                               township=filters.township, task_status=filters.task_status)


class ScreenIn(Schema):
    round: int | None = Field(None, description="1|2|3")
    decision: str = ""
    reason: str = ""
    union_id: DbId | None = Field(None, description="第一轮 covered_elsewhere、第三轮 joint：关联的工会")
    called_by: str = ""
    called_at: dt.datetime | None = None
    call_outcome: str = ""


class StepOut(Schema):
    id: int
    round: int
    decision: str
    reason: str
    stage_before: str
    stage_after: str
    at: dt.datetime


@router.post("/campaigns/{id}/firms/{firm_id}/screen", response=StepOut, summary="筛查（三重过滤）")
@scoped(CampaignFirm, campaign_id="id", pk="firm_id", action=Action.CHANGE)
def firm_screen(request: HttpRequest, campaignfirm: CampaignFirm, payload: ScreenIn) -> Any:
    union = Union.objects.get_visible(request.user, pk=payload.union_id) if payload.union_id else None
    if payload.round is None:
        raise HttpError(422, "请给出轮次 round（1、2 或 3）")
    return services.firm_screen(actor=request.user, firm=campaignfirm, round=payload.round,
                                decision=payload.decision, reason=payload.reason, union=union,
                                called_by=payload.called_by, called_at=payload.called_at,
                                call_outcome=payload.call_outcome)


class UndoIn(Schema):
    reason: str = ""


@router.post("/campaigns/{id}/firms/{firm_id}/undo", response=StepOut, summary="撤销最近一步筛查")
@scoped(CampaignFirm, campaign_id="id", pk="firm_id", action=Action.CHANGE)
def firm_undo(request: HttpRequest, campaignfirm: CampaignFirm, payload: UndoIn) -> Any:
    return services.firm_screen_undo(actor=request.user, firm=campaignfirm, reason=payload.reason)


class TaskIn(Schema):
    status: str = Field("", description="todo|contacted|preparing|joined|failed（founded 由建会流程完成）")
    note: str = ""
    due_on: dt.date | None = None


@router.post("/campaigns/{id}/firms/{firm_id}/task", response=FirmOut, summary="更新任务状态")
@scoped(CampaignFirm, campaign_id="id", pk="firm_id", action=Action.CHANGE, related=("enterprise",))
def firm_task(request: HttpRequest, campaignfirm: CampaignFirm, payload: TaskIn) -> Any:
    services.firm_task_update(actor=request.user, firm=campaignfirm, status=payload.status, note=payload.note,
                              due_on=payload.due_on)
    campaignfirm.refresh_from_db()
    return campaignfirm


# ---------------------------------------------------------------- bulletin


class BulletinQuery(Schema):
    month: str = Field("", description="YYYY-MM（缺省：本月）")
    quarter: str = Field("", description="YYYY-Qn：季度总结（该季度末的数字），给出时不看 month")
    format: str = Field("json", description="json|docx|xlsx")


@router.get("/campaigns/{id}/bulletin", summary="月度通报（json / docx / xlsx）",
            description="各镇街：名单企业、已建会、未建会、新企业、任务、已完成、完成率、新建工会、新入会会员。"
            "镇街用户只得到本镇街一行。")
@scoped(Campaign, pk="id", related=("owner",))
def campaign_bulletin(request: HttpRequest, campaign: Campaign, filters: Query[BulletinQuery]) -> Any:
    try:
        month = bulletin.parse_quarter(filters.quarter) if filters.quarter else bulletin.parse_month(filters.month)
    except ValueError as exc:
        raise HttpError(422, str(exc)) from exc
    data = bulletin.bulletin(user=request.user, campaign=campaign, month=month, quarter=bool(filters.quarter))
    if filters.format == "json":
        return data
    if filters.format not in ("docx", "xlsx"):
        raise HttpError(422, "format 应为 json、docx 或 xlsx")
    body, name, ctype = bulletin.render(campaign, data, filters.format)
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response
