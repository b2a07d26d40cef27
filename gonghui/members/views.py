"""Members console: list, detail with history, ID reveal, membership changes, transfers, approvals, roster
import, export and 入会率. Thin: parse, call a selector or service, render. Out of scope = 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_ratelimit.core import is_ratelimited

from gonghui.accounts.permissions import Action, can
from gonghui.core.audit import audit_access
from gonghui.core.dialogs import dialog, dialog_done, write_or_errors
from gonghui.core.identifiers import mask_phone
from gonghui.core.paging import paginate
from gonghui.orgs.models import Union
from gonghui.orgs.policy import granted  # the shell's one query per request: the actions held anywhere
from gonghui.orgs.scope import allowed, path_in_scope, permission, require, scoped

from . import exports, selectors, services
from .forms import (
    BatchDecideForm,
    ChangeForm,
    DecideForm,
    ExportForm,
    MemberAddForm,
    MemberFilterForm,
    RevealForm,
    TransferInForm,
    is_sensitive_query,
    without_sensitive_q,
)
from .models import IdentityClaim, Membership, Person, TransferRequest

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _member_unions(user: Any, action: str = Action.VIEW) -> list[Union]:
    """Unions on which `user` holds `action` that take members directly."""
    return list(Union.objects.visible_to(user, action).filter(kind__in=(Union.Kind.SINGLE, Union.Kind.JOINT,
                                                               Union.Kind.FEDERATION)).order_by("name"))


@login_required
@require_http_methods(["GET", "POST"])
def member_list(request: HttpRequest) -> HttpResponse:
    """The member list. The search form posts, so a typed ID or mobile number never enters a URL (nor an access
    log): it is kept in the session and the URL carries an opaque `qk`. An invalid filter is shown as an error
    beside its field and lists nothing."""
    if request.method == "POST" or is_sensitive_query(request.GET.get("q", "")):
        query, _ = without_sensitive_q(request.POST if request.method == "POST" else request.GET, request.session)
        return redirect(f"{reverse('members:list')}?{query.urlencode()}")
    form = MemberFilterForm(request.GET, user=request.user, session=request.session)
    context = _list_context(request, form)
    return render(request, "members/list.html", context, status=200 if form.is_valid() else 400)


def _list_context(request: HttpRequest, form: MemberFilterForm) -> dict[str, Any]:
    if form.is_valid():
        qs = selectors.member_list(user=request.user, filters=form.filters())
        query = form.url_query()
    else:
        qs, query = Person.objects.none(), ""
    listing = paginate(request, qs, sort=selectors.MEMBER_SORT, base=query)
    page = listing.page
    shown = exports.phones_visible(request.user, list(page))
    for p in page:
        p.phone_shown = p.phone if p.pk in shown else mask_phone(p.phone)  # type: ignore[attr-defined]
        p.status_label = exports.STATUS_LABEL.get(getattr(p, "m_status", "") or "", "")  # type: ignore[attr-defined]
    search_text = (form.cleaned_data.get("q") if form.is_valid() else form.data.get("q")) or ""
    pending = form.is_valid() and form.cleaned_data.get("status") == "pending"
    return {"form": form, "page": page, "listing": listing, "enterprise": form.enterprise_obj, "query": query,
            "batch": pending and can(request.user, Action.APPROVE), "can_add": Action.CHANGE in granted(request.user),
            "search_text": search_text,
            "can_unmask": exports.may_unmask(request.user), "former": form.is_valid() and
            form.cleaned_data.get("status") == "former"}


@login_required
@require_http_methods(["GET", "POST"])
def member_export(request: HttpRequest) -> HttpResponse:
    """GET: the export dialog (how many rows, the filters, masked or — with a reason and a confirmation — not);
    POST: the export itself, at once up to exports.SYNC_LIMIT rows, else a download-centre job. An invalid
    filter is the list page with its errors: nothing is exported."""
    data = request.POST if request.method == "POST" else request.GET
    wants_unmasked = data.get("unmasked") in ("1", "on")
    if wants_unmasked:
        require(request.user, Action.EXPORT_UNMASKED)  # 403 before anything is counted or logged
    if request.method == "GET" and is_sensitive_query(data.get("q", "")):
        query, _ = without_sensitive_q(data, request.session)
        return redirect(f"{reverse('members:export')}?{query.urlencode()}")
    form = MemberFilterForm(data, user=request.user, session=request.session)
    if not form.is_valid():
        return render(request, "members/list.html", _list_context(request, form), status=400)
    filters = form.filters()
    may_unmask = exports.may_unmask(request.user)
    export_form = ExportForm(request.POST if request.method == "POST" else None, may_unmask=may_unmask,
                             initial={"unmasked": wants_unmasked})
    description = exports.describe(filters, union_name=form.union_obj.name if form.union_obj else "",
                                   enterprise_name=form.enterprise_obj.name if form.enterprise_obj else "")
    if request.method == "POST" and export_form.is_valid():
        unmasked = bool(export_form.cleaned_data["unmasked"])
        reason = export_form.cleaned_data["reason"].strip()
        n = exports.export_count(user=request.user, filters=filters, unmasked=unmasked)
        if n > exports.SYNC_LIMIT:
            exports.member_export_start(user=request.user, filters=filters, unmasked=unmasked, reason=reason,
                                        description=description, rows_total=n)
            messages.success(request, f"共 {n:,} 条，正在后台生成，完成后可在下载中心下载")
            return redirect("downloads:list")
        content, _n = exports.member_export(user=request.user, filters=filters, unmasked=unmasked, reason=reason,
                                            description=description)
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(exports.export_filename())}"
        response["Cache-Control"] = "no-store"
        return response
    query = QueryDict(form.url_query())
    return render(request, "members/export.html", {
        "form": form, "export_form": export_form, "hidden": [(k, v) for k, vs in query.lists() for v in vs],
        "count": exports.export_count(user=request.user, filters=filters, unmasked=False), "description": description,
        "may_unmask": may_unmask, "sync_limit": exports.SYNC_LIMIT, "query": query.urlencode(),
    }, status=400 if request.method == "POST" else 200)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@login_required
@require_http_methods(["GET", "POST"])
@permission(Action.CHANGE)
def member_new(request: HttpRequest) -> HttpResponse:
    """新增会员: one person into a union where the user holds `change`, through `services.member_add` (the join's
    own path). An ID number already on file is said so, with a link to the person when the user sees them."""
    user = request.user
    form = MemberAddForm(request.POST or None, unions=Union.objects.visible_to(user, Action.CHANGE))
    existing: Person | None = None
    existing_hidden = False
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        union = Union.objects.get_visible(user, action=Action.CHANGE, pk=d["union"])

        def add() -> Any:
            try:
                return services.member_add(actor=user, union=union, name=d["name"], id_number=d["id_number"],
                                           phone=d["phone"], employer_text=d.get("employer") or "",
                                           occupation=d["occupation"], joined_on=d.get("joined_on"))
            except services.MemberExists as exc:
                nonlocal existing, existing_hidden
                existing = Person.objects.visible_to(user).filter(pk=exc.person.pk).first()
                existing_hidden = existing is None
                raise

        result = write_or_errors(form, add)
        if result is not None:
            return dialog_done(request, reverse("members:detail", args=[result.person.pk]),
                               f"已新增会员“{result.person.name}”（{union.name}）")
    return dialog(request, "members/_member_form.html", {
        "form": form, "title": "新增会员", "action": reverse("members:new"), "existing": existing,
        "existing_hidden": existing_hidden}, invalid=request.method == "POST")


@login_required
@require_safe
@scoped(Person, pk="pk", related=("current_union", "employer"))
def member_detail(request: HttpRequest, person: Person) -> HttpResponse:
    membership = selectors.open_membership(person=person)
    pending = TransferRequest.objects.filter(person=person, status=TransferRequest.Status.PENDING).select_related(
        "to_union").first()
    return render(request, "members/detail.html", {
        "person": person, "membership": membership, "pending_transfer": pending,
        "history": selectors.member_history(user=request.user, person=person),
        "change_form": ChangeForm(),
        "can_write": membership is not None and allowed(request.user, Action.CHANGE, membership),
        "can_reveal": allowed(request.user, Action.REVEAL_ID, person),
    })


@login_required
@scoped(Person, action=Action.REVEAL_ID, pk="pk")
def member_reveal(request: HttpRequest, person: Person) -> HttpResponse:
    """显示完整号码: GET gives the reason form, POST (with a reason) shows the number once, audited."""
    form = RevealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            number = services.id_reveal(actor=request.user, person=person, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error("reason", exc)
        else:
            response = render(request, "members/_reveal.html", {"person": person, "number": number})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "members/_reveal.html", {"person": person, "form": form})


@login_required
@require_POST
@scoped(Person, action=Action.CHANGE, pk="pk")
def member_change(request: HttpRequest, person: Person) -> HttpResponse:
    pk = person.pk
    membership = Membership.objects.get_visible(request.user, action=Action.CHANGE, person=person,
                                                status__in=Membership.OPEN)
    form = ChangeForm(request.POST)
    if form.is_valid():
        try:
            services.membership_change(actor=request.user, membership=membership, kind=form.cleaned_data["kind"],
                                       reason=form.cleaned_data["reason"], on=form.cleaned_data["on"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "会籍变动已办理")
            if not Person.objects.visible_to(request.user).filter(pk=pk, current_union__isnull=False).exists():
                return redirect("members:list")
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("members:detail", pk=pk)


@login_required
@require_safe
def transfer_inbox(request: HttpRequest) -> HttpResponse:
    inbox = selectors.transfer_inbox(user=request.user)
    scope = Union.objects.visible_to(request.user).values("pk")
    return render(request, "members/transfers.html", {
        "incoming": inbox.filter(from_union__in=scope),
        "outgoing": inbox.filter(to_union__in=scope),
        "recent": selectors.transfer_outbox(user=request.user).exclude(status=TransferRequest.Status.PENDING)[:30],
        "can_write": can(request.user, Action.CHANGE),
        "can_approve": can(request.user, Action.APPROVE),
    })


@login_required
@require_POST
@scoped(TransferRequest, action=Action.APPROVE, pk="pk", arg="transfer", related=("from_union",))
def transfer_decide(request: HttpRequest, transfer: TransferRequest) -> HttpResponse:
    """The origin's decision: `approve` on the transfer here, on its origin union in transfer_decide (403)."""
    return _decide(request, lambda **kw: services.transfer_decide(transfer=transfer, **kw),
                   lambda approve: f"已{'同意' if approve else '拒绝'}转会申请", "members:transfers")


@login_required
@permission(Action.CHANGE)
def transfer_in(request: HttpRequest) -> HttpResponse:
    """办理转入: the destination names a person by full ID number and name and asks the origin to release them.
    The answer never reveals who holds a number (see TransferInForm); every look-up is audited (masked) and
    each cadre's look-ups are rate-limited (GONGHUI_TRANSFER_LOOKUP_RATE, default 30 an hour)."""
    form = TransferInForm(request.POST or None, unions=Union.objects.visible_to(request.user, Action.CHANGE))
    status = 200
    if request.method == "POST":
        rate = getattr(settings, "GONGHUI_TRANSFER_LOOKUP_RATE", "30/h")
        if is_ratelimited(request, group="transfer-in-lookup", key="user", rate=rate, increment=True):
            form.is_valid()
            form.errors.clear()
            form.add_error(None, "查询过于频繁，请稍后再试")
            return render(request, "members/transfer_in.html", {"form": form}, status=429)
        valid = form.is_valid()
        if form.masked:
            audit_access(actor=request.user, obj=form.person, model=Person, what=(
                f"办理转入核对身份证号码{form.masked}：" + ("相符" if form.person is not None else "未找到相符的在会会员")))
        if valid and form.person is not None:
            person = form.person
            to_union = Union.objects.get_visible(request.user, action=Action.CHANGE,
                                                pk=form.cleaned_data["to_union"])
            try:
                t = services.transfer_request(actor=request.user, person=person, to_union=to_union,
                                              reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                origin = t.from_union.name if path_in_scope(request.user, t.from_union.path) else "原工会"
                messages.success(request, f"已向{origin}发出{person.name}（{person.id_masked}）的转会申请，"
                                          f"对方 7 天内未处理将自动完成")
                return redirect("members:transfers")
        status = 400
    return render(request, "members/transfer_in.html", {"form": form}, status=status)


@login_required
@require_safe
def approvals(request: HttpRequest) -> HttpResponse:
    return render(request, "members/approvals.html", {
        "pending": selectors.pending_joins(user=request.user)[:200],
        "claims": selectors.identity_claims(user=request.user)[:200],
        "can_write": can(request.user, Action.APPROVE),
    })


@login_required
@permission(Action.APPROVE)  # before require_POST: a GET without the action is a 403 like any other
@require_POST
def join_batch(request: HttpRequest) -> HttpResponse:
    """批量审核 from the member list (状态 = 待审核): the ticked applicants are approved, or rejected with a reason,
    one by one through `join_decide` — each its own transaction, scope- and permission-checked, audited. Only
    pending applications in unions where the user holds `approve` are decided; the others are counted apart."""
    form = BatchDecideForm(request.POST)
    back = QueryDict(request.POST.get("back", ""))  # the list's own query string, re-encoded (never a URL)
    target = f"{reverse('members:list')}?{back.urlencode()}"
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(target)
    ids, approve = form.cleaned_data["ids"], form.cleaned_data["approve"]
    reason = form.cleaned_data["reject_reason"].strip() if not approve else ""
    pending = selectors.pending_joins(user=request.user, action=Action.APPROVE).filter(person_id__in=ids)
    done = refused = 0
    for membership in pending:
        try:
            services.join_decide(actor=request.user, membership=membership, approve=approve, reason=reason)
        except ValidationError:
            refused += 1
        else:
            done += 1
    skipped = len(ids) - done
    verb = "通过" if approve else "不通过"
    text = f"已审核{verb} {done} 人的入会申请"
    if skipped:
        text += f"；{skipped} 人未处理（已处理、不在待审核中或不属您审批）"
    (messages.success if done else messages.warning)(request, text)
    return redirect(target)


@login_required
@require_POST
@scoped(Membership, action=Action.APPROVE, pk="pk")
def join_decide(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _decide(request, lambda **kw: services.join_decide(membership=membership, **kw),
                   lambda approve: "已审核", "members:approvals")


@login_required
@require_POST
@scoped(IdentityClaim, action=Action.APPROVE, pk="pk", related=("union", "person"))
def identity_claim_decide(request: HttpRequest, identityclaim: IdentityClaim) -> HttpResponse:
    return _decide(request, lambda **kw: services.identity_claim_decide(claim=identityclaim, **kw),
                   lambda approve: "已核实，登记手机已更新并短信通知职工" if approve else "已退回该核实申请",
                   "members:approvals")


def _decide(request: HttpRequest, decide: Callable[..., Any], done: Callable[[bool], str], target: str) -> HttpResponse:
    """Approve or reject through `decide(actor=…, approve=…, reason=…)`; a refused decision becomes a message."""
    form = DecideForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        decide(actor=request.user, approve=form.cleaned_data["approve"], reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, done(form.cleaned_data["approve"]))
    return redirect(target)


# ---------------------------------------------------------------- 入会率


@login_required
@require_safe
def rates(request: HttpRequest) -> HttpResponse:
    township = request.GET.get("township", "")
    township_id = int(township) if township.isdigit() and len(township) <= 18 else None  # beyond a bigint: no such node
    qs = selectors.enterprise_rates(user=request.user, township=township_id,
                                    q=request.GET.get("q", ""), order=request.GET.get("order", "rate"))
    listing = paginate(request, qs)
    return render(request, "members/rates.html", {
        "townships": selectors.township_rates(user=request.user), "page": listing.page, "listing": listing,
        "township": township, "q": request.GET.get("q", ""), "order": request.GET.get("order", "rate"),
        "list_url": reverse("members:list"),
    })
