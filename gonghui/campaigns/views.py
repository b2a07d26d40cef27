"""Console pages of the campaigns app: thin — parse, call one selector or service, render."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from gonghui.accounts.permissions import Action
from gonghui.core.errors import WrongState
from gonghui.core.forms import parse_day
from gonghui.core.importing import max_upload_bytes, too_big_message
from gonghui.orgs.models import Union
from gonghui.orgs.scope import allowed, require, scoped

from . import bulletin as bulletins
from . import selectors, services
from .api import start_classify
from .models import (
    Campaign,
    CampaignFirm,
    Founding,
    ListRow,
    Match,
    ScreeningStep,
    Source,
    SourceList,
    Stage,
    TaskStatus,
)
from .owner import default_owner

PAGE_SIZE = 50
D = ScreeningStep.Decision


def _date(text: str | None) -> dt.date | None:
    """A date box's value (`core.forms.parse_day`): None when blank; a zh-hans ValidationError when no date."""
    return parse_day(text)


def _errors(request: HttpRequest, exc: Exception) -> None:
    text = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    messages.error(request, text)


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    """行动列表; POST opens a campaign at the top of the cadre's scope."""
    if request.method == "POST":
        require(request.user, Action.CHANGE)
        owner = default_owner(request.user)
        try:
            starts, ends = _date(request.POST.get("starts_on")), _date(request.POST.get("ends_on"))
            if not starts or not ends:
                raise ValidationError("请填写开始日期和结束日期")
            threshold = int(request.POST.get("threshold") or 25)
            campaign = services.campaign_create(actor=request.user, owner=owner, name=request.POST.get("name", ""),
                                                starts_on=starts, ends_on=ends, threshold=threshold)
        except (ValidationError, ValueError) as exc:
            _errors(request, exc if isinstance(exc, ValidationError) else ValidationError("人数标准应为整数"))
            return redirect("campaigns:list")
        return redirect("campaigns:detail", campaign.pk)
    page = Paginator(selectors.campaign_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    return render(request, "campaigns/list.html", {"page": page, "can_create": allowed(request.user, Action.CHANGE),
                                                   "today": today, "default_end": today.replace(month=12, day=31)})


@login_required
@scoped(Campaign, pk="pk", related=("owner",), post_action=Action.CHANGE)
def campaign_detail(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """行动详情: its lists (upload, POST), the user's firms by stage."""
    if request.method == "POST":
        upload = request.FILES.get("file")
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > max_upload_bytes() + 64 * 1024:
            messages.error(request, too_big_message(length))
        elif upload is None:
            messages.error(request, "请选择名单文件")
        else:
            try:
                as_of = _date(request.POST.get("as_of"))
                if as_of is None:
                    raise ValidationError("请填写名单日期")
                sl = services.list_upload(actor=request.user, campaign=campaign, source=request.POST.get("source", ""),
                                          as_of=as_of, chunks=upload.chunks(), size=upload.size or 0,
                                          original_name=upload.name or "upload")
            except ValidationError as exc:
                _errors(request, exc)
            else:
                start_classify(sl)
                return redirect("campaigns:list_detail", campaign.pk, sl.pk)
        return redirect("campaigns:detail", campaign.pk)
    lists = selectors.list_lists(user=request.user, campaign=campaign)
    return render(request, "campaigns/detail.html", {
        "campaign": campaign, "lists": lists, "sources": Source.choices,
        "stages": [(Stage(s).label, n, s) for s, n in selectors.stage_counts(user=request.user, campaign=campaign).items()],
        "can_change": allowed(request.user, Action.CHANGE, campaign), "today": timezone.localdate()})


@login_required
@scoped(SourceList, campaign_id="pk", pk="list_pk", related=("campaign", "campaign__owner"), post_action=Action.CHANGE)
def list_detail(request: HttpRequest, sourcelist: SourceList) -> HttpResponse:
    """名单: progress while matching (htmx polls), then its rows in the user's territory with the evidence;
    POST applies it (the campaign owner's cadres)."""
    campaign = sourcelist.campaign
    if request.method == "POST":
        try:
            moved = services.list_apply(actor=request.user, source_list=sourcelist, background=True)
        except WrongState as exc:
            messages.error(request, str(exc))
        else:
            if moved is None:
                messages.info(request, "名单较大，正在后台应用；本页显示进度，完成后自动刷新")
            else:
                messages.success(request, f"名单已应用：新登记企业 {moved['created']} 家，新增 {moved['new']} 家，"
                                          f"迁入 {moved['moved_in']} 家，消失 {moved['gone']} 家")
        return redirect("campaigns:list_detail", campaign.pk, sourcelist.pk)
    match = request.GET.get("match", "")
    match = match if match in Match.values else ""
    busy = sourcelist.status in (SourceList.Status.QUEUED, SourceList.Status.RUNNING, SourceList.Status.APPLYING)
    ctx: dict[str, Any] = {"campaign": campaign, "sl": sourcelist, "busy": busy, "match": match,
                           "matches": Match.choices, "percent": int(sourcelist.progress * 100),
                           "can_apply": allowed(request.user, Action.CHANGE, sourcelist)}
    if request.htmx and busy:  # type: ignore[attr-defined]
        return render(request, "campaigns/_progress.html", ctx)
    if request.htmx and request.headers.get("HX-Target") == "list-progress":  # type: ignore[attr-defined]
        response = HttpResponse("")
        response["HX-Refresh"] = "true"  # matching finished: show the whole page with its rows
        return response
    if not busy:
        rows = selectors.row_list(user=request.user, source_list=sourcelist, match=match)
        ctx["page"] = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        ctx["query"] = urlencode({"match": match}) if match else ""
        ctx["counts"] = counts = selectors.row_counts(user=request.user, source_list=sourcelist)
        ctx["tabs"] = [(v, label, counts[v]) for v, label in Match.choices]
    return render(request, "campaigns/list_detail.html", ctx)


@login_required
@scoped(SourceList, campaign_id="pk", pk="list_pk", related=("campaign",))
def review(request: HttpRequest, sourcelist: SourceList) -> HttpResponse:
    """待核对: one row at a time from the keyboard (j/k move, a accept, r reject), or all above a score.
    POST decides; each row requires `change` on its township (the service checks)."""
    campaign = sourcelist.campaign
    if request.method == "POST":
        require(request.user, Action.CHANGE)
        try:
            if request.POST.get("undo"):
                row = ListRow.objects.get_visible(request.user, Action.CHANGE, source_list=sourcelist,
                                                  pk=request.POST.get("undo"))
                services.row_decision_undo(actor=request.user, row=row, reason=request.POST.get("reason", ""))
                messages.success(request, f"已撤销第{row.row}行的核对结论，该行重新待核对")
            elif request.POST.get("bulk"):
                score = float(request.POST.get("min_score") or "1.1")
                n = services.rows_accept_above(actor=request.user, source_list=sourcelist, min_score=score)
                messages.success(request, f"已确认 {n} 行为同一企业（得分 ≥ {score}）")
            else:
                row = ListRow.objects.get_visible(request.user, Action.CHANGE, source_list=sourcelist,
                                                  pk=request.POST.get("row"))
                services.row_decide(actor=request.user, row=row, same=request.POST.get("same") == "1")
        except (WrongState, ValidationError, ValueError) as exc:
            _errors(request, exc)
        return redirect(f"{reverse('campaigns:review', args=[campaign.pk, sourcelist.pk])}")
    rows = selectors.row_list(user=request.user, source_list=sourcelist, match=Match.REVIEW)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    decided = Paginator(selectors.decided_rows(user=request.user, source_list=sourcelist), PAGE_SIZE).get_page(
        request.GET.get("decided"))
    return render(request, "campaigns/review.html", {
        "campaign": campaign, "sl": sourcelist, "page": page, "decided": decided,
        "can_undo": sourcelist.status == SourceList.Status.CLASSIFIED})


FIRM_BULK = {
    "zombie": (1, D.ZOMBIE, "吊销/注销或无参保职工"),
}


@login_required
@scoped(Campaign, pk="pk", related=("owner",))
def firm_list(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """行动企业 in the user's territory, with filters; POST runs a bulk action (every 吊销/注销 firm out in one
    step, the reason recorded per firm)."""
    if request.method == "POST":
        require(request.user, Action.CHANGE)
        kind = request.POST.get("bulk", "")
        if kind in FIRM_BULK:
            rnd, decision, reason = FIRM_BULK[kind]
            from .services.screening import zombie_firms

            firms = zombie_firms(selectors.firm_list(user=request.user, campaign=campaign, action=Action.CHANGE))
            n = services.firms_screen_bulk(actor=request.user, firms=list(firms), round=rnd, decision=decision,
                                           reason=request.POST.get("reason") or reason)
            messages.success(request, f"已剔除 {n} 家企业（理由逐户记录）")
        else:
            messages.error(request, "未知的批量操作")
        return redirect("campaigns:firms", campaign.pk)
    g = request.GET
    township = int(g["township"]) if g.get("township", "").isdigit() else None
    status = g.get("task_status")
    status = status if status in TaskStatus.values and status else None
    qs = selectors.firm_list(user=request.user, campaign=campaign, match=g.get("match", "") if g.get("match") in Match.values else "",
                             stage=g.get("stage", "") if g.get("stage") in Stage.values else "", township=township,
                             task_status=status, q=(g.get("q") or "").strip()[:50])
    page = Paginator(qs, PAGE_SIZE).get_page(g.get("page"))
    from .services.screening import zombie_firms

    query = urlencode({k: v for k, v in g.items() if k != "page" and v})
    return render(request, "campaigns/firms.html", {
        "campaign": campaign, "page": page, "query": query, "stages": Stage.choices, "statuses": TaskStatus.choices[1:],
        "matches": [(Match.UNCOVERED, "未建会"), (Match.NEW, "新企业")], "g": g,
        "townships": selectors.visible_townships(user=request.user, campaign=campaign),
        "zombies": zombie_firms(selectors.firm_list(user=request.user, campaign=campaign)).count()})


@login_required
@scoped(CampaignFirm, campaign_id="pk", pk="firm_pk", related=("campaign", "enterprise", "township", "joint_union"),
        post_action=Action.CHANGE)
def firm_detail(request: HttpRequest, campaignfirm: CampaignFirm) -> HttpResponse:
    """One firm: screening (the form of the round it is in), its history with undo, its task and the founding."""
    firm = campaignfirm
    if request.method == "POST":
        _firm_post(request, firm)
        return redirect("campaigns:firm", firm.campaign_id, firm.pk)
    from .services.screening import labour_survey_headcount

    founding = Founding.objects.filter(firm=firm).select_related("union").first()
    return render(request, "campaigns/firm.html", {
        "campaign": firm.campaign, "firm": firm, "ent": firm.enterprise,
        "steps": selectors.firm_history(user=request.user, firm=firm), "founding": founding,
        "round": {Stage.LISTED: 1, Stage.ROUND2: 2, Stage.ROUND3: 3}.get(Stage(firm.stage)),
        "decisions": {r: [(d, D(d).label) for d in ds] for r, ds in services.screening.DECISIONS.items()},
        "joints": selectors.joint_unions_near(user=request.user, firm=firm),
        "same_address": (CampaignFirm.objects.filter(campaign=firm.campaign_id, enterprise__address=firm.enterprise.address)
                         .exclude(pk=firm.pk).count() if firm.enterprise.address else 0),
        "survey": labour_survey_headcount(firm), "statuses": [(v, lbl) for v, lbl in TaskStatus.choices
                                                              if v and v != TaskStatus.FOUNDED],
        "can_change": allowed(request.user, Action.CHANGE, firm), "now": timezone.localtime(),
        "overdue": bool(firm.due_on and firm.due_on < timezone.localdate() and firm.task_status not in
                        services.screening.TASK_DONE)})


def _firm_post(request: HttpRequest, firm: CampaignFirm) -> None:
    p, user = request.POST, request.user
    what = p.get("what", "")
    try:
        if what == "screen":
            union = Union.objects.get_visible(user, pk=p["union"]) if p.get("union", "").isdigit() else None
            called_at = None
            if p.get("called_at"):
                called_at = timezone.make_aware(dt.datetime.fromisoformat(p["called_at"]))
            services.firm_screen(actor=user, firm=firm, round=int(p.get("round") or 0), decision=p.get("decision", ""),
                                 reason=p.get("reason", ""), union=union, called_by=p.get("called_by", ""),
                                 called_at=called_at, call_outcome=p.get("call_outcome", ""))
        elif what == "undo":
            services.firm_screen_undo(actor=user, firm=firm, reason=p.get("reason", ""))
        elif what == "task":
            services.firm_task_update(actor=user, firm=firm, status=p.get("status", ""), note=p.get("note", ""),
                                      due_on=_date(p.get("due_on")))
        elif what == "found_start":
            services.founding_start(actor=user, firm=firm, prep_group=p.get("prep_group", ""),
                                    union_name=p.get("union_name", ""))
        elif what == "found_congress":
            committees = {k: [line.rsplit(" ", 1) if " " in line.strip() else [line, "委员"]
                              for line in p.get(k, "").splitlines() if line.strip()] for k in ("committee", "audit", "women")}
            held = _date(p.get("held_on"))
            if held is None:
                raise ValidationError("请填写会员大会日期")
            services.founding_congress(actor=user, founding=firm.founding, held_on=held, committees=committees)
        elif what == "found_approve":
            day = _date(p.get("approved_on"))
            if day is None:
                raise ValidationError("请填写批复日期")
            services.founding_approve(actor=user, founding=firm.founding, approval_no=p.get("approval_no", ""),
                                      approved_on=day)
        elif what == "found_establish":
            services.founding_establish(actor=user, founding=firm.founding, union_code=p.get("union_code", ""),
                                        founded_on=_date(p.get("founded_on")))
            messages.success(request, "工会已成立，已覆盖该企业，扫码入会二维码已生成，任务已完成")
        else:
            raise ValidationError("未知的操作")
    except (WrongState, ValidationError, ValueError, Founding.DoesNotExist) as exc:
        if isinstance(exc, Founding.DoesNotExist):
            exc = ValidationError("尚未发起建会流程")
        elif isinstance(exc, ValueError):
            exc = ValidationError("填写的内容格式不正确")
        _errors(request, exc)


@login_required
@require_safe
@scoped(Campaign, pk="pk", related=("owner",))
def tasks(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """下发任务: the township's task list (overdue red); ?export=xlsx downloads it with a dropdown status column,
    which re-imports through the one import path (镇街任务 import)."""
    g = request.GET
    township = int(g["township"]) if g.get("township", "").isdigit() else None
    items = selectors.task_list(user=request.user, campaign=campaign, township=township)
    if g.get("export") == "xlsx":
        from .imports import task_workbook

        body = task_workbook(campaign, items)
        response = HttpResponse(body, content_type=bulletins.XLSX)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True,
                                                                     filename=f"建会入会任务-{campaign.pk}.xlsx")
        return response
    today = timezone.localdate()
    page = Paginator(items, PAGE_SIZE).get_page(g.get("page"))
    return render(request, "campaigns/tasks.html", {
        "campaign": campaign, "page": page, "today": today, "township": township,
        "townships": selectors.visible_townships(user=request.user, campaign=campaign),
        "done": services.screening.TASK_DONE, "query": urlencode({"township": township}) if township else ""})


@login_required
@require_safe
@scoped(Campaign, pk="pk", related=("owner",))
def bulletin(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """一月一通报: the month's figures for the user's townships; ?format=docx|xlsx downloads them."""
    quarter = request.GET.get("quarter", "")
    try:
        month = bulletins.parse_quarter(quarter) if quarter else bulletins.parse_month(request.GET.get("month", ""))
    except ValueError:
        month, quarter = timezone.localdate().replace(day=1), ""
    data = bulletins.bulletin(user=request.user, campaign=campaign, month=month, quarter=bool(quarter))
    fmt = request.GET.get("format", "")
    if fmt in ("docx", "xlsx"):
        body, name, ctype = bulletins.render(campaign, data, fmt)
        response = HttpResponse(body, content_type=ctype)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
        return response
    q = f"{month.year}-Q{(month.month - 1) // 3 + 1}"
    table = [(i, r["name"], bulletins.cells(r)) for i, r in enumerate(data["townships"], start=1)]
    return render(request, "campaigns/bulletin.html", {
        "campaign": campaign, "data": data, "month": month, "this_quarter": q, "labels": bulletins.LABELS,
        "table": table, "totals": bulletins.cells(data["totals"]), "months": bulletins.months_of(campaign, month)})


@login_required
@require_safe
@scoped(Campaign, pk="pk", related=("owner",))
def dashboard(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """行动看板 (ECharts): completion by township month by month, and the funnel listed → screened → tasked → founded."""
    funnel = bulletins.funnel(user=request.user, campaign=campaign)
    return render(request, "campaigns/dashboard.html", {
        "campaign": campaign, "funnel": funnel,
        "chart": {"funnel": [{"name": n, "value": v} for n, v in funnel],
                  **bulletins.progress(user=request.user, campaign=campaign)}})


@login_required
@scoped(CampaignFirm, campaign_id="pk", pk="firm_pk", related=("campaign", "enterprise"), post_action=Action.CHANGE)
def welcome(request: HttpRequest, campaignfirm: CampaignFirm) -> HttpResponse:
    """入会礼包“五个一”: per new member of the union founded for this firm, what they have received; POST saves one
    member's checklist."""
    from gonghui.members.models import Membership

    from .models import WelcomeKit

    founding = Founding.objects.filter(firm=campaignfirm, union__isnull=False).select_related("union").first()
    members = (Membership.objects.visible_to(request.user).filter(union=founding.union, status=Membership.Status.ACTIVE)
               .select_related("person").order_by("joined_on", "pk") if founding else Membership.objects.none())
    if request.method == "POST":
        m = members.filter(pk=request.POST.get("membership") or 0).first() if founding else None
        if m is None:
            messages.error(request, "请选择本会会员")
        else:
            services.welcome_kit_set(actor=request.user, membership=m,
                                     items={k for k, _ in WelcomeKit.ITEMS if request.POST.get(k)})
            messages.success(request, f"已登记{m.person.name}的入会礼包")
        return redirect("campaigns:welcome", campaignfirm.campaign_id, campaignfirm.pk)
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    kits = {k.membership_id: k for k in WelcomeKit.objects.filter(membership__in=[m.pk for m in page])}
    rows = [(m, [(k, label, getattr(kits.get(m.pk), k, False)) for k, label in WelcomeKit.ITEMS]) for m in page]
    return render(request, "campaigns/welcome.html", {"campaign": campaignfirm.campaign, "firm": campaignfirm,
                                                      "founding": founding, "rows": rows, "page": page,
                                                      "can_change": allowed(request.user, Action.CHANGE, campaignfirm)})
