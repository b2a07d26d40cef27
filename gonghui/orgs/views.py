"""The cadre console for the organisation tree and enterprises. Views only parse, call a selector, service
or importer, and render; every read goes through `visible_to`, so anything outside scope is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from gonghui.accounts.permissions import Action
from gonghui.core.audit import audit_access
from gonghui.core.dialogs import dialog, dialog_done, write_or_errors
from gonghui.core.excel import xlsx_bytes
from gonghui.core.paging import Listing, paginate

from . import selectors, services
from .forms import PARENT_KINDS, EnterpriseFilterForm, EnterpriseForm, UnionFilterForm, UnionForm, UnionMoveForm
from .models import Enterprise, Union
from .policy import granted  # the shell's one query per request: the actions held anywhere
from .scope import allowed, path_in_scope, permission, scoped

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_response(data: bytes, stem: str) -> HttpResponse:
    """An xlsx download named in Chinese (RFC 5987 filename*), e.g. 企业名录-20261124.xlsx."""
    filename = f"{stem}-{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def _listing_context(listing: Listing) -> dict[str, Any]:
    return {"listing": listing, "page": listing.page, "qs": listing.query}


# ---------------------------------------------------------------- tree


def _offset(request: HttpRequest, name: str = "offset") -> int:
    """A non-negative slice start from the query string (garbage and negatives are 0; capped far below any
    database integer bound)."""
    try:
        return max(0, min(int(request.GET.get(name, "0")), 10**9))
    except ValueError:
        return 0


@login_required
@require_safe
def tree(request: HttpRequest) -> HttpResponse:
    """组织树: the user's roots with their first level open (100 children at a time, then 加载更多); deeper levels
    load on click (htmx)."""
    roots = list(selectors.union_roots(user=request.user))
    nodes = selectors.union_tree_nodes(user=request.user, nodes=roots)
    if len(nodes) == 1 and nodes[0]["has_children"]:
        part = selectors.union_child_slice(user=request.user, parent=roots[0])
        nodes[0]["children"], nodes[0]["part"] = part.nodes, part
    q = request.GET.get("q", "").strip()[:60]
    found = selectors.with_parents(selectors.union_search(user=request.user, q=q)) if q else []
    return render(request, "orgs/tree.html", {"nodes": nodes, "q": q, "found": found})


@login_required
@require_safe
@scoped(Union, pk="pk")
def tree_children(request: HttpRequest, union: Union) -> HttpResponse:
    """The children of one node, 100 at a time: the whole level (`<ul>`) at offset 0, else only the next items
    (`<li>`s, which replace the 加载更多 item that asked for them)."""
    offset = _offset(request)
    part = selectors.union_child_slice(user=request.user, parent=union, offset=offset)
    template = "orgs/_tree_items.html" if offset else "orgs/_tree_nodes.html"
    return render(request, template, {"nodes": part.nodes, "part": part})


# ---------------------------------------------------------------- unions

UNION_EXPORT_COLUMNS = [("工会名称", 34), ("统一社会信用代码", 22), ("类型", 14), ("上级工会", 30), ("所在镇街", 12),
                        ("工会主席", 10), ("联系电话", 14), ("成立日期", 12), ("状态", 10)]


@login_required
@require_safe
def union_list(request: HttpRequest) -> HttpResponse:
    """工会名录 with filters (类型, 状态, 名称/代码), 50 a page; `?export=xlsx` exports every match."""
    form = UnionFilterForm(request.GET)
    q, kind, status = form.filters()
    qs = selectors.union_list(user=request.user, q=q, kind=kind, status=status).order_by(
        *selectors.UNION_SORT.order_by(request.GET.get("sort")))
    if request.GET.get("export") == "xlsx":
        unions = selectors.with_parents(list(qs))
        rows = [
            [u.name, u.code or "", u.get_kind_display(), u.parent_name, u.region.name if u.region else "", u.chair,
             u.contact_phone, u.founded_on, u.get_status_display()]
            for u in unions
        ]
        audit_access(actor=request.user, obj=None, model=Union, what=f"导出工会名录 {len(rows)} 条")
        return _xlsx_response(xlsx_bytes(UNION_EXPORT_COLUMNS, rows, sheet="工会名录"), "工会名录")
    listing = paginate(request, qs, sort=selectors.UNION_SORT)
    selectors.with_parents(list(listing.page.object_list))
    context = {"form": form, **_listing_context(listing), "can_add": Action.CHANGE in granted(request.user)}
    template = "orgs/_union_table.html" if request.htmx else "orgs/union_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@require_safe
@scoped(Union, pk="pk", related=("region",))
def union_detail(request: HttpRequest, union: Union) -> HttpResponse:
    """工会详情. Its 下级工会 and 覆盖企业 lists show 100 rows at a time: `?offset=` / `?cov_offset=` start a list
    further on (a plain link), and with `&part=children|coverages` an htmx request gets only the next rows."""
    user = request.user
    wanted = request.GET.get("part") if request.htmx else None  # type: ignore[attr-defined]
    if wanted == "children" and union.numchild:
        more = selectors.union_child_slice(user=user, parent=union, offset=_offset(request))
        return render(request, "orgs/_union_children_rows.html", {"union": union, "part": more})
    if wanted == "coverages" and union.is_grassroots:
        firms = selectors.union_coverage_slice(user=user, union=union, offset=_offset(request, "cov_offset"))
        return render(request, "orgs/_union_coverage_rows.html", {"union": union, "cov": firms})
    part = selectors.union_child_slice(user=user, parent=union, offset=_offset(request)) if union.numchild else None
    cov = (selectors.union_coverage_slice(user=user, union=union, offset=_offset(request, "cov_offset"))
           if union.is_grassroots else None)
    crumbs = selectors.union_breadcrumbs(user=user, union=union)
    move_form = None
    if union.depth > 1 and allowed(user, Action.MOVE, union):
        targets = selectors.move_targets(user=user, union=union)
        move_form = UnionMoveForm(targets=targets) if targets else None
    context = {
        "union": union,
        "crumbs": crumbs,
        "parent_visible": bool(crumbs) and crumbs[-1].depth == union.depth - 1,
        "committees": selectors.union_committees(user=user, union=union),
        "cov": cov,
        "part": part,
        "move_form": move_form,
        "can_edit": allowed(user, Action.CHANGE, union),
        "can_add_child": union.kind in PARENT_KINDS and allowed(user, Action.CHANGE, union),
    }
    return render(request, "orgs/union_detail.html", context)


@login_required
@require_POST
@scoped(Union, action=Action.MOVE, pk="pk")
def union_move(request: HttpRequest, union: Union) -> HttpResponse:
    """移动: whoever holds `move` on the union (区总, 镇街) moves it under another parent they hold `move` on.
    Audited."""
    user = request.user
    pk = union.pk
    form = UnionMoveForm(request.POST, targets=selectors.move_targets(user=user, union=union))
    if not form.is_valid():
        messages.error(request, "请选择新的上级工会（须在您的管辖范围内）")
        return redirect("orgs:union_detail", pk=pk)
    new_parent = form.targets[form.cleaned_data["new_parent"]]
    try:
        services.union_move(actor=user, union=union, new_parent=new_parent)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已将“{union.name}”移动到“{new_parent.name}”之下")
    return redirect("orgs:union_detail", pk=pk)


# ---------------------------------------------------------------- enterprises

ENTERPRISE_EXPORT_COLUMNS = [("统一社会信用代码", 22), ("单位名称", 36), ("所在镇街", 12), ("单位地址", 36),
                             ("所属行业", 12), ("参保人数", 10), ("经营状态", 10), ("是否建会", 10),
                             ("覆盖工会", 34), ("覆盖工会统一社会信用代码", 24), ("更新时间", 18)]


@login_required
@require_safe
def enterprise_list(request: HttpRequest) -> HttpResponse:
    """企业名录: 镇街, 已建会/未建会, 25人以上, 经营状态, 名称/代码; sorted; 50 a page; `?export=xlsx`."""
    townships = selectors.township_options(user=request.user)
    form = EnterpriseFilterForm(request.GET, townships=townships)
    qs = selectors.enterprise_list(user=request.user, filters=form.filters())
    if request.GET.get("export") == "xlsx":
        rows = [
            [e.uscc, e.name, e.region.name if e.region else e.territory.name.removesuffix("总工会"), e.address,
             e.industry, e.headcount, e.get_status_display(), "已建会" if e.covering_union_id else "未建会",
             e.covering_union.name if e.covering_union else "",
             (e.covering_union.code or "") if e.covering_union else "", timezone.localtime(e.updated_at)]
            for e in qs.iterator(chunk_size=2000)
        ]
        audit_access(actor=request.user, obj=None, model=Enterprise, what=f"导出企业名录 {len(rows)} 条")
        return _xlsx_response(xlsx_bytes(ENTERPRISE_EXPORT_COLUMNS, rows, sheet="企业名录"), "企业名录")
    listing = paginate(request, qs, sort=selectors.ENTERPRISE_SORT)
    context = {"form": form, **_listing_context(listing), "townships": townships,
               "can_add": Action.CHANGE in granted(request.user)}
    template = "orgs/_enterprise_table.html" if request.htmx else "orgs/enterprise_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@require_safe
@scoped(Enterprise, pk="pk", arg="enterprise", related=("region", "territory", "covering_union"))
def enterprise_detail(request: HttpRequest, enterprise: Enterprise) -> HttpResponse:
    user = request.user
    history = list(selectors.enterprise_coverages(user=user, enterprise=enterprise))
    for c in history:
        c.union_visible = path_in_scope(user, c.union.path)
    context = {
        "e": enterprise,
        "history": history,
        "territory_visible": path_in_scope(user, enterprise.territory.path),
        "union_visible": enterprise.covering_union is not None
        and path_in_scope(user, enterprise.covering_union.path),
        "can_edit": allowed(user, Action.CHANGE, enterprise),
    }
    return render(request, "orgs/enterprise_detail.html", context)


# ---------------------------------------------------------------- 新增 / 编辑 dialogs (gonghui.core.dialogs)


@login_required
@require_http_methods(["GET", "POST"])
@permission(Action.CHANGE)
def union_new(request: HttpRequest) -> HttpResponse:
    """新增工会: under a parent the user holds `change` on (`?parent=` preselects one from a union's page)."""
    user = request.user
    initial: dict[str, Any] = {}
    parent_id = request.GET.get("parent", "")
    if parent_id.isdigit() and len(parent_id) <= 18:
        initial["parent"] = int(parent_id)
    form = UnionForm(request.POST or None, user=user, regions=selectors.region_options(user=user), initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        parent = Union.objects.get_visible(user, action=Action.CHANGE, pk=d["parent"])
        fields = form.service_fields()
        code = fields.pop("code")
        union = write_or_errors(form, lambda: services.union_add(actor=user, parent=parent, kind=d["kind"], code=code,
                                                        **fields))
        if union is not None:
            return dialog_done(request, reverse("orgs:union_detail", args=[union.pk]), f"已新增工会“{union.name}”")
    return dialog(request, "orgs/_union_form.html", {"form": form, "title": "新增工会",
                                                      "action": reverse("orgs:union_new")},
                   invalid=request.method == "POST")


@login_required
@require_http_methods(["GET", "POST"])
@scoped(Union, action=Action.CHANGE, pk="pk", related=("region",))
def union_edit(request: HttpRequest, union: Union) -> HttpResponse:
    """编辑工会: its plain fields; its parent is changed by 移动 on its page (the one move service)."""
    user = request.user
    form = UnionForm(request.POST or None, user=user, union=union, regions=selectors.region_options(user=user))
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        changed = write_or_errors(form, lambda: services.union_edit(actor=user, union=union,
                                                           reason=form.cleaned_data.get("reason") or "", **fields))
        if changed is not None:
            return dialog_done(request, reverse("orgs:union_detail", args=[union.pk]),
                         f"已保存“{union.name}”" if changed else "没有需要保存的修改")
    crumbs = selectors.union_breadcrumbs(user=user, union=union)
    parent = crumbs[-1] if crumbs and crumbs[-1].depth == union.depth - 1 else None
    return dialog(request, "orgs/_union_form.html", {
        "form": form, "title": f"编辑：{union.name}", "union": union, "parent": parent,
        "action": reverse("orgs:union_edit", args=[union.pk]),
        "can_move": union.depth > 1 and allowed(user, Action.MOVE, union)}, invalid=request.method == "POST")


def _enterprise_context(request: HttpRequest, form: EnterpriseForm, title: str, action: str) -> dict[str, Any]:
    context: dict[str, Any] = {"form": form, "title": title, "action": action, "enterprise": form.enterprise}
    existing = getattr(form, "existing", None)
    if existing is not None:
        context["existing"] = existing
    return context


@login_required
@require_http_methods(["GET", "POST"])
@permission(Action.CHANGE)
def enterprise_new(request: HttpRequest) -> HttpResponse:
    """新增企业: in a township the user holds `change` on; a USCC already registered links to that firm when the
    user sees it."""
    user = request.user
    townships = selectors.township_options(user=user, action=Action.CHANGE)
    form = EnterpriseForm(request.POST or None, user=user, townships=townships)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        code = d["uscc"]
        covering = (Union.objects.get_visible(user, action=Action.CHANGE, pk=d["covering_union"])
                    if d.get("covering_union") else None)
        ent = write_or_errors(form, lambda: services.enterprise_add(actor=user, uscc=code,
                                                           township=form.townships[d["township"]],
                                                           covering_union=covering, **form.service_fields()))
        if ent is not None:
            return dialog_done(request, reverse("orgs:enterprise_detail", args=[ent.pk]), f"已新增企业“{ent.name}”")
        form.existing = Enterprise.objects.visible_to(user).filter(uscc=code).first()  # type: ignore[attr-defined]
    return dialog(request, "orgs/_enterprise_form.html",
                   _enterprise_context(request, form, "新增企业", reverse("orgs:enterprise_new")),
                   invalid=request.method == "POST")


@login_required
@require_http_methods(["GET", "POST"])
@scoped(Enterprise, action=Action.CHANGE, pk="pk", arg="enterprise", related=("territory", "covering_union"))
def enterprise_edit(request: HttpRequest, enterprise: Enterprise) -> HttpResponse:
    """编辑企业: name, township (for a cadre holding `change` on both townships), address, industry, headcount,
    status, founding date, covering union."""
    user = request.user
    townships = selectors.township_options(user=user, action=Action.CHANGE)
    form = EnterpriseForm(request.POST or None, user=user, townships=townships, enterprise=enterprise)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        township = form.townships.get(d["township"]) or enterprise.territory
        covering = (Union.objects.get_visible(user, action=Action.CHANGE, pk=d["covering_union"])
                    if d.get("covering_union") else None)
        outcome = write_or_errors(form, lambda: services.enterprise_edit(actor=user, enterprise=enterprise, township=township,
                                                                covering_union=covering, **form.service_fields()))
        if outcome is not None:
            return dialog_done(request, reverse("orgs:enterprise_detail", args=[enterprise.pk]),
                         f"已保存“{enterprise.name}”" if outcome == "updated" else "没有需要保存的修改")
    return dialog(request, "orgs/_enterprise_form.html",
                   _enterprise_context(request, form, f"编辑：{enterprise.name}",
                                       reverse("orgs:enterprise_edit", args=[enterprise.pk])),
                   invalid=request.method == "POST")
