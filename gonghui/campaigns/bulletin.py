"""一月一通报: a month's figures per township, read through scope (a township cadre's bulletin holds their own
row only), and the same figures as a printable Word document and as an Excel workbook.

listed / covered / uncovered / new / review count the rows, in that township, of the latest list of each source
dated up to the month's end (a firm on two monthly 社保 lists counts once: the newer list replaces the older);
tasks are the firms screened to 单独建会 or 加入联合工会 by then, tasks_done those completed by the month's end;
unions_founded the unions the campaign founded by then, members_joined the members those unions took by then;
coverage_rate (建会率) and member_rate (入会率) are the township's rates at the month's end by the 工作台's
definitions, read from the coverage and membership history (orgs.selectors.township_coverage_on,
members.selectors.township_rates_on), and their *_change the difference from the previous month's end (a fraction:
0.012 is 1.2 个百分点; null when either end has no firm)."""

from __future__ import annotations

import calendar
import datetime as dt
import io
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from gonghui.core.excel import xlsx_bytes
from gonghui.members.models import Membership
from gonghui.members.selectors import township_rates_on
from gonghui.orgs.selectors import township_coverage_on

from . import selectors
from .models import Campaign, CampaignFirm, Founding, ListRow, Match, SourceList, Stage, TaskStatus

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIELDS = ("listed", "covered", "uncovered", "new", "tasks", "tasks_done", "completion_rate", "unions_founded",
          "members_joined", "coverage_rate", "coverage_rate_change", "member_rate", "member_rate_change")
LABELS = ("名单企业", "已建会", "未建会", "新企业", "任务数", "已完成", "完成率", "新建工会", "新入会会员",
          "建会率", "建会率较上月", "入会率", "入会率较上月")
RATES = ("completion_rate", "coverage_rate", "member_rate")
CHANGES = ("coverage_rate_change", "member_rate_change")
COUNTS = tuple(f for f in FIELDS if f not in RATES and f not in CHANGES)


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


def months_of(campaign: Campaign, chosen: dt.date) -> list[tuple[str, str]]:
    """The months a bulletin can be asked for, newest first, as (YYYY-MM, 2026年11月): from the campaign's start to
    this month or its end (and the chosen one, should it lie outside). A select, not `<input type=month>`, which
    an English-locale browser shows as "December 2026"."""
    month = campaign.starts_on.replace(day=1)
    last = min(timezone.localdate(), campaign.ends_on).replace(day=1)
    days = {chosen}
    while month <= last and len(days) < 121:
        days.add(month)
        month = month_end(month) + dt.timedelta(days=1)
    return [(f"{d:%Y-%m}", f"{d.year}年{d.month}月") for d in sorted(days, reverse=True)]


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


def bulletin(*, user: Any, campaign: Campaign, month: dt.date, quarter: bool = False,
             rates: bool = True) -> dict[str, Any]:
    """The month's figures for the townships of the campaign the user sees, ranked by completion rate
    (`quarter`: the quarterly summary, the same figures at the quarter's end; `rates=False` leaves 建会率 and
    入会率 out, as the progress chart does)."""
    end = month_end(month)
    towns = list(selectors.visible_townships(user=user, campaign=campaign))
    ids = [t.pk for t in towns]
    rows: dict[int, dict[str, Any]] = {t.pk: {"township_union_id": t.pk, "name": t.name,
                                              **dict.fromkeys(COUNTS, 0), **dict.fromkeys(RATES + CHANGES)}
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
    totals: dict[str, Any] = {f: sum(r[f] for r in ranked) for f in COUNTS}
    totals["completion_rate"] = round(totals["tasks_done"] / totals["tasks"], 4) if totals["tasks"] else 0.0
    if rates:
        _rates(rows, totals, ids, end, month - dt.timedelta(days=1))
    with_tasks = [r for r in ranked if r["tasks"]]
    return {"month": f"{month:%Y-%m}", "campaign": campaign.name,
            "quarter": f"{month.year}-Q{(month.month - 1) // 3 + 1}" if quarter else "", "townships": ranked, "totals": totals,
            "highlights": [r["name"] for r in with_tasks[:3] if r["tasks_done"]],
            "laggards": [r["name"] for r in with_tasks[-3:][::-1] if r["completion_rate"] < totals["completion_rate"]]}


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _change(now: float | None, before: float | None) -> float | None:
    return round(now - before, 4) if now is not None and before is not None else None


def _rates(rows: dict[int, dict[str, Any]], totals: dict[str, Any], ids: list[int], end: dt.date,
           before: dt.date) -> None:
    """建会率 and 入会率 at `end` and their change from `before`, per township and for the whole bulletin."""
    sums: dict[str, int] = dict.fromkeys(("n", "c", "h", "m", "n0", "c0", "h0", "m0"), 0)
    for day, suffix in ((end, ""), (before, "0")):
        cov, mem = township_coverage_on(territories=ids, day=day), township_rates_on(territories=ids, day=day)
        for town, r in rows.items():
            c, m = cov.get(town, {}), mem.get(town, {})
            figures = {"coverage_rate": _ratio(c.get("covered", 0), c.get("enterprises", 0)),
                       "member_rate": _ratio(m.get("members", 0), m.get("headcount", 0))}
            if suffix:
                r["coverage_rate_change"] = _change(r["coverage_rate"], figures["coverage_rate"])
                r["member_rate_change"] = _change(r["member_rate"], figures["member_rate"])
            else:
                r.update(figures)
            sums["n" + suffix] += c.get("enterprises", 0)
            sums["c" + suffix] += c.get("covered", 0)
            sums["h" + suffix] += m.get("headcount", 0)
            sums["m" + suffix] += m.get("members", 0)
    totals["coverage_rate"], totals["member_rate"] = _ratio(sums["c"], sums["n"]), _ratio(sums["m"], sums["h"])
    totals["coverage_rate_change"] = _change(totals["coverage_rate"], _ratio(sums["c0"], sums["n0"]))
    totals["member_rate_change"] = _change(totals["member_rate"], _ratio(sums["m0"], sums["h0"]))


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _points(change: float | None) -> str:
    """A rate's change as a cadre writes it: +1.2个百分点 / -0.5个百分点 / 持平; — when there is nothing to compare."""
    if change is None:
        return "—"
    points = round(change * 100, 1)
    return "持平" if points == 0 else f"{points:+.1f}个百分点"


def cell(r: dict[str, Any], field: str) -> Any:
    """One figure as the Word and Excel bulletins print it."""
    if field in RATES:
        return _pct(r[field])
    if field in CHANGES:
        return _points(r[field])
    return r[field]


def cells(r: dict[str, Any]) -> list[Any]:
    """A township's (or the totals') row as the page, the Word and the Excel bulletins show it."""
    return [cell(r, f) for f in FIELDS]


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
        f"新建工会{t['unions_founded']}家，新入会会员{t['members_joined']}人。"
        f"月末建会率{_pct(t['coverage_rate'])}（较上月{_points(t['coverage_rate_change'])}），"
        f"入会率{_pct(t['member_rate'])}（较上月{_points(t['member_rate_change'])}）。")
    doc.add_heading("二、各镇（街道）进展排名", level=1)
    table = doc.add_table(rows=1, cols=len(LABELS) + 2)
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, ("排名", "镇（街道）", *LABELS), strict=True):
        cell.text = label
    for i, r in enumerate(data["townships"], start=1):
        for cell, value in zip(table.add_row().cells, (i, r["name"], *cells(r)), strict=True):
            cell.text = str(value)
    for cell, value in zip(table.add_row().cells, ("", "合计", *cells(t)), strict=True):
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
    rows = [[i, r["name"], *cells(r)] for i, r in enumerate(data["townships"], start=1)]
    rows.append(["", "合计", *cells(data["totals"])])
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
        data = bulletin(user=user, campaign=campaign, month=month, rates=False)
        months.append(data["month"])
        for r in data["townships"]:
            series.setdefault(r["name"], []).append(round(r["completion_rate"] * 100, 1))
        month = (month_end(month) + dt.timedelta(days=1))
    return {"months": months, "series": [{"name": k, "data": v} for k, v in series.items()]}
