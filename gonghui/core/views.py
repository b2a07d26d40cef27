from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .registry import PANELS


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """工作台: every registered panel renders the figures of the user's scope."""
    panels = [{"template": p.template, **p.context(request.user)} for p in PANELS]
    return render(request, "core/dashboard.html", {"panels": panels})


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Search the audit log (the `view_audit` action, 区总管理员; others get 404 like any page outside their scope)."""
    if not request.user.can("view_audit"):  # type: ignore[union-attr]
        raise Http404
    qs = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp")
    q = request.GET.get("q", "").strip()
    actor = request.GET.get("actor", "").strip()
    action = request.GET.get("action", "").strip()
    if q:
        qs = qs.filter(object_repr__contains=q)
    if actor:
        qs = qs.filter(actor__username=actor)
    if action.isdigit():
        qs = qs.filter(action=int(action))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit_log.html",
        {"page": page, "q": q, "actor": actor, "action": action, "actions": LogEntry.Action.choices},
    )
