"""Members console: list, detail with history, ID reveal, membership changes, transfers, approvals, roster
import, export and 入会率. Thin: parse, call a selector or service, render. Out of scope = 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from gonghui.accounts.permissions import Action, can
from gonghui.orgs.models import Enterprise, Union
from gonghui.orgs.scope import allowed, permission, require, scoped

from . import exports, selectors, services
from .forms import ChangeForm, DecideForm, MemberFilterForm, RevealForm, TransferInForm
from .models import Membership, Person, TransferRequest

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filter_unions(user: Any) -> list[Union]:
    """Townships and federations in scope (the subtree filters of the member list)."""
    return list(Union.objects.visible_to(user).filter(kind__in=(Union.Kind.DISTRICT, Union.Kind.TOWNSHIP,
                                                               Union.Kind.FEDERATION)).order_by("path"))


def _member_unions(user: Any, action: str = Action.VIEW) -> list[Union]:
    """Unions on which `user` holds `action` that take members directly."""
    return list(Union.objects.visible_to(user, action).filter(kind__in=(Union.Kind.SINGLE, Union.Kind.JOINT,
                                                               Union.Kind.FEDERATION)).order_by("name"))


@login_required
@require_safe
def member_list(request: HttpRequest) -> HttpResponse:
    form = MemberFilterForm(request.GET or None, unions=_filter_unions(request.user))
    filters = form.filters()
    qs = selectors.member_list(user=request.user, filters=filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    enterprise = (Enterprise.objects.visible_to(request.user).filter(pk=filters.enterprise).first()
                  if filters.enterprise else None)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "members/list.html", {
        "form": form, "page": page, "enterprise": enterprise, "query": query.urlencode(),
        "can_unmask": can(request.user, Action.EXPORT_UNMASKED),
    })


@login_required
@require_safe
def member_export(request: HttpRequest) -> HttpResponse:
    form = MemberFilterForm(request.GET or None, unions=_filter_unions(request.user))
    unmasked = request.GET.get("unmasked") == "1"
    if unmasked:
        require(request.user, Action.EXPORT_UNMASKED)
    data, _n = exports.member_export(user=request.user, filters=form.filters(), unmasked=unmasked)
    response = HttpResponse(data, content_type=XLSX)
    name = f"会员名册-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


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
    services.transfer_complete_due()
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
    """办理转入: the destination finds a person by full ID number and asks the origin to release them."""
    form = TransferInForm(request.POST or None, unions=_member_unions(request.user, Action.CHANGE))
    if request.method == "POST" and form.is_valid():
        to_union = Union.objects.get_visible(request.user, action=Action.CHANGE, pk=form.cleaned_data["to_union"])
        person = services.person_lookup(form.cleaned_data["id_number"])
        if person is None:
            form.add_error("id_number", "系统中没有该身份证号码的会员，请直接办理入会")
        else:
            try:
                t = services.transfer_request(actor=request.user, person=person, to_union=to_union,
                                              reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"已向{t.from_union.name}发出{person.name}（{person.id_masked}）的转会申请，"
                                          f"对方 7 天内未处理将自动完成")
                return redirect("members:transfers")
    return render(request, "members/transfer_in.html", {"form": form})


@login_required
@require_safe
def approvals(request: HttpRequest) -> HttpResponse:
    return render(request, "members/approvals.html", {
        "pending": selectors.pending_joins(user=request.user)[:200],
        "can_write": can(request.user, Action.APPROVE),
    })


@login_required
@require_POST
@scoped(Membership, action=Action.APPROVE, pk="pk")
def join_decide(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _decide(request, lambda **kw: services.join_decide(membership=membership, **kw),
                   lambda approve: "已审核", "members:approvals")


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
    qs = selectors.enterprise_rates(user=request.user, township=int(township) if township.isdigit() else None,
                                    q=request.GET.get("q", ""), order=request.GET.get("order", "rate"))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "members/rates.html", {
        "townships": selectors.township_rates(user=request.user), "page": page, "query": query.urlencode(),
        "township": township, "q": request.GET.get("q", ""), "order": request.GET.get("order", "rate"),
        "list_url": reverse("members:list"),
    })
