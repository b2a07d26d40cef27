from __future__ import annotations

from typing import Any

from django.urls import reverse

from gonghui.accounts.permissions import Action
from gonghui.orgs.models import ImportJob, Union

from . import selectors


def dashboard_context(user: Any) -> dict[str, Any]:
    """工作台: members, pending work, and 入会率 per township of the user's scope."""
    from gonghui.orgs.selectors import district_of

    townships = selectors.township_rates(user=user)
    district = district_of(user=user)
    return {"counts": selectors.member_counts(user=user, townships=townships), "townships": townships,
            "district": selectors.district_member_rate(district=district) if district else None}


def todo_context(user: Any) -> dict[str, Any]:
    """待办事项: what the user may ACT on, not all they may see — join applications and transfers out where they
    hold `approve`, transfers in and imports to confirm where they hold `change` (只读 and 部门经办人 have none).
    Each count is the list it links to, filtered the same way (the same selector)."""
    approves = Union.objects.visible_to(user, Action.APPROVE).values("pk")
    changes = Union.objects.visible_to(user, Action.CHANGE).values("pk")
    inbox = selectors.transfer_inbox(user=user)
    imports = ImportJob.objects.visible_to(user, Action.CHANGE).filter(status=ImportJob.Status.CHECKED).order_by("-created_at")
    n_imports = imports.count()
    first_import = imports.first() if n_imports == 1 else None
    items = [
        {"key": "joins", "label": "待审核的入会申请", "n": selectors.pending_joins(user=user, action=Action.APPROVE).count(),
         "url": reverse("members:approvals")},
        {"key": "transfers_out", "label": "待我方审批的转出申请", "n": inbox.filter(from_union__in=approves).count(),
         "url": reverse("members:transfers")},
        {"key": "transfers_in", "label": "等待对方办理的转入", "n": inbox.filter(to_union__in=changes).count(),
         "url": reverse("members:transfers")},
        {"key": "imports", "label": "检查完待确认的导入", "n": n_imports, "url": _import_url(first_import)},
    ]
    return {"items": items, "total": sum(i["n"] for i in items)}


def _import_url(job: ImportJob | None) -> str:
    """The one job waiting, on its own page; else the imports' start page (the roster's, where most wait)."""
    if job is None:
        return reverse("members:import")
    if job.kind == "members":
        return reverse("members:import_job", args=[job.pk])
    return reverse("orgs:import_job", args=[job.kind, job.pk])
