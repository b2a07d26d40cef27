"""The demand queue and the circuit visits → Excel, as a download-centre job (kind "demands"): the rows the user sees with the queue's
filters, applied again when the worker builds it (as the user, scope then). The contact's mobile is masked."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from django.utils import timezone

from gonghui.core.audit import audit_access
from gonghui.core.excel import xlsx_stream
from gonghui.downloads.models import ExportJob
from gonghui.downloads.services import export_job_create

from .models import CircuitVisit, Demand
from .selectors import DemandFilters, VisitFilters, demand_list, visit_list

KIND = "demands"
COLUMNS = (("编号", 16), ("类别", 12), ("标题", 30), ("状态", 14), ("紧急程度", 16), ("来源渠道", 12), ("所在组织", 30),
           ("承办单位", 30), ("联系人", 10), ("联系电话", 14), ("受理时间", 18), ("签收时限", 18), ("办结时限", 18),
           ("办结时间", 18), ("是否超时", 8), ("退单次数", 8), ("重办次数", 8), ("职工评价", 10))
BATCH = 2000


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _mask(phone: str) -> str:
    return phone[:3] + "****" + phone[7:] if len(phone) == 11 else phone


def export_rows(*, user: Any, filters: DemandFilters,
                progress: Callable[[int], None] | None = None) -> Iterator[list[Any]]:
    """The rows, in primary-key batches (flat memory)."""
    qs = demand_list(user=user, filters=filters).order_by("pk")
    now, last, done = timezone.now(), 0, 0
    while True:
        batch = list(qs.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        for d in batch:
            late = (d.closed_at or now) > d.due_at
            yield [d.number, d.get_category_display(), d.title, d.get_status_display(), d.get_urgency_display(),
                   d.get_channel_display(), d.union.name, d.unit.name if d.unit else "", d.contact_name,
                   _mask(d.contact_phone), _when(d.received_at), _when(d.sign_due_at), _when(d.due_at),
                   _when(d.closed_at), "是" if late else "否", d.returns, d.reopens, d.get_rating_display()]
        last, done = batch[-1].pk, done + len(batch)
        if progress is not None:
            progress(done)


def demand_export_start(*, user: Any, filters: DemandFilters) -> ExportJob:
    """Queue the export for `user` (audited now; the download is audited again)."""
    n = demand_list(user=user, filters=filters).count()
    audit_access(actor=user, obj=None, model=Demand, what=f"导出职工诉求 {n} 条")
    return export_job_create(actor=user, kind=KIND, title="职工诉求", description=f"诉求工单 {n} 条",
                             params={"filters": dataclasses.asdict(filters)},
                             filename=f"职工诉求_{timezone.localdate():%Y%m%d}.xlsx", rows_total=n)


def build_export(*, job: ExportJob, params: dict[str, Any], target: Any, progress: Callable[[int], None],
                 tmpdir: str | None = None) -> int:
    """The download centre's builder for kind "demands" (registered in DemandsConfig.ready)."""
    filters = DemandFilters(**params["filters"])
    rows = export_rows(user=job.created_by, filters=filters, progress=progress)
    return xlsx_stream(target, COLUMNS, rows, sheet="职工诉求", tmpdir=tmpdir)


# ---------------------------------------------------------------- circuit visits (kind "visits")

VISIT_KIND = "visits"
VISIT_COLUMNS = (("服务日期", 12), ("巡回服务队", 26), ("状态", 8), ("服务工会", 32), ("服务企业", 32), ("服务地点", 20),
                 ("服务内容", 40), ("参与人数", 10), ("服务反馈", 40), ("服务订单", 14))


def visit_rows(*, user: Any, filters: VisitFilters, progress: Callable[[int], None] | None = None
               ) -> Iterator[list[Any]]:
    """The rows, in primary-key batches (flat memory), the services of each batch in one query."""
    qs = visit_list(user=user, filters=filters).select_related("order").order_by("pk")
    last, done = 0, 0
    while True:
        batch = list(qs.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        names: dict[int, list[str]] = {}
        through = CircuitVisit.services.through.objects.filter(circuitvisit_id__in=[v.pk for v in batch])
        for visit_id, name in through.values_list("circuitvisit_id", "serviceitem__name").order_by("pk"):
            names.setdefault(visit_id, []).append(name)
        for v in batch:
            yield [v.visit_date.isoformat(), v.team.name, v.get_status_display(), v.union.name,
                   v.enterprise.name if v.enterprise else "", v.place, "、".join(names.get(v.pk, [])),
                   v.attendance if v.attendance is not None else "", v.feedback, v.order.number if v.order else ""]
        last, done = batch[-1].pk, done + len(batch)
        if progress is not None:
            progress(done)


def visit_export_start(*, user: Any, filters: VisitFilters) -> ExportJob:
    """Queue the visits export for `user` (audited now; the download is audited again)."""
    n = visit_list(user=user, filters=filters).count()
    audit_access(actor=user, obj=None, model=CircuitVisit, what=f"导出巡回服务 {n} 条")
    return export_job_create(actor=user, kind=VISIT_KIND, title="巡回服务", description=f"巡回服务记录 {n} 条",
                             params={"filters": dataclasses.asdict(filters)},
                             filename=f"巡回服务_{timezone.localdate():%Y%m%d}.xlsx", rows_total=n)


def build_visit_export(*, job: ExportJob, params: dict[str, Any], target: Any, progress: Callable[[int], None],
                       tmpdir: str | None = None) -> int:
    """The download centre's builder for kind "visits" (registered in DemandsConfig.ready)."""
    rows = visit_rows(user=job.created_by, filters=VisitFilters(**params["filters"]), progress=progress)
    return xlsx_stream(target, VISIT_COLUMNS, rows, sheet="巡回服务", tmpdir=tmpdir)
