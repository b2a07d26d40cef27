"""扫码入会 pages: the public phone form, the e-card (session-bound), its SMS login and public verify page,
and, for cadres, the printable poster and a union's join settings / recruiters / funnel.

Thin views: the writes are members.services (scan_join, scan_join_complete, funnel_record, join_settings_save,
join_event_mode_set, recruiter_add), the reads members.selectors; the phone pages are plain HTML forms (no
Bootstrap JS) that work without JS.

A scan with an ID number already on file never shows a card at once: the browser goes to the verify step
(/join/<code>/verify/), where the code sent to the REGISTERED mobile proves the person; only then is the card
bound to this browser, and a member of another union is asked to confirm the transfer.
"""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from gonghui.accounts.permissions import Action
from gonghui.core.identifiers import normalize_code
from gonghui.core.public import public_url
from gonghui.orgs.models import Union
from gonghui.orgs.scope import allowed, scoped

from . import qr, selectors, services, sms
from .models import FunnelEvent, JoinSettings, Membership, Occupation, Person, Recruiter
from .ratelimits import distinct_limit_label, join_limited, sms_send_limited

SESSION_PERSON = "card_person_id"
SESSION_NEXT = "card_next"  # a worker's page (demands) that sent the browser to the phone login: back there after it
SESSION_OUTCOME = "join_outcome"
SESSION_PHONE_OK = "card_phone_verified"
SESSION_VERIFY = "join_verify"  # {union, index, p (person id when a code was really sent), ref}
SESSION_CONFIRM = "join_confirm"  # {union, person, recruiter, until}: proved, transfer not yet confirmed
CONFIRM_SECONDS = 600
VERIFY_SALT = "gonghui.card.verify"
VERIFY_MAX_AGE = 600  # seconds: a screenshot of the card stops verifying after 10 minutes
SCAN_COOKIE = "gh_scanned"


# ---------------------------------------------------------------- helpers


def _join_union(union_code: str) -> Union:
    """The union a public join URL names (by USCC): a grassroots union or a federation, not revoked."""
    union = Union.objects.select_related("join_settings").filter(code=normalize_code(union_code)).first()
    if union is None or union.status == Union.Status.REVOKED:
        raise Http404("工会不存在")
    if not union.is_grassroots and union.kind != Union.Kind.FEDERATION:
        raise Http404("该工会不直接接收会员")
    return union


def _recruiter(union: Union, ref: str) -> Recruiter | None:
    ref = (ref or "").strip().upper()[:16]
    return Recruiter.objects.filter(code=ref, union=union).first() if ref else None


def _bind_card(request: HttpRequest, person: Person) -> None:
    request.session.cycle_key()  # a fresh session id on every binding: no fixation of someone else's card
    request.session[SESSION_PERSON] = person.pk


def _after_login(request: HttpRequest) -> str:
    """Where the phone login goes once proved: back to the worker's page that asked for it (only a path of this
    site, set by our own views), else the card."""
    nxt = str(request.session.pop(SESSION_NEXT, "") or "")
    return nxt if nxt.startswith("/m/") else reverse("join:card")


def verify_token(person_id: int) -> str:
    return signing.dumps(person_id, salt=VERIFY_SALT, compress=False)


def mask_name(name: str) -> str:
    """张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]




# ---------------------------------------------------------------- the phone form


class JoinForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=30, error_messages={"required": "请填写姓名"})
    id_number = forms.CharField(label="身份证号", max_length=40, error_messages={"required": "请填写身份证号码"})
    phone = forms.CharField(label="手机", max_length=20, error_messages={"required": "请填写手机号码"})
    employer = forms.CharField(label="工作单位", max_length=120, required=False)
    occupation = forms.ChoiceField(label="职业群体", choices=Occupation.choices, initial=Occupation.OTHER)
    consent_privacy = forms.BooleanField(error_messages={"required": "请阅读并同意《个人信息处理规则》"})
    consent_sensitive = forms.BooleanField(error_messages={"required": "请单独同意处理您的身份证号码等敏感个人信息"})
    ref = forms.CharField(required=False, max_length=16, widget=forms.HiddenInput)


def _form_context(request: HttpRequest, union: Union, form: JoinForm, **extra: Any) -> dict[str, Any]:
    settings_row = services.join_settings_of(union)
    return {
        "union": union,
        "form": form,
        "employers": selectors.join_employers(union=union),
        "occupations": Occupation.choices,
        "closed": settings_row is not None and not settings_row.open,
        "requires_approval": settings_row is not None and settings_row.requires_approval,
        **extra,
    }


def join_form(request: HttpRequest, union_code: str) -> HttpResponse:
    """GET: the form (one funnel 'scan' per phone per day, via a cookie). POST: rate limits → validation →
    funnel 'submit' → services.scan_join → e-card, 待审核 or 转会 page."""
    union = _join_union(union_code)
    if request.method != "POST":
        ref = request.GET.get("ref", "")
        recruiter = _recruiter(union, ref)
        form = JoinForm(initial={"ref": recruiter.code if recruiter else ""})
        response = render(request, "members/join_form.html", _form_context(request, union, form))
        seen = request.COOKIES.get(SCAN_COOKIE, "").split(".")
        if str(union.pk) not in seen:
            services.funnel_record(union=union, recruiter=recruiter, stage=FunnelEvent.Stage.SCAN)
            response.set_cookie(SCAN_COOKIE, ".".join([*seen[-20:], str(union.pk)]).strip("."), max_age=86400,
                                httponly=True, samesite="Lax")
        return response

    form = JoinForm(request.POST)
    limited = join_limited(request, request.POST.get("id_number", ""), union_id=union.pk, event=_event_open(union))
    if limited:
        ctx = _form_context(request, union, form, error=limited)
        return render(request, "members/join_form.html", ctx, status=429)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return render(request, "members/join_form.html", _form_context(request, union, form, error=first), status=400)
    data = form.cleaned_data
    recruiter = _recruiter(union, data["ref"])
    services.funnel_record(union=union, recruiter=recruiter, stage=FunnelEvent.Stage.SUBMIT)
    try:
        result = services.scan_join(
            union=union, name=data["name"], id_number=data["id_number"], phone=data["phone"],
            employer_text=data["employer"], occupation=data["occupation"], recruiter=recruiter,
        )
    except ValidationError as exc:
        ctx = _form_context(request, union, form, error=exc.messages[0])
        return render(request, "members/join_form.html", ctx, status=400)
    if result.outcome == "verify":
        # Already on file: no card, no transfer, nothing said about the holder; the proof comes first.
        request.session.pop(SESSION_CONFIRM, None)
        request.session[SESSION_VERIFY] = {
            "union": union.pk, "index": result.person.id_index, "recruiter": recruiter.pk if recruiter else None,
            "p": result.person.pk if result.name_matches else None,
            "name": data["name"], "phone": data["phone"],  # for a 身份核实申请 if no code can reach them
        }
        return redirect("join:verify_step", union_code=union.code)
    return _after_join(request, union, result)


def _event_open(union: Union) -> bool:
    row = services.join_settings_of(union)
    return row is not None and row.event_open()


def _after_join(request: HttpRequest, union: Union, result: services.JoinResult) -> HttpResponse:
    """Bind the card (the person is new here, or has proved who they are) and show where the join led."""
    _bind_card(request, result.person)
    if result.outcome in ("created", "existing"):
        return redirect("join:card")
    request.session[SESSION_OUTCOME] = {
        "outcome": result.outcome,
        "union": union.name,
        "from_union": result.membership.union.name if result.outcome == "transfer_requested" and result.membership
        else "",
    }
    return redirect("join:result", union_code=union.code)


def join_verify_step(request: HttpRequest, union_code: str) -> HttpResponse:
    """The proof of identity for an ID number already on file: the 6-digit code sent to the registered mobile
    (action=code), a new code (action=resend), or — the registered mobile no longer reachable — a 身份核实申请
    to the union's chair with the mobile used now (action=ask_chair, the same answer whatever the name), then — for a member of another union — 确认转入 (action=confirm)
    or 暂不转会 (action=decline). The card is bound to this browser only once the code is right."""
    union = _join_union(union_code)
    pending = request.session.get(SESSION_VERIFY)
    confirm = request.session.get(SESSION_CONFIRM)
    if confirm and (confirm.get("union") != union.pk or confirm.get("until", 0) < time.time()):
        request.session.pop(SESSION_CONFIRM, None)
        confirm = None
    if not (pending and pending.get("union") == union.pk) and not confirm:
        return redirect("join:form", union_code=union.code)
    ctx: dict[str, Any] = {"union": union, "step": "code"}
    if request.method != "POST":
        if confirm:
            ctx.update(step="confirm", from_union=confirm.get("from_union", ""))
        return render(request, "members/join_verify.html", ctx)
    action = request.POST.get("action", "")
    try:
        if action in ("confirm", "decline") and confirm:
            request.session.pop(SESSION_CONFIRM, None)
            if action == "decline":
                return redirect("join:card")
            result = services.scan_join_complete(union=union, person_id=int(confirm["person"]), confirm_transfer=True,
                                                 recruiter_id=confirm.get("recruiter"))
            return _after_join(request, union, result)
        if not pending or pending.get("union") != union.pk:
            return redirect("join:form", union_code=union.code)
        limited = join_limited(request, union_id=union.pk, event=_event_open(union), index=pending["index"])
        if limited:
            return render(request, "members/join_verify.html", {**ctx, "error": limited}, status=429)
        if action == "ask_chair":
            services.identity_claim_file(union=union, index=pending["index"], person_id=pending.get("p"),
                                         name=pending.get("name", ""), phone=request.POST.get("phone") or
                                         pending.get("phone", ""))
            request.session.pop(SESSION_VERIFY, None)
            return render(request, "members/join_verify.html", {**ctx, "step": "asked"})
        if action == "resend":
            services.scan_join_code_resend(union=union, index=pending["index"], person_id=pending.get("p"),
                                           recruiter_id=pending.get("recruiter"))
            return render(request, "members/join_verify.html", {**ctx, "resent": True})
        error, person_id, recruiter_id = sms.check_join_code(index=pending["index"], union_id=union.pk,
                                                             code=request.POST.get("code", ""))
        if error or person_id is None:
            return render(request, "members/join_verify.html", {**ctx, "error": error}, status=400)
        request.session.pop(SESSION_VERIFY, None)
        result = services.scan_join_complete(union=union, person_id=person_id, confirm_transfer=False,
                                             recruiter_id=recruiter_id)
    except ValidationError as exc:
        return render(request, "members/join_verify.html", {**ctx, "step": "done", "error": exc.messages[0]},
                      status=400)
    if result.outcome == "confirm_transfer":
        _bind_card(request, result.person)  # proved: their own card is theirs to see, transfer or not
        from_union = result.membership.union.name if result.membership else ""
        request.session[SESSION_CONFIRM] = {"union": union.pk, "person": result.person.pk, "recruiter": recruiter_id,
                                            "from_union": from_union, "until": time.time() + CONFIRM_SECONDS}
        return render(request, "members/join_verify.html", {**ctx, "step": "confirm", "from_union": from_union})
    return _after_join(request, union, result)


def join_result(request: HttpRequest, union_code: str) -> HttpResponse:
    """待审核 / 已提交转会申请: what the last join from this browser led to."""
    union = _join_union(union_code)
    info = request.session.get(SESSION_OUTCOME)
    if not info:
        return redirect("join:form", union_code=union.code)
    return render(request, "members/join_result.html", {"union": union, **info})


def join_employers(request: HttpRequest, union_code: str) -> HttpResponse:
    """<option>s of the enterprises the union covers whose name contains ?q= (the form's datalist)."""
    union = _join_union(union_code)
    names = selectors.join_employers(union=union, q=request.GET.get("q", ""))
    return render(request, "members/join_employers.html", {"employers": names})


# ---------------------------------------------------------------- the e-card


def card(request: HttpRequest) -> HttpResponse:
    """The worker's own card: bound to this browser's session by joining or by SMS login."""
    person_id = request.session.get(SESSION_PERSON)
    found = selectors.card_of(person_id=int(person_id)) if person_id else None
    if found is None:
        return redirect("join:card_login")
    person, membership = found
    verify_url = public_url(request, reverse("join:verify", args=[verify_token(person.pk)]))
    response = render(request, "members/card_show.html", {
        "person": person, "membership": membership, "verify_url": verify_url,
        "qr_svg": qr.svg(verify_url, scale=4), "refresh_seconds": VERIFY_MAX_AGE - 60,
    })
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def card_logout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_PERSON, None)
    request.session.pop(SESSION_PHONE_OK, None)
    return redirect("join:card_login")


def card_login(request: HttpRequest) -> HttpResponse:
    """Mobile + 6-digit SMS code → the card. Steps: phone → code → (several people on one phone) last 4 of ID.
    Whether a phone is registered is never said: the same answer either way."""
    ctx: dict[str, Any] = {"step": "phone"}
    if request.method != "POST":
        return render(request, "members/card_login.html", ctx)
    action = request.POST.get("action", "")
    try:
        phone = services.clean_phone(request.POST.get("phone", ""))
    except ValidationError as exc:
        return render(request, "members/card_login.html", {**ctx, "error": exc.messages[0]}, status=400)
    if not phone:
        return render(request, "members/card_login.html", {**ctx, "error": "请填写手机号码"}, status=400)
    ctx["phone"] = phone
    if action == "send":
        # Registered or not, the same steps and answers (limits, a stored code); only a registered phone is
        # really sent the code.
        if sms_send_limited(request):
            error: str | None = "当前网络获取验证码过于频繁，请稍后再试"
        else:
            error = sms.send_code(phone, deliver=bool(selectors.card_holders(phone=phone)))
        if error:
            return render(request, "members/card_login.html", {**ctx, "error": error}, status=429)
        return render(request, "members/card_login.html", {**ctx, "step": "code", "sent": True})
    if action == "verify":
        error = sms.check_code(phone, request.POST.get("code", ""))
        if error:
            return render(request, "members/card_login.html", {**ctx, "step": "code", "error": error}, status=400)
        holders = selectors.card_holders(phone=phone)
        if len(holders) == 1:
            _bind_card(request, holders[0])
            return redirect(_after_login(request))
        if not holders:
            return render(request, "members/card_login.html", {**ctx, "error": "未找到该手机号登记的会员"}, status=404)
        request.session[SESSION_PHONE_OK] = phone
        return render(request, "members/card_login.html", {**ctx, "step": "last4"})
    if action == "last4" and request.session.get(SESSION_PHONE_OK) == phone:
        last4 = normalize_code(request.POST.get("last4", ""))
        matches = [p for p in selectors.card_holders(phone=phone) if p.id_masked[-4:] == last4]
        if len(matches) == 1:
            request.session.pop(SESSION_PHONE_OK, None)
            _bind_card(request, matches[0])
            return redirect(_after_login(request))
        return render(request, "members/card_login.html",
                      {**ctx, "step": "last4", "error": "身份证号码后4位不符，请核对"}, status=400)
    return render(request, "members/card_login.html", ctx, status=400)


def card_verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public: a station or an event scans the card's QR. 有效会员 ✓ + masked name, union, card no — or
    无效 / 已过期. Never the ID number."""
    ctx: dict[str, Any] = {"valid": False}
    try:
        person_id = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.SignatureExpired:
        ctx["reason"] = "二维码已过期，请会员刷新电子会员证后重新出示"
        return render(request, "members/card_verify.html", ctx)
    except signing.BadSignature:
        ctx["reason"] = "无效的会员证二维码"
        return render(request, "members/card_verify.html", ctx, status=404)
    found = selectors.card_of(person_id=int(person_id))
    person, membership = found if found is not None else (None, None)
    if person is None or membership is None or membership.status not in (
        Membership.Status.ACTIVE, Membership.Status.RETAINED
    ):
        ctx["reason"] = "该证件当前不是有效会员"
        return render(request, "members/card_verify.html", ctx)
    ctx.update(valid=True, name=mask_name(person.name), union=membership.union.name, member_no=person.member_no,
               retained=membership.status == Membership.Status.RETAINED)
    return render(request, "members/card_verify.html", ctx)


# ---------------------------------------------------------------- cadres: poster, QR files, settings


def _takes_members(union: Union) -> Union:
    """404 for a union that takes no members directly (区/镇街总工会): it has no join page."""
    if not union.is_grassroots and union.kind != Union.Kind.FEDERATION:
        raise Http404("该工会不直接接收会员")
    return union


@login_required
@require_safe
@scoped(Union, code="union_code", normalise={"code": normalize_code})
def poster(request: HttpRequest, union: Union) -> HttpResponse:
    """A4 poster: union name, big QR, 「微信扫一扫 · 一分钟入会」. ?ref= makes a recruiter's poster."""
    _takes_members(union)
    recruiter = _recruiter(union, request.GET.get("ref", ""))
    url = qr.join_url(request, union.code or "", recruiter.code if recruiter else "")
    return render(request, "members/poster_a4.html",
                  {"union": union, "recruiter": recruiter, "url": url, "qr_svg": qr.svg(url, scale=10)})


@login_required
@require_safe
@scoped(Union, code="union_code", normalise={"code": normalize_code})
def join_qr_png(request: HttpRequest, union: Union) -> HttpResponse:
    _takes_members(union)
    recruiter = _recruiter(union, request.GET.get("ref", ""))
    url = qr.join_url(request, union.code or "", recruiter.code if recruiter else "")
    response = HttpResponse(qr.png(url), content_type="image/png")
    name = f"join-{union.code}" + (f"-{recruiter.code}" if recruiter else "")
    response["Content-Disposition"] = f'attachment; filename="{name}.png"'
    return response


class SettingsForm(forms.Form):
    requires_approval = forms.BooleanField(label="入会需主席审核", required=False)
    open = forms.BooleanField(label="开放扫码入会", required=False)


class EventForm(forms.Form):
    hours = forms.TypedChoiceField(label="活动模式", coerce=int, choices=[
        (0, "关闭"), (2, "2小时"), (4, "4小时"), (8, "8小时"), (24, "1天"), (72, "3天")])


class RecruiterForm(forms.Form):
    name = forms.CharField(label="推荐人姓名", max_length=30)
    phone = forms.CharField(label="手机（选填）", max_length=20, required=False)


@login_required
@scoped(Union, pk="union_id", post_action=Action.CHANGE)
def join_admin(request: HttpRequest, union: Union) -> HttpResponse:
    """A union's 扫码入会: settings (open, needs approval), recruiters and their QR, the funnel. Anyone who sees
    the union sees the page; every POST is a `change` (403 for 只读 / 部门经办人; the services require it again)."""
    _takes_members(union)
    row = JoinSettings.objects.filter(union=union).first()
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "settings":
                sf = SettingsForm(request.POST)
                sf.is_valid()
                services.join_settings_save(actor=request.user, union=union,
                                            requires_approval=sf.cleaned_data.get("requires_approval", False),
                                            open=sf.cleaned_data.get("open", False))
            elif request.POST.get("action") == "event":
                ef = EventForm(request.POST)
                if not ef.is_valid():
                    raise ValidationError("请选择活动模式时长")
                services.join_event_mode_set(actor=request.user, union=union, hours=ef.cleaned_data["hours"])
            elif request.POST.get("action") == "recruiter":
                rf = RecruiterForm(request.POST)
                if not rf.is_valid():
                    raise ValidationError("请填写推荐人姓名")
                services.recruiter_add(actor=request.user, union=union, name=rf.cleaned_data["name"],
                                       phone=rf.cleaned_data["phone"])
            return redirect("join:admin", union_id=union.pk)
        except ValidationError as exc:
            error = exc.messages[0]
    funnel = selectors.funnel_counts(user=request.user, union=union)
    join_link = qr.join_url(request, union.code or "")
    for item in funnel["recruiters"]:
        item["url"] = qr.join_url(request, union.code or "", item["recruiter"].code)
        item["qr_svg"] = qr.svg(item["url"], scale=2, border=1)
    return render(request, "members/join_admin.html", {
        "union": union,
        "settings_form": SettingsForm(initial={
            "requires_approval": row.requires_approval if row else False, "open": row.open if row else True,
        }),
        "recruiter_form": RecruiterForm(),
        "event_form": EventForm(),
        "event_until": row.event_until if row is not None and row.event_open() else None,
        "distinct_everyday": distinct_limit_label(), "distinct_event": distinct_limit_label(event=True),
        "funnel": funnel,
        "join_link": join_link,
        "qr_svg": qr.svg(join_link, scale=3),
        "error": error,
        "can_change": allowed(request.user, Action.CHANGE, union),
    }, status=400 if error else 200)
