"""Member list → Excel.

Masked by default: ID numbers as 331003********1234 and mobiles as 177****1182, like the lists and the API. Full
numbers only for a user who holds the export_unmasked action, who asks, gives a reason and confirms (the view's
ExportForm); the rows are then limited to what that permission covers. Every export request is audited (who,
how many rows, masked or not, the filters — a searched ID or mobile masked — and the reason), and so is every
download of a background file (gonghui.downloads).

Up to SYNC_LIMIT rows the file is built in the request; larger exports are a background job of the download
centre (kind "members"). Rows are read in primary-key batches (no long-lived cursor, flat memory), decrypted a
batch at a time, and written by core.excel.xlsx_stream in constant-memory mode.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

from django.utils import timezone

from gonghui.accounts.permissions import Action, action_paths, can
from gonghui.core import crypto
from gonghui.core.audit import audit_access
from gonghui.core.excel import xlsx_stream
from gonghui.core.identifiers import mask_phone
from gonghui.downloads.models import ExportJob
from gonghui.downloads.services import export_job_create
from gonghui.orgs.scope import scope_q

from .models import Education, Membership, Person
from .selectors import MEMBER_STATUSES, MemberFilters, member_list
from .services import require_reason

EXPORT_COLUMNS = (("会员卡号", 16), ("姓名", 10), ("身份证号码", 22), ("性别", 6), ("出生日期", 12), ("手机号码", 14),
                  ("状态", 10), ("所在工会", 30), ("工作单位", 30), ("职业群体", 12), ("政治面貌", 10), ("学历", 14))
SYNC_LIMIT = 2000  # more rows than this are built by the task worker and offered in the download centre
BATCH = 5000
KIND = "members"
STATUS_LABEL = dict(Membership.Status.choices)
EDUCATION_LABEL = dict(Education.choices)
FILTER_LABELS = {"q": "搜索", "union": "工会", "occupation": "职业群体", "political": "政治面貌",
                 "joined_from": "入会日期从", "joined_to": "入会日期至", "enterprise": "工作单位", "status": "状态"}




def phones_visible(user: Any, people: list[Person]) -> set[int]:
    """Which of these people's mobiles `user` may see in full in a list: those whose ID number they may reveal
    (the reveal_id action, through the person's current union); everyone else's mobile is masked like the
    API's. One query (the user's reveal_id subtrees, cached); the people come with current_union loaded."""
    paths = action_paths(user, Action.REVEAL_ID)
    if paths is None:
        return {p.pk for p in people}
    if not paths:
        return set()
    return {p.pk for p in people if p.current_union is not None
            and any(p.current_union.path.startswith(prefix) for prefix in paths)}


def may_unmask(user: Any) -> bool:
    return can(user, Action.EXPORT_UNMASKED)


def _unmasked_scope(user: Any, qs: Any, *, former: bool = False) -> Any:
    """Rows an unmasked export may hold: those on which the user holds export_unmasked (through the person's
    current union; for former members, through the membership they had)."""
    if not may_unmask(user):
        return qs.none()
    clear = scope_q(user, Person, action=Action.EXPORT_UNMASKED,
                    via=("memberships__union",) if former else ("current_union",))
    return qs if clear is None else qs.filter(clear)


def describe(f: MemberFilters, *, union_name: str = "", enterprise_name: str = "") -> str:
    """The filters as a cadre reads them; a searched ID number or mobile is masked (this goes to the audit
    log and the download centre)."""
    from gonghui.core.identifiers import mask_id, parse_id_number

    from .forms import is_sensitive_query

    parts = []
    for key, value in vars(f).items():
        if key == "ids":
            if value:
                parts.append(f"勾选的 {len(value)} 人")
            continue
        if value in ("", None):
            continue
        if key == "q" and is_sensitive_query(value):
            try:
                value = mask_id(parse_id_number("".join(value.split())).number)
            except ValueError:
                value = "".join("*" if ch.isdigit() and 3 <= i < len(value) - 4 else ch for i, ch in enumerate(value))
        elif key == "union" and union_name:
            value = union_name
        elif key == "enterprise" and enterprise_name:
            value = enterprise_name
        elif key == "status":
            value = dict(MEMBER_STATUSES).get(value, value)
        parts.append(f"{FILTER_LABELS.get(key, key)}={value}")
    return "；".join(parts) or "全部"


def export_count(*, user: Any, filters: MemberFilters, unmasked: bool) -> int:
    qs = member_list(user=user, filters=filters)
    return int((_unmasked_scope(user, qs, former=filters.status == "former") if unmasked else qs).count())


def _audit(*, user: Any, n: int, unmasked: bool, description: str, reason: str, background: bool) -> None:
    how = "完整身份证号码和手机号码" if unmasked else "身份证号码和手机号码已打码"
    where = "，后台生成" if background else ""
    why = f"，原因：{reason}" if reason else ""
    audit_access(actor=user, obj=None, model=Person, what=f"导出会员名册{n}条（{how}{where}），条件：{description}{why}")


def export_rows(*, user: Any, filters: MemberFilters, unmasked: bool,
                progress: Callable[[int], None] | None = None) -> Iterator[list[Any]]:
    """The export's rows, streamed: primary-key batches of BATCH (the list's own order, newest first), each
    batch's ID numbers decrypted together. Scope-checked through member_list."""
    qs = member_list(user=user, filters=filters)
    former = filters.status == "former"
    if unmasked:
        qs = _unmasked_scope(user, qs, former=former)
    fields = ["pk", "member_no", "name", "id_cipher" if unmasked else "id_masked", "sex", "birth_date", "phone",
              "m_union" if former else "current_union__name", "employer_name", "occupation", "political", "education"]
    if former:
        fields.append("m_status")
    base = qs.values_list(*fields)
    decrypt = crypto.decrypt
    last: int | None = None
    done = 0
    while True:
        batch_qs = base if last is None else base.filter(pk__lt=last)
        batch = list(batch_qs.order_by("-pk")[:BATCH])
        if not batch:
            return
        last = batch[-1][0]
        if former:
            statuses = {r[0]: r[12] for r in batch}
        else:  # an open membership is 在会 for nearly everyone: one query per batch finds the few others
            statuses = dict(Membership.objects.filter(
                person_id__in=[r[0] for r in batch], status__in=(Membership.Status.PENDING, Membership.Status.RETAINED),
            ).values_list("person_id", "status"))
        for r in batch:
            ident = decrypt(r[3]) if unmasked else r[3]
            phone = r[6] if unmasked else mask_phone(r[6])
            yield [r[1] or "", r[2], ident, r[4], r[5], phone,
                   STATUS_LABEL.get(statuses.get(r[0], Membership.Status.ACTIVE), ""), r[7] or "", r[8], r[9], r[10],
                   EDUCATION_LABEL.get(r[11], r[11])]
        done += len(batch)
        if progress is not None:
            progress(done)


def export_filename() -> str:
    return f"会员名册-{timezone.localdate():%Y%m%d}.xlsx"


def _unmasked_reason(reason: str) -> str:
    # the one rule for every reject / revoke / removal / unmasked export
    return require_reason(reason, "导出完整身份证号码须填写原因")


def member_export(*, user: Any, filters: MemberFilters, unmasked: bool = False, reason: str = "",
                  description: str = "") -> tuple[bytes, int]:
    """A small export built at once: xlsx bytes and the row count. Scope-checked; an unmasked export is only
    what the user's export_unmasked permission covers (the view asked for the reason). Audited."""
    unmasked = unmasked and may_unmask(user)
    if unmasked:
        reason = _unmasked_reason(reason)
    n = export_count(user=user, filters=filters, unmasked=unmasked)
    _audit(user=user, n=n, unmasked=unmasked, description=description or describe(filters), reason=reason,
           background=False)
    buf = io.BytesIO()
    xlsx_stream(buf, EXPORT_COLUMNS, export_rows(user=user, filters=filters, unmasked=unmasked), sheet="会员名册")
    return buf.getvalue(), n


def member_export_start(*, user: Any, filters: MemberFilters, unmasked: bool = False, reason: str = "",
                        description: str = "", rows_total: int | None = None) -> ExportJob:
    """A large export as a download-centre job (built by the task worker as `user`, scope applied then).
    Audited now, with the reason; the download is audited again."""
    unmasked = unmasked and may_unmask(user)
    if unmasked:
        reason = _unmasked_reason(reason)
    n = rows_total if rows_total is not None else export_count(user=user, filters=filters, unmasked=unmasked)
    description = description or describe(filters)
    _audit(user=user, n=n, unmasked=unmasked, description=description, reason=reason, background=True)
    return export_job_create(
        actor=user, kind=KIND, title="会员名册" + ("（含完整身份证号码）" if unmasked else ""), description=description,
        params={"filters": filters.as_params(), "unmasked": unmasked}, filename=export_filename(), rows_total=n,
        sensitive=unmasked, reason=reason)


def build_export(*, job: ExportJob, params: dict[str, Any], target: Any, progress: Callable[[int], None],
                 tmpdir: str | None = None) -> int:
    """The download centre's builder for kind "members" (registered in MembersConfig.ready)."""
    user = job.created_by
    filters = MemberFilters.from_params(params["filters"])
    unmasked = bool(params.get("unmasked")) and may_unmask(user)
    rows = export_rows(user=user, filters=filters, unmasked=unmasked, progress=progress)
    return xlsx_stream(target, EXPORT_COLUMNS, rows, sheet="会员名册", tmpdir=tmpdir)
