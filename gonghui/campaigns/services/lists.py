"""Campaigns and their lists: create a campaign; upload a dated list through the one import path (private
store, the one reader, the one synonym table); parse and match it against the registry with `linkage.match`
(the worker's job); settle review rows; apply a classified list to the registry and the campaign."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import polars as pl
from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

import linkage
from gonghui.accounts.permissions import Action
from gonghui.core.errors import WrongState
from gonghui.core.excel import Column, SpreadsheetError, StreamTable, cell_text, parse_int
from gonghui.core.identifiers import normalize_code, uscc_error
from gonghui.core.importing import (
    store_root,
    store_upload,
)
from gonghui.core.models import Region
from gonghui.members.services import require_reason
from gonghui.orgs.models import Enterprise, Union
from gonghui.orgs.scope import require
from gonghui.orgs.services import enterprise_upsert
from linkage.clean import normalize_name_expr

from ..models import Campaign, CampaignFirm, ListRow, Match, PairDecision, Source, SourceList

# The columns a campaign list is read by: each found through its field's synonyms in linkage.schema.HEADERS.
COLUMNS: tuple[Column, ...] = (
    Column("name", "单位名称", required=True, field="enterprise_name", width=30),
    Column("uscc", "统一社会信用代码", field="uscc", width=22),
    Column("org_code", "组织机构代码", field="org_code"),
    Column("address", "单位地址", field="address", width=30),
    Column("headcount", "参保人数", field="headcount"),
    Column("township", "所在镇街", field="township"),
    Column("status", "经营状态", field="enterprise_status"),
    Column("industry", "所属行业", field="industry"),
)
REGISTRY_COLUMNS = ("name", "uscc", "org_code", "address", "headcount")
BATCH = 2000


def campaign_create(*, actor: Any, owner: Union, name: str, starts_on: dt.date, ends_on: dt.date,
                    threshold: int = 25, trades: Iterable[str] = ()) -> Campaign:
    """Open a campaign at `owner` (the district, or a township for its territory). Requires `change` on the
    owner (403). Atomic, audited."""
    require(actor, Action.CHANGE, owner)
    name = (name or "").strip()
    if not name:
        raise ValidationError("请填写行动名称")
    if ends_on < starts_on:
        raise ValidationError("结束日期不能早于开始日期")
    if not 1 <= threshold <= 10000:
        raise ValidationError("单独建会人数标准应在1至10000之间")
    if owner.kind not in (Union.Kind.DISTRICT, Union.Kind.TOWNSHIP):
        raise ValidationError("建会入会行动由区总工会或镇(街道)总工会发起")
    with transaction.atomic(), set_actor(actor):
        return Campaign.objects.create(owner=owner, name=name[:100], starts_on=starts_on, ends_on=ends_on,
                                       threshold=threshold, trades=[str(t) for t in trades], created_by=actor)


def list_upload(*, actor: Any, campaign: Campaign, source: str, as_of: dt.date, chunks: Iterable[bytes],
                size: int, original_name: str) -> SourceList:
    """Store an uploaded list privately (the one upload store) and open it as 排队中. The file is refused at the
    door (size, type by content, zip bomb, encryption) with the one reader's zh-hans message, nothing kept.
    Requires `change` on the campaign (403). The caller enqueues `list_classify`."""
    require(actor, Action.CHANGE, campaign)
    if source not in Source.values:
        raise ValidationError(f"未知的名单来源：{source}（可选 {'、'.join(Source.values)}）")
    folder = store_upload(chunks, size=size)  # the one upload store: refused at the door, nothing kept
    with transaction.atomic(), set_actor(actor):
        return SourceList.objects.create(campaign=campaign, source=source, as_of=as_of, folder=str(folder),
                                         original_name=(original_name or "upload")[:200], created_by=actor)


def _set_progress(source_list: SourceList, progress: float) -> None:
    SourceList.objects.filter(pk=source_list.pk).update(progress=round(min(max(progress, 0.0), 1.0), 3))


def registry_frame() -> tuple[pl.DataFrame, list[tuple[int, int | None, int]]]:
    """The enterprise registry as the engine's left side (name, uscc, org_code, address, headcount) and, row by
    row, (enterprise id, covering union id, territory id)."""
    rows = list(Enterprise.objects.order_by("pk").values_list(
        "pk", "name", "uscc", "org_code", "address", "headcount", "covering_union_id", "territory_id"))
    frame = pl.DataFrame(
        {"name": [r[1] for r in rows], "uscc": [r[2] for r in rows], "org_code": [r[3] for r in rows],
         "address": [r[4] for r in rows], "headcount": [str(r[5]) if r[5] is not None else "" for r in rows]},
        schema=dict.fromkeys(REGISTRY_COLUMNS, pl.Utf8))
    return frame, [(r[0], r[6], r[7]) for r in rows]


class TownshipFinder:
    """Which township federation a list row falls in: its 所在镇街 cell, else a township named in its address."""

    def __init__(self) -> None:
        towns = Union.objects.filter(kind=Union.Kind.TOWNSHIP, region__isnull=False).values_list("pk", "region__name")
        self.by_name: list[tuple[str, int]] = sorted(((n, pk) for pk, n in towns), key=lambda t: -len(t[0]))

    def find(self, township: str, address: str) -> int | None:
        for text in (township, address):
            if not text:
                continue
            for name, pk in self.by_name:
                short = name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
                if name in text or (text == short) or (len(short) >= 2 and text.startswith(short)):
                    return pk
        return None


def pair_keys(names: list[str], usccs: list[str]) -> list[str]:
    """How a list spells each firm, for remembering review decisions: the engine's normalised name + the code."""
    if not names:
        return []
    norms = pl.DataFrame({"n": names}, schema={"n": pl.Utf8}).select(normalize_name_expr(pl.col("n")))
    return [f"{n}|{normalize_code(u)}"[:240] for n, u in zip(norms.to_series().to_list(), usccs, strict=True)]


def pair_key(name: str, uscc: str) -> str:
    return pair_keys([name or ""], [uscc or ""])[0]


def _read(path: Path) -> list[dict[str, Any]]:
    table = StreamTable(path, COLUMNS)
    out = []
    for n, row in enumerate(table.rows(), start=1):
        v = row.values
        out.append({"row": n, "name": cell_text(v.get("name")), "uscc": cell_text(v.get("uscc")),
                    "org_code": cell_text(v.get("org_code")), "address": cell_text(v.get("address")),
                    "headcount_raw": v.get("headcount"), "township": cell_text(v.get("township")),
                    "status": cell_text(v.get("status"))})
    if not out:
        raise SpreadsheetError("文件中没有数据行")
    return out


def list_classify(list_id: int) -> None:
    """The worker's job: read the stored list with the one reader, match every row against the registry with
    `linkage.match` (its review band kept), reuse remembered review decisions, and store one classified row
    per data row. All rows are written in one transaction: a file that cannot be read leaves the list 失败
    with the reader's zh-hans message and no row. Idempotent (a list already past 排队中 is left alone)."""
    claimed = SourceList.objects.filter(pk=list_id, status=SourceList.Status.QUEUED).update(
        status=SourceList.Status.RUNNING, progress=0.02)
    if not claimed:
        return
    source_list = SourceList.objects.select_related("campaign").get(pk=list_id)
    try:
        _classify(source_list)
    except (SpreadsheetError, ValidationError) as exc:
        message = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        SourceList.objects.filter(pk=list_id).update(status=SourceList.Status.FAILED, detail=message, progress=1.0)
    except Exception as exc:
        SourceList.objects.filter(pk=list_id).update(
            status=SourceList.Status.FAILED, progress=1.0, detail=f"比对失败（{type(exc).__name__}），请联系管理员")
        raise


def _classify(source_list: SourceList) -> None:
    t0 = time.perf_counter()
    path = Path(source_list.folder) / "upload"
    if not path.is_file():
        raise ValidationError("上传的文件已过期并被删除，请重新上传")
    data = _read(path)
    _set_progress(source_list, 0.2)
    left, meta = registry_frame()
    named = [d for d in data if d["name"]]
    right = pl.DataFrame({c: [d[c] for d in named] for c in ("name", "uscc", "org_code", "address")},
                         schema=dict.fromkeys(("name", "uscc", "org_code", "address"), pl.Utf8))
    _set_progress(source_list, 0.3)
    result = linkage.match(left, right, explain=True) if named else None
    _set_progress(source_list, 0.8)
    ctx = Context(source_list.campaign, meta)
    remembered = _remembered(named, result, meta)
    rows: list[ListRow] = []
    by_pos = {id(d): i for i, d in enumerate(named)}
    decisions = result.to_dicts() if result is not None else []
    for d in data:
        rows.append(_classified_row(source_list, d, decisions[by_pos[id(d)]] if d["name"] else None, ctx,
                                    remembered))
    with transaction.atomic():
        ListRow.objects.filter(source_list=source_list).delete()
        for i in range(0, len(rows), BATCH):
            ListRow.objects.bulk_create(rows[i:i + BATCH])
        counts = list_counts(source_list)
        SourceList.objects.filter(pk=source_list.pk).update(
            status=SourceList.Status.CLASSIFIED, progress=1.0, rows=len(rows), counts=counts,
            detail=f"共{len(rows)}行，比对用时{time.perf_counter() - t0:.1f}秒")


def _remembered(named: list[dict[str, Any]], result: pl.DataFrame | None,
                meta: list[tuple[int, int | None, int]]) -> dict[tuple[str, int], bool]:
    if result is None:
        return {}
    keys: dict[str, set[int]] = {}
    for d, key in zip(named, pair_keys([d["name"] for d in named], [d["uscc"] for d in named]), strict=True):
        d["key"] = key
    for d, cand in zip(named, result["candidate_row"].to_list(), strict=True):
        if cand is not None:
            keys.setdefault(d["key"], set()).add(meta[cand - 1][0])
    found: dict[tuple[str, int], bool] = {}
    key_list = list(keys)
    for i in range(0, len(key_list), 500):
        for k, ent, same in PairDecision.objects.filter(key__in=key_list[i:i + 500]).values_list(
                "key", "enterprise_id", "same"):
            found[(k, ent)] = same
    return found


def _headcount(raw: Any) -> tuple[int | None, str]:
    try:
        return parse_int(raw, label="参保人数"), ""
    except ValueError as exc:
        return None, str(exc)


class Context:
    """What classifying one list needs besides its rows (read once)."""

    def __init__(self, campaign: Campaign, meta: list[tuple[int, int | None, int]]) -> None:
        self.meta = meta
        self.finder = TownshipFinder()
        self.codes = set(Enterprise.objects.values_list("uscc", flat=True))
        self.towns = set(Union.objects.filter(kind=Union.Kind.TOWNSHIP, path__startswith=campaign.owner.path)
                         .values_list("pk", flat=True))


def _classified_row(source_list: SourceList, d: dict[str, Any], m: dict[str, Any] | None, ctx: Context,
                    remembered: dict[tuple[str, int], bool]) -> ListRow:
    row = _classify_one(source_list, d, m, ctx, remembered)
    if row.township_id is not None and row.township_id not in ctx.towns and row.match != Match.REJECTED:
        row.match, row.reason = Match.REJECTED, "不在本行动发起单位的辖区内"
    return row


def _classify_one(source_list: SourceList, d: dict[str, Any], m: dict[str, Any] | None, ctx: Context,
                  remembered: dict[tuple[str, int], bool]) -> ListRow:
    meta, finder = ctx.meta, ctx.finder
    headcount, head_error = _headcount(d["headcount_raw"])
    row = ListRow(source_list=source_list, campaign_id=source_list.campaign_id, row=d["row"], name=d["name"][:200] or "（无名称）", uscc=d["uscc"][:30],
                  address=d["address"][:200], headcount=headcount, status_text=d["status"][:20])
    here = finder.find(d["township"], d["address"])
    if m is None:
        row.match, row.reason, row.township_id = Match.REJECTED, "缺少单位名称", here
        return row
    row.score = round(float(m["score"]), 4) if m["score"] is not None else None
    row.rule = m["rule"] or ""
    row.evidence = {"list_name": m.get("right_name") or d["name"], "registry_name": m.get("left_name") or "",
                    "agreed": m.get("agreed") or "", "vetoed": m.get("vetoed") or "", "rule": row.rule,
                    "list_uscc": d["uscc"], "township": d["township"], "here": here}
    decision = m["decision"]
    cand = m["candidate_row"]
    if decision == "review" and cand is not None:
        same = remembered.get((d["key"], meta[cand - 1][0]))
        if same is not None:
            row.evidence["remembered"] = True
            decision = "match" if same else "none"
            if same:
                m = {**m, "left_row": cand}
    if decision == "match" and m["left_row"] is not None:
        ent, union, territory = meta[m["left_row"] - 1]
        row.enterprise_id, row.covering_union_id, row.township_id = ent, union, territory
        row.match = Match.COVERED if union else Match.UNCOVERED
        if here and here != territory:
            row.evidence["moved_to"] = here
        row.reason = "沿用此前核对结论" if row.evidence.get("remembered") else ""
        return row
    if decision == "review" and cand is not None:
        ent, union, territory = meta[cand - 1]
        row.candidate_id, row.township_id, row.match = ent, territory, Match.REVIEW
        row.reason = "系统无法确定是否为同一企业，请核对"
        return row
    return _as_new(row, here, ctx.codes, head_error)


def _as_new(row: ListRow, here: int | None, codes: set[str], head_error: str = "") -> ListRow:
    """A row that is no registry firm: 新企业 when it can enter the registry (valid USCC, known township)."""
    row.enterprise_id, row.covering_union_id = None, None
    row.township_id = here
    error = uscc_error(row.uscc) if row.uscc else "缺少统一社会信用代码，无法登记为新企业"
    if error:
        row.match, row.reason = Match.REJECTED, error
    elif here is None:
        row.match, row.reason = Match.REJECTED, "无法确定所在镇街（请在名单中填写所在镇街或完整地址）"
    elif head_error:
        row.match, row.reason = Match.REJECTED, head_error
    elif normalize_code(row.uscc) in codes:
        row.match, row.reason = Match.REJECTED, "统一社会信用代码已属于名录中的另一家企业"
    else:
        row.match, row.reason = Match.NEW, ("已核对为不同企业" if row.evidence.get("remembered") else "")
    return row


def list_counts(source_list: SourceList) -> dict[str, int]:
    """Rows per class (all of them, whatever the reader's scope: the list's own totals)."""
    counts = dict.fromkeys(Match.values, 0)
    for match, n in ListRow.objects.filter(source_list=source_list).values_list("match").annotate(n=Count("pk")):
        counts[match] = n
    return counts


# ---------------------------------------------------------------- review


def row_decide(*, actor: Any, row: ListRow, same: bool) -> ListRow:
    """Settle a 待核对 row: `same` — it is the candidate firm (then covered or uncovered by that firm's union);
    not — it is a different firm (then new, or rejected when it cannot enter the registry). The decision is
    remembered for the same pair in later lists. On a list already applied, the settled row is applied at
    once. Requires `change` on the row (its township). Atomic, audited; 409 when the row is not under review."""
    require(actor, Action.CHANGE, row)
    with transaction.atomic(), set_actor(actor):
        row = ListRow.objects.select_for_update(of=("self",)).select_related("candidate", "source_list").get(pk=row.pk)
        if row.match != Match.REVIEW or row.candidate is None:
            raise WrongState("该行不在待核对状态")
        PairDecision.objects.update_or_create(key=pair_key(row.name, row.uscc), enterprise=row.candidate,
                                              defaults={"same": same, "decided_by": actor})
        row.evidence = {**row.evidence, "before_decision": {
            "township_id": row.township_id, "reason": row.reason}}  # what row_decision_undo restores
        row.decided_by = actor
        if same:
            ent = row.candidate
            row.enterprise, row.covering_union_id, row.township_id = ent, ent.covering_union_id, ent.territory_id
            row.match = Match.COVERED if ent.covering_union_id else Match.UNCOVERED
            row.reason = "人工核对：同一企业"
        else:
            code = normalize_code(row.uscc)
            _as_new(row, row.evidence.get("here"), set(Enterprise.objects.filter(uscc=code).values_list("uscc", flat=True)))
            row.reason = row.reason or "人工核对：不是同一企业"
        row.save()
        if row.source_list.status == SourceList.Status.APPLIED:
            _apply_rows(actor, row.source_list, [row])
        SourceList.objects.filter(pk=row.source_list_id).update(counts=list_counts(row.source_list))
        return row


def row_decision_undo(*, actor: Any, row: ListRow, reason: str) -> ListRow:
    """Take back a cadre's decision on a 待核对 row: the row is 待核对 again with its candidate, and the pair's
    remembered decision is forgotten (later lists ask again). A reason is required (kept on the row and in the
    audit log). Only before the list is applied: once applied, the decision has entered the registry and the
    campaign and is corrected there. Requires `change` on the row. Atomic, audited; 409 otherwise."""
    require(actor, Action.CHANGE, row)
    reason = require_reason(reason, "请填写撤销核对的原因")
    with transaction.atomic(), set_actor(actor):
        row = ListRow.objects.select_for_update(of=("self",)).select_related("source_list").get(pk=row.pk)
        before = row.evidence.get("before_decision")
        if row.decided_by_id is None or before is None or row.candidate_id is None:
            raise WrongState("该行没有可撤销的人工核对结论")
        if row.source_list.status != SourceList.Status.CLASSIFIED:
            raise WrongState(f"名单状态为“{row.source_list.get_status_display()}”，核对结论已生效，不能撤销；"
                             "请在企业名录或行动企业中更正")
        PairDecision.objects.filter(key=pair_key(row.name, row.uscc), enterprise_id=row.candidate_id).delete()
        row.evidence = {k: v for k, v in row.evidence.items() if k != "before_decision"}
        row.match, row.enterprise_id, row.covering_union_id = Match.REVIEW, None, None
        row.township_id, row.decided_by = before.get("township_id"), None
        row.reason = f"已撤销核对：{reason}"[:200]
        row.save()
        SourceList.objects.filter(pk=row.source_list_id).update(counts=list_counts(row.source_list))
        return row


def rows_accept_above(*, actor: Any, source_list: SourceList, min_score: float) -> int:
    """Accept, as the same firm, every 待核对 row of the list the actor may change whose score ≥ `min_score`
    (each decision remembered as one by one). Returns how many. Each row is its own transaction."""
    rows = ListRow.objects.visible_to(actor, Action.CHANGE).filter(
        source_list=source_list, match=Match.REVIEW, score__gte=min_score).order_by("row")
    n = 0
    for row in rows:
        row_decide(actor=actor, row=row, same=True)
        n += 1
    return n


# ---------------------------------------------------------------- apply


APPLY_BATCH = 500  # rows per transaction: the write lock (SQLite's is database-wide) is never held for long
INLINE_APPLY_ROWS = 2000  # a list with more rows to apply is applied by the worker (the page shows progress)
MOVEMENT_KEYS = ("new", "moved_in", "gone", "created", "headcount_updated")


def list_apply(*, actor: Any, source_list: SourceList, background: bool = False) -> dict[str, int] | None:
    """Apply a classified list: new firms enter the registry (with the list's source and date), head counts
    are updated from a newer list, firms that moved township follow their new territory, and every uncovered
    and new firm joins the campaign; firms of the previous list of the same source that are absent here are
    marked 消失. Requires `change` on the campaign (403); WrongState (409) unless classified.

    The rows are written in batches of APPLY_BATCH, each its own transaction, audited as the cadre who applied
    it; the list records how far it got, so an interrupted apply resumes where it stopped and counts each row
    once. With `background`, a list of more than INLINE_APPLY_ROWS rows is left to the worker (status 应用中,
    progress on the list) and None is returned; otherwise the movement counts."""
    require(actor, Action.CHANGE, source_list.campaign)
    with transaction.atomic():
        locked = SourceList.objects.select_for_update().get(pk=source_list.pk)
        if locked.status != SourceList.Status.CLASSIFIED:
            raise WrongState(f"名单状态为“{locked.get_status_display()}”，只有已分类的名单可以应用")
        locked.status, locked.applied_by, locked.progress = SourceList.Status.APPLYING, actor, 0.0
        locked.save(update_fields=["status", "applied_by", "progress"])
    source_list.status = locked.status
    if background and _rows_to_apply(locked).count() > INLINE_APPLY_ROWS:
        from ..tasks import apply_list

        apply_list.enqueue(locked.pk)
        return None
    movement = list_apply_run(locked.pk)
    source_list.status = SourceList.Status.APPLIED
    return movement


def _rows_to_apply(source_list: SourceList) -> Any:
    return ListRow.objects.filter(source_list=source_list).exclude(match__in=[Match.REVIEW, Match.REJECTED])


def list_apply_run(list_id: int) -> dict[str, int]:
    """The worker's half of `list_apply` (also run inline for a small list): batch after batch from where the
    list got to, then the 消失 firms and the status. On an error the list goes back to 已分类 with what was done
    kept, so applying it again resumes; the error is re-raised."""
    sl = SourceList.objects.select_related("campaign", "applied_by").get(pk=list_id)
    if sl.status != SourceList.Status.APPLYING:
        raise WrongState(f"名单状态为“{sl.get_status_display()}”，不在应用中")
    actor = sl.applied_by
    total = _rows_to_apply(sl).count() or 1
    try:
        while True:
            with transaction.atomic(), set_actor(actor):
                locked = SourceList.objects.select_for_update().get(pk=list_id)
                batch = list(_rows_to_apply(locked).filter(pk__gt=locked.applied_upto).order_by("pk")[:APPLY_BATCH])
                if not batch:
                    break
                done = _apply_rows(actor, locked, batch)
                movement = {k: int(locked.movement.get(k, 0)) + done.get(k, 0) for k in MOVEMENT_KEYS}
                locked.applied_upto, locked.movement = batch[-1].pk, movement
                locked.progress = min(0.99, _rows_to_apply(locked).filter(pk__lte=batch[-1].pk).count() / total)
                locked.save(update_fields=["applied_upto", "movement", "progress"])
        with transaction.atomic(), set_actor(actor):
            locked = SourceList.objects.select_for_update().get(pk=list_id)
            movement = {k: int(locked.movement.get(k, 0)) for k in MOVEMENT_KEYS}
            previous = _previous_list(locked)
            if previous is not None:
                gone = CampaignFirm.objects.filter(campaign=locked.campaign_id, last_list=previous)
                movement["gone"] = gone.update(movement=CampaignFirm.Movement.GONE)
            locked.status, locked.applied_at, locked.progress = SourceList.Status.APPLIED, timezone.now(), 1.0
            locked.movement = movement
            locked.counts = list_counts(locked)
            locked.save(update_fields=["status", "applied_at", "progress", "movement", "counts"])
            return movement
    except Exception:
        SourceList.objects.filter(pk=list_id, status=SourceList.Status.APPLYING).update(
            status=SourceList.Status.CLASSIFIED, detail="应用中断，已完成的部分保留；请重新点击“应用名单”继续")
        raise


def _previous_list(source_list: SourceList) -> SourceList | None:
    return (SourceList.objects.filter(campaign=source_list.campaign_id, source=source_list.source,
                                      status=SourceList.Status.APPLIED, as_of__lt=source_list.as_of)
            .order_by("-as_of", "-pk").first())


def _apply_rows(actor: Any, source_list: SourceList, rows: list[ListRow]) -> dict[str, int]:
    campaign = source_list.campaign
    movement = {"new": 0, "moved_in": 0, "gone": 0, "created": 0, "headcount_updated": 0}
    had_lists = SourceList.objects.filter(campaign=campaign, status=SourceList.Status.APPLIED).exclude(
        pk=source_list.pk).exists()
    regions = dict(Union.objects.filter(kind=Union.Kind.TOWNSHIP).values_list("pk", "region_id"))
    ents = Enterprise.objects.in_bulk([r.enterprise_id for r in rows if r.enterprise_id])
    firms = {f.enterprise_id: f for f in CampaignFirm.objects.filter(
        campaign=campaign, enterprise_id__in=[r.enterprise_id for r in rows if r.enterprise_id])}
    for row in rows:
        moved = False
        if row.match == Match.NEW and row.enterprise_id is None:
            place: dict[str, Any] = {"territory": Union.objects.get(pk=row.township_id)}
            if regions.get(row.township_id):
                place["region"] = Region.objects.get(pk=regions[row.township_id])
            ent, outcome = enterprise_upsert(
                actor=actor, uscc=row.uscc, name=row.name[:120], **place,
                address=row.address, headcount=row.headcount, headcount_source=source_list.get_source_display()[:20],
                headcount_date=source_list.as_of, listed_source=source_list.source, listed_on=source_list.as_of)
            movement["created"] += outcome == "created"
            if outcome != "created" and ent.pk not in firms:  # the code was in the registry after all
                found = CampaignFirm.objects.filter(campaign=campaign, enterprise=ent).first()
                if found is not None:
                    firms[ent.pk] = found
            row.enterprise = ent
            ListRow.objects.filter(pk=row.pk).update(enterprise=ent)
        else:
            assert row.enterprise_id is not None
            ent = ents.get(row.enterprise_id) or Enterprise.objects.get(pk=row.enterprise_id)
            changes: dict[str, Any] = {}
            if row.headcount is not None and (ent.headcount_date is None or ent.headcount_date <= source_list.as_of) \
                    and ent.headcount != row.headcount:
                changes.update(headcount=row.headcount, headcount_date=source_list.as_of,
                               headcount_source=source_list.get_source_display()[:20])
                movement["headcount_updated"] += 1
            to = row.evidence.get("moved_to")
            if to and to != ent.territory_id and regions.get(to):
                changes.update(territory_id=to, region_id=regions[to])
                moved = True
                row.township_id = to
                ListRow.objects.filter(pk=row.pk).update(township_id=to)
            if changes:
                enterprise_upsert(actor=actor, uscc=ent.uscc, **changes)
        if row.match not in (Match.UNCOVERED, Match.NEW) or row.township_id is None:
            continue
        ent_id: int = ent.pk
        town_id: int = row.township_id
        firm = firms.get(ent_id)
        if firm is None:
            kind = CampaignFirm.Movement.NEW if had_lists else CampaignFirm.Movement.NONE
            firm = CampaignFirm.objects.create(
                campaign=campaign, enterprise_id=ent_id, township_id=town_id, match=row.match,
                first_list=source_list, last_list=source_list, added_on=source_list.as_of,
                movement=CampaignFirm.Movement.MOVED_IN if moved else kind)
            firms[ent_id] = firm
            movement["new"] += kind == CampaignFirm.Movement.NEW and not moved
            movement["moved_in"] += moved
        else:
            firm.last_list = source_list
            firm.movement = CampaignFirm.Movement.MOVED_IN if moved else CampaignFirm.Movement.NONE
            if moved:
                firm.township_id = town_id
                movement["moved_in"] += 1
            firm.save(update_fields=["last_list", "movement", "township", "updated_at"])
    return movement


def source_list_for_cli(path: Path, *, actor: Any, campaign: Campaign, source: str, as_of: dt.date,
                        progress: Callable[[float], None] | None = None) -> SourceList:
    """The batch feed (manage.py campaign_list): the same upload and classification as the page and the API."""
    data = path.read_bytes()
    sl = list_upload(actor=actor, campaign=campaign, source=source, as_of=as_of, chunks=[data], size=len(data),
                     original_name=path.name)
    list_classify(sl.pk)
    sl.refresh_from_db()
    return sl


def sweep_folder(source_list: SourceList) -> None:
    """Delete a list's stored file (once classified, the rows hold what the campaign needs)."""
    folder = Path(source_list.folder)
    if folder.is_dir() and folder.parent == store_root():
        shutil.rmtree(folder, ignore_errors=True)
