from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import urlencode

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_safe

from . import audit_display
from .excel import parse_date
from .models import LoginEvent
from .paging import paginate
from .registry import AUDIT_TARGETS, can_everywhere, panel_named, panels_for

# --------------------------------------------------------------------------------------------- 工作台


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """工作台: a frame of the panels the user may see; each loads from its own scoped route (htmx)."""
    return render(request, "core/dashboard.html", {"panels": panels_for(request.user)})


@login_required
@require_safe
def panel(request: HttpRequest, name: str) -> HttpResponse:
    """One 工作台 panel, over the user's own scope (an unknown or not-permitted panel is a 404)."""
    p = panel_named(name)
    if p is None or p not in panels_for(request.user):
        raise Http404("面板不存在")
    return render(request, p.template, {"p": p.context(request.user), "panel": p})


# --------------------------------------------------------------------------------------------- error pages

WORKER_PREFIXES = ("/join/", "/card/", "/m/")


def _worker_page(request: HttpRequest) -> bool:
    """Workers (scan-to-join, e-card) and anyone not signed in get the phone-style page; cadres the shell."""
    if request.path.startswith(WORKER_PREFIXES):
        return True
    return not getattr(getattr(request, "user", None), "is_authenticated", False)


def _error(request: HttpRequest, status: int, title: str, message: str, hint: str = "") -> HttpResponse:
    context = {"status": status, "title": title, "message": message, "hint": hint}
    template = "core/error_phone.html" if _worker_page(request) else "core/error.html"
    try:
        body = loader.render_to_string(template, context, request)
    except Exception:  # the 500 page must render even when the database or a context processor does not
        body = loader.render_to_string("core/error_phone.html", context)
    return HttpResponse(body, status=status)


def _qr_error(request: HttpRequest) -> bool:
    return request.path.startswith("/join/")


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "请求有误", "页面收到的请求格式不正确。", "请返回上一页重新操作；如反复出现，请联系管理员。")


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    detail = str(exception) if exception is not None and str(exception) else ""
    return _error(request, 403, "无权执行此操作", detail or "您的账号没有执行此操作的权限。",
                  "如需办理，请联系上级工会的管理员为您授权。")


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _qr_error(request):
        return _error(request, 404, "二维码已失效或不存在", "您扫描的入会二维码已失效，或链接不完整。",
                      "请向所在单位的工会索取最新的入会二维码后重新扫码；已入会的职工可直接查看电子会员证。")
    return _error(request, 404, "页面不存在", "您要找的页面不存在，或不在您的管理范围内。",
                  "请检查链接，或从左侧菜单进入。")


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, "系统出错了", "服务器处理请求时出错，我们已记录此问题。",
                  "请稍后再试；如反复出现，请联系管理员并告知出错的时间。")


@requires_csrf_token
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(request, 403, "页面已过期", "为了安全，提交的表单需要有效的页面令牌，本次提交未通过校验。",
                  "请刷新页面（或重新登录）后再提交一次；请勿在多个窗口中同时提交同一表单。")


# --------------------------------------------------------------------------------------------- 操作日志


def _require_audit(request: HttpRequest) -> None:
    """The logs span the whole district: `view_audit` must be granted on a root of the tree."""
    if not can_everywhere(request.user, "view_audit"):
        raise PermissionDenied("查看操作日志需要在全区范围内具有“查看审计日志”权限")


def _parse_day(value: str) -> dt.date | None:
    """A filter date as the date box takes it (2026-12-01, 2026/12/01, 2026年12月1日: core.excel.parse_date); a
    date that cannot be read is no filter."""
    try:
        return parse_date(value)
    except ValueError:
        return None


def _audit_models() -> list[tuple[str, str]]:
    """The object types a filter offers: every registered audit target, by its Chinese name."""
    result = []
    for label in sorted(AUDIT_TARGETS):
        app_label, _, model = label.partition(".")
        try:
            ct = ContentType.objects.get_by_natural_key(app_label, model)
        except ContentType.DoesNotExist:
            continue
        cls = ct.model_class()
        if cls is not None:
            result.append((label, str(cls._meta.verbose_name)))
    return sorted(result, key=lambda x: x[1])


def _audit_filters(request: HttpRequest) -> tuple[Any, dict[str, Any]]:
    qs = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-pk")
    f = {k: request.GET.get(k, "").strip() for k in ("q", "actor", "model", "action", "start", "end")}
    if f["q"]:
        qs = qs.filter(object_repr__icontains=f["q"])
    if f["actor"]:
        users = get_user_model().objects.filter(username=f["actor"]) | get_user_model().objects.filter(
            display_name=f["actor"])
        qs = qs.filter(actor__in=users)
    if f["model"] and "." in f["model"]:
        app_label, _, model = f["model"].partition(".")
        qs = qs.filter(content_type__app_label=app_label, content_type__model=model)
    q = audit_display.action_q(f["action"])
    if q is not None:
        qs = qs.filter(q)
    start, end = _parse_day(f["start"]), _parse_day(f["end"])
    tz = timezone.get_current_timezone()
    if start:
        qs = qs.filter(timestamp__gte=dt.datetime.combine(start, dt.time.min, tz))
    if end:
        qs = qs.filter(timestamp__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tz))
    return qs, f


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """操作日志: who did what to which object, readable; filters by person, object type, action and period."""
    _require_audit(request)
    qs, f = _audit_filters(request)
    query = urlencode({k: v for k, v in f.items() if v})
    listing = paginate(request, qs, base=query)
    page = listing.page
    return render(request, "core/audit_log.html", {
        "page": page, "listing": listing, "rows": audit_display.rows(list(page.object_list)), "f": f, "query": query,
        "actions": audit_display.ACTIONS, "models": _audit_models(),
        "actors": get_user_model().objects.filter(is_active=True).order_by("username").only("username",
                                                                                          "display_name"),
    })


AUDIT_EXPORT_LIMIT = 20000


@login_required
def audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered 操作日志 as an Excel workbook (at most 20,000 rows, newest first); the export is logged too."""
    from openpyxl import Workbook

    from .audit import audit_access

    _require_audit(request)
    qs, _f = _audit_filters(request)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("操作日志")
    ws.append(["时间", "操作人", "操作", "对象类型", "对象", "变更内容"])
    n = 0
    entries = list(qs[:AUDIT_EXPORT_LIMIT])
    for start in range(0, len(entries), 500):
        for row in audit_display.rows(entries[start:start + 500]):
            detail = row.note or "；".join(f"{c.field}：{c.old} → {c.new}" for c in row.changes)
            ws.append([audit_display.local_datetime(row.when), row.actor, row.action_label, row.model_label,
                       row.name, detail])
            n += 1
    audit_access(actor=request.user, obj=None, model=LogEntry, what=f"导出操作日志 {n} 条")
    buf = io.BytesIO()
    wb.save(buf)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(buf.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''audit-{stamp}.xlsx"
    return response


@login_required
def login_log(request: HttpRequest) -> HttpResponse:
    """登录日志: successful and failed logins and lockouts, filterable per user and result."""
    _require_audit(request)
    qs = LoginEvent.objects.select_related("user")
    username = request.GET.get("username", "").strip()
    kind = request.GET.get("kind", "").strip()
    if username:
        qs = qs.filter(username=username)
    if kind in LoginEvent.Kind.values:
        qs = qs.filter(kind=kind)
    query = urlencode({k: v for k, v in (("username", username), ("kind", kind)) if v})
    listing = paginate(request, qs, base=query)
    return render(request, "core/login_log.html", {
        "page": listing.page, "listing": listing, "username": username, "kind": kind, "kinds": LoginEvent.Kind.choices, "query": query,
    })


# --------------------------------------------------------------------------------------------- working-day calendar


def _arrangement_rows(request: HttpRequest) -> list[tuple[Any, Any, Any]]:
    """The rows of a 放假安排 from the pasted text (日期,类型,节日 per line) or an uploaded workbook (columns 日期,
    类型, 节日), the workbook read through the one reader (core.excel)."""
    from .excel import Column, SpreadsheetError, read_table
    from .importing import max_upload_bytes, too_big_message

    upload = request.FILES.get("file")
    if upload is not None:
        size = upload.size or 0
        if size > max_upload_bytes():
            raise ValueError(too_big_message(size))
        columns = (Column("date", "日期", ("日期范围",), required=True), Column("kind", "类型", ("放假/上班",), required=True),
                   Column("name", "节日", ("名称", "节日名称")))
        try:
            table = read_table(upload.read(), columns)
        except SpreadsheetError as exc:
            raise ValueError(str(exc)) from exc
        return [(r.values.get("date"), r.values.get("kind"), r.values.get("name")) for r in table.rows]
    rows = []
    for line in request.POST.get("text", "").splitlines():
        parts = [p.strip() for p in line.replace("，", ",").replace("\t", ",").split(",")]
        if any(parts):
            rows.append((parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""))
    return rows


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    """工作日历: every year as the platform applies it (chinesecalendar / entered / weekends only, loudly), and for a
    区总管理员 (change over the whole district) the form to enter a year's 放假安排, pasted or uploaded."""
    from . import workdays
    from .models import CalendarYear

    may_enter = can_everywhere(request.user, "change")
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or today.year)
    except ValueError:
        year = today.year
    year = min(max(year, 2004), 2100)
    error, status = "", 200
    if request.method == "POST":
        if not may_enter:
            raise PermissionDenied("只有区总管理员可以录入放假安排")
        try:
            days = workdays.parse_arrangement(_arrangement_rows(request), year)
            n = workdays.year_enter(actor=request.user, year=year, days=days)
            from django.contrib import messages
            from django.shortcuts import redirect

            messages.success(request, f"已录入 {year} 年放假安排（{n} 天）")
            return redirect(f"{request.path}?year={year}")
        except ValueError as exc:
            error, status = str(exc), 400
    cal = workdays.load()
    holidays, worked = cal.year_days(year)
    years = list(CalendarYear.objects.order_by("-year").values_list("year", "source")[:6])
    missing = workdays.missing_years([today.year, today.year + 1])
    return render(request, "core/calendar.html", {
        "year": year, "source": cal.source(year), "holidays": [(d, cal.holidays[d]) for d in holidays],
        "workdays": [(d, cal.workdays[d]) for d in worked], "years": years, "missing_years": missing,
        "may_enter": may_enter, "error": error, "text": request.POST.get("text", ""),
        "next_years": [today.year, today.year + 1],
    }, status=status)
