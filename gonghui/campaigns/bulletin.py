"""一月一通报: a month's figures per township, read through scope (a township cadre's bulletin holds their own
row only), and the same figures as a printable Word document and as an Excel workbook.

listed / covered / uncovered / new / review count the rows, in that township, of the latest list of each source
dated up to the month's end (a firm on two monthly 社保 lists counts once: the newer list replaces the older);
tasks are the firms screened to 单独建会 or 加入联合工会 by then, tasks_done those completed by the month's end;
unions_founded the unions the campaign founded by then, members_joined the members those unions took by then."""

from __future__ import annotations

import calendar
import datetime as dt
import io
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from gonghui.core.excel import xlsx_bytes
from gonghui.members.models import Membership

from . import selectors
from .models import Campaign, CampaignFirm, Founding, ListRow, Match, SourceList, Stage, TaskStatus

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIELDS = ("listed", "covered", "uncovered", "new", "tasks", "tasks_done", "completion_rate", "unions_founded",
          "members_joined")
LABELS = ("名单企业", "已建会", "未建会", "新企业", "任务数", "已完成", "完成率", "新建工会", "新入会会员")


def parse_month(text: str) -> dt.date:
    """'2026-11' → 2026-11-01; blank → this month. ValueError (zh-hans) otherwise."""
    if not text:
        return timezone.localdate().replace(day=1)
    try:
        year, month = (int(p) for p in text.split("-"))
        return dt.date(year, month, 1)
    except (ValueError, TypeError) as exc:
        raise ValueError("month 应为 YYYY-MM，如 2026-11") from exc


QUARTERS = "一二三四"


def parse_quarter(text: str) -> dt.date:
    """'2026-Q4' → 2026-12-01 (the quarter's last month: its figures are those at the quarter's end)."""
    try:
        year, q = text.upper().split("-Q")
        n = int(q)
        if not 1 <= n <= 4:
            raise ValueError
        return dt.date(int(year), n * 3, 1)
    except (ValueError, TypeError) as exc:
        raise ValueError("quarter 应为 YYYY-Qn，如 2026-Q4") from exc


def month_end(first: dt.date) -> dt.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _latest_lists(campaign: Campaign, end: dt.date) -> list[int]:
    out = []
    lists = SourceList.objects.filter(campaign=campaign, as_of__lte=end,
                                      status__in=[SourceList.Status.CLASSIFIED, SourceList.Status.APPLIED])
    for source in lists.values_list("source", flat=True).distinct():
        latest = lists.filter(source=source).order_by("-as_of", "-pk").values_list("pk", flat=True).first()
        if latest:
            out.append(latest)
    return sorted(out)


def bulletin(*, user: Any, campaign: Campaign, month: dt.date, quarter: bool = False) -> dict[str, Any]:
    """The month's figures for the townships of the campaign the user sees, ranked by completion rate
    (`quarter`: the quarterly summary, the same figures at the quarter's end)."""
    end = month_end(month)
    towns = list(selectors.visible_townships(user=user, campaign=campaign))
    ids = [t.pk for t in towns]
    rows: dict[int, dict[str, Any]] = {t.pk: {"township_union_id": t.pk, "name": t.name, **dict.fromkeys(FIELDS, 0)}
                                       for t in towns}
    lists = _latest_lists(campaign, end)
    for town, match, n in (ListRow.objects.filter(source_list__in=lists, township__in=ids)
                           .values_list("township", "match").annotate(n=Count("pk"))):
        r = rows[town]
        r["listed"] += n
        if match in (Match.COVERED, Match.UNCOVERED, Match.NEW):
            r[match] += n
    firms = CampaignFirm.objects.filter(campaign=campaign, township__in=ids, stage__in=[Stage.SINGLE, Stage.JOINT],
                                        added_on__lte=end)
    for town, tasks, done in firms.values_list("township").annotate(
            tasks=Count("pk"), done=Count("pk", filter=Q(task_status__in=[TaskStatus.FOUNDED, TaskStatus.JOINED],
                                                         task_done_on__lte=end))):
        rows[town]["tasks"], rows[town]["tasks_done"] = tasks, done
    founded = Founding.objects.filter(firm__campaign=campaign, firm__township__in=ids, step=Founding.Step.FOUNDED,
                                      founded_on__lte=end)
    for town, n in founded.values_list("firm__township").annotate(n=Count("pk")):
        rows[town]["unions_founded"] = n
    union_town = dict(founded.values_list("union_id", "firm__township"))
    for union, n in (Membership.objects.filter(union__in=list(union_town), joined_on__lte=end)
                     .values_list("union").annotate(n=Count("pk"))):
        rows[union_town[union]]["members_joined"] += n
    for r in rows.values():
        r["completion_rate"] = round(r["tasks_done"] / r["tasks"], 4) if r["tasks"] else 0.0
    ranked = sorted(rows.values(), key=lambda r: (-r["completion_rate"], -r["tasks_done"], r["name"]))
    totals: dict[str, Any] = {f: sum(r[f] for r in ranked) for f in FIELDS if f != "completion_rate"}
    totals["completion_rate"] = round(totals["tasks_done"] / totals["tasks"], 4) if totals["tasks"] else 0.0
    with_tasks = [r for r in ranked if r["tasks"]]
    return {"month": f"{month:%Y-%m}", "campaign": campaign.name,
            "quarter": f"{month.year}-Q{(month.month - 1) // 3 + 1}" if quarter else "", "townships": ranked, "totals": totals,
            "highlights": [r["name"] for r in with_tasks[:3] if r["tasks_done"]],
            "laggards": [r["name"] for r in with_tasks[-3:][::-1] if r["completion_rate"] < totals["completion_rate"]]}


def _pct(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _cells(r: dict[str, Any]) -> list[Any]:
    return [r[f] if f != "completion_rate" else _pct(r[f]) for f in FIELDS]


def cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def docx_bytes(campaign: Campaign, data: dict[str, Any]) -> bytes:
    """A printable bulletin: title, issuing body, date, numbered sections and the ranking table."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    month = parse_month(data["month"])
    t = data["totals"]
    doc = Document()
    if data.get("quarter"):
        period = f"{month.year}年第{QUARTERS[(month.month - 1) // 3]}季度"
        title = doc.add_heading(f"关于{period}建会入会工作情况的总结", level=0)
    else:
        period = f"{month.year}年{month.month}月"
        title = doc.add_heading(f"关于{period}建会入会工作进展情况的通报", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    issuer = doc.add_paragraph(f"{campaign.owner.name}    {cn_date(timezone.localdate())}")
    issuer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(f"各镇（街道）总工会：现将{campaign.name}{period}进展情况通报如下。")
    doc.add_heading("一、总体情况", level=1)
    doc.add_paragraph(
        f"截至{cn_date(month_end(month))}，名单企业{t['listed']}家，其中已建会{t['covered']}家、未建会{t['uncovered']}家、"
        f"新企业{t['new']}家；下发任务{t['tasks']}项，已完成{t['tasks_done']}项，完成率{_pct(t['completion_rate'])}；"
        f"新建工会{t['unions_founded']}家，新入会会员{t['members_joined']}人。")
    doc.add_heading("二、各镇（街道）进展排名", level=1)
    table = doc.add_table(rows=1, cols=len(LABELS) + 2)
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, ("排名", "镇（街道）", *LABELS), strict=True):
        cell.text = label
    for i, r in enumerate(data["townships"], start=1):
        for cell, value in zip(table.add_row().cells, (i, r["name"], *_cells(r)), strict=True):
            cell.text = str(value)
    for cell, value in zip(table.add_row().cells, ("", "合计", *_cells(t)), strict=True):
        cell.text = str(value)
    for row in table.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(9)
    doc.add_heading("三、工作亮点", level=1)
    doc.add_paragraph(("、".join(data["highlights"]) + "任务完成率位居前列，予以通报表扬。")
                      if data["highlights"] else "本月暂无完成任务的镇（街道）。")
    doc.add_heading("四、存在问题和下步要求", level=1)
    doc.add_paragraph(("、".join(data["laggards"]) + "任务完成率低于全区平均水平，请加快推进。")
                      if data["laggards"] else "各镇（街道）进度均衡，请继续按期推进。")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def xlsx_of(data: dict[str, Any]) -> bytes:
    columns = [("排名", 6), ("镇（街道）", 16), *((label, 10) for label in LABELS)]
    rows = [[i, r["name"], *_cells(r)] for i, r in enumerate(data["townships"], start=1)]
    rows.append(["", "合计", *_cells(data["totals"])])
    return xlsx_bytes(columns, rows, sheet=f"{data['month']}通报", title=f"{data['campaign']} {data['month']} 月度通报")


def render(campaign: Campaign, data: dict[str, Any], fmt: str) -> tuple[bytes, str, str]:
    stem = f"建会入会季度总结-{data['quarter']}" if data.get("quarter") else f"建会入会月度通报-{data['month']}"
    if fmt == "docx":
        return docx_bytes(campaign, data), f"{stem}.docx", DOCX
    return xlsx_of(data), f"{stem}.xlsx", XLSX


def funnel(*, user: Any, campaign: Campaign) -> list[tuple[str, int]]:
    """列入 → 已筛查 → 已下发任务 → 已建会/入会, over the user's firms."""
    firms = CampaignFirm.objects.visible_to(user).filter(campaign=campaign)
    counts = firms.aggregate(
        listed=Count("pk"), screened=Count("pk", filter=~Q(stage=Stage.LISTED)),
        tasked=Count("pk", filter=Q(stage__in=[Stage.SINGLE, Stage.JOINT])),
        done=Count("pk", filter=Q(task_status__in=[TaskStatus.FOUNDED, TaskStatus.JOINED])))
    return [("列入名单", counts["listed"]), ("已筛查", counts["screened"]), ("已下发任务", counts["tasked"]),
            ("已建会/入会", counts["done"])]


def progress(*, user: Any, campaign: Campaign) -> dict[str, Any]:
    """Completion rate by township, month by month from the campaign's start to this month (or its end)."""
    today = timezone.localdate()
    month, last = campaign.starts_on.replace(day=1), min(today, campaign.ends_on).replace(day=1)
    months: list[str] = []
    series: dict[str, list[float]] = {}
    while month <= last and len(months) < 36:
        data = bulletin(user=user, campaign=campaign, month=month)
        months.append(data["month"])
        for r in data["townships"]:
            series.setdefault(r["name"], []).append(round(r["completion_rate"] * 100, 1))
        month = (month_end(month) + dt.timedelta(days=1))
    return {"months": months, "series": [{"name": k, "data": v} for k, v in series.items()]}
