"""Every write on members: joining, approvals, transfers, membership changes, ID reveal.

Each public function is one transaction and leaves history (MembershipEvent) and an audit entry. Races
between joins of the same person are settled by unique constraints (one person per ID blind index, one
open membership per person, one pending transfer per person), never by read-then-write alone.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from auditlog.context import set_actor
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from gonghui.accounts.permissions import Action
from gonghui.core import crypto
from gonghui.core.audit import audit_access
from gonghui.core.db import serialized_writes
from gonghui.core.identifiers import IdNumber, parse_id_number
from gonghui.orgs.models import Enterprise, Union
from gonghui.orgs.scope import allowed, require

from .models import (
    FunnelEvent,
    IdentityClaim,
    JoinSettings,
    Membership,
    MembershipEvent,
    Occupation,
    Person,
    Political,
    Recruiter,
    TransferRequest,
)

logger = logging.getLogger(__name__)

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
TRANSFER_AUTO_DAYS = 7
CARD_PREFIX: str = getattr(settings, "GONGHUI_CARD_PREFIX", "3310")


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def card_number(person_pk: int) -> str:
    """The member card number: installation prefix + 8-digit serial + Luhn check digit. Derived from the
    person's primary key, so two concurrent joins can never be given the same number."""
    body = f"{CARD_PREFIX}{person_pk:08d}"
    return body + luhn_digit(body)


def clean_phone(raw: object) -> str:
    """Mobile number: 11 digits, 1[3-9]…; Excel numbers, +86 and spaces are tolerated."""
    from gonghui.core.excel import cell_text

    text = re.sub(r"[\s\-]", "", cell_text(raw))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if not text:
        return ""
    if not PHONE_RE.match(text):
        raise ValidationError(f"手机号码格式错误：{raw}（应为1开头的11位数字）")
    return text


def clean_id(raw: object) -> IdNumber:
    try:
        return parse_id_number(raw)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def clean_name(raw: object) -> str:
    from gonghui.core.excel import cell_text

    name = re.sub(r"\s+", "", cell_text(raw))
    if not name:
        raise ValidationError("姓名不能为空")
    if len(name) > 30 or re.search(r"\d", name):
        raise ValidationError(f"姓名格式错误：{raw}")
    return name


@dataclass(frozen=True)
class JoinResult:
    """outcome: created (a new member), existing (already a member of this union), pending (awaits the
    chair's approval), transfer_requested (a member elsewhere: a transfer request was made);
    for a scan by someone already registered, before they proved who they are: verify (nothing was written;
    `name_matches` says whether the name given is the one on file — for the service, never for the answer);
    after the proof: confirm_transfer (a member elsewhere who has not yet confirmed the transfer)."""

    person: Person
    membership: Membership | None
    outcome: str
    transfer: TransferRequest | None = None
    name_matches: bool = True

    @property
    def status_label(self) -> str:
        return {
            "created": "已入会",
            "existing": "已是本会会员",
            "pending": "待审核",
            "transfer_requested": "转会待审批",
            "verify": "待验证身份",
            "confirm_transfer": "待确认转会",
        }[self.outcome]


def _event(
    *, person: Person, membership: Membership, kind: str, on: dt.date, reason: str = "", actor: Any = None
) -> None:
    MembershipEvent.objects.create(
        person=person,
        membership=membership,
        union_id=membership.union_id,
        kind=kind,
        on=on,
        reason=reason[:200],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def person_defaults(
    *,
    ident: IdNumber,
    name: str,
    phone: str,
    employer: Enterprise | None,
    employer_name: str,
    occupation: str,
    political: str,
    education: str,
) -> dict[str, Any]:
    """The stored fields of a new Person (encrypted ID, blind index, masked form, derived sex and birth)."""
    return {
        "name": name,
        "id_cipher": crypto.encrypt(ident.number),
        "id_index": crypto.blind_index(ident.number),
        "id_masked": ident.masked,
        "birth_date": ident.birth_date,
        "sex": ident.sex,
        "phone": phone,
        "employer": employer,
        "employer_name": employer_name or (employer.name if employer else ""),
        "occupation": occupation if occupation in Occupation.values else Occupation.OTHER,
        "political": political if political in Political.values else Political.MASSES,
        "education": education,
    }


def person_lookup(id_number: object) -> Person | None:
    """Find a person by any accepted spelling of their ID number, through the blind index."""
    try:
        ident = parse_id_number(id_number)
    except ValueError:
        return None
    return Person.objects.filter(id_index=crypto.blind_index(ident.number)).first()


def join_settings_of(union: Union) -> JoinSettings | None:
    """The union's 扫码入会 settings: from the union's select_related cache when the caller fetched it so."""
    try:
        return union.join_settings
    except JoinSettings.DoesNotExist:
        return None


def member_join(
    *,
    union: Union,
    name: object,
    id_number: object,
    phone: object = "",
    employer: Enterprise | None = None,
    employer_name: str = "",
    occupation: str = Occupation.OTHER,
    political: str = Political.MASSES,
    education: str = "",
    source: str = Membership.Source.SCAN,
    recruiter: Recruiter | None = None,
    joined_on: dt.date | None = None,
    actor: Any = None,
    verify_existing: bool = False,
) -> JoinResult:
    """A person joins `union`. Idempotent: the same person joining the same union again gets the same
    membership and card. A person active in another union gets a transfer request, never a second
    membership. Atomic; safe under concurrent joins of the same person (unique constraints + retry).

    `verify_existing` (the public scan): when the ID number is already on file — found inside the transaction,
    so also when a concurrent join of the same number won the race — nothing is written and the outcome is
    "verify": the caller must have the person prove who they are (scan_join_complete) before any card is shown
    or any transfer filed. The name given is compared there, inside the transaction, too (`name_matches`)."""
    if not union.is_grassroots and union.kind != Union.Kind.FEDERATION:
        raise ValidationError(f"{union.name}不直接接收会员，请选择基层工会或工会联合会")
    ident = clean_id(id_number)
    clean = {"name": clean_name(name), "phone": clean_phone(phone)}
    joined_on = joined_on or timezone.localdate()
    join_settings = join_settings_of(union)
    if source == Membership.Source.SCAN and join_settings is not None and not join_settings.open:
        raise ValidationError(f"{union.name}暂未开放扫码入会")
    needs_approval = source == Membership.Source.SCAN and join_settings is not None and join_settings.requires_approval
    index = crypto.blind_index(ident.number)
    last_error: IntegrityError | None = None
    for _attempt in range(5):
        try:
            with serialized_writes(), transaction.atomic(), set_actor(actor):
                return _join_once(
                    union=union, ident=ident, index=index, clean=clean, employer=employer,
                    employer_name=employer_name, occupation=occupation, political=political, education=education,
                    source=source, recruiter=recruiter, joined_on=joined_on, needs_approval=needs_approval,
                    actor=actor, verify_existing=verify_existing,
                )
        except IntegrityError as exc:  # a concurrent join of the same person won: read what it wrote
            last_error = exc
    raise ValidationError("系统繁忙，请稍后再试") from last_error


def _join_once(
    *, union: Union, ident: IdNumber, index: str, clean: dict[str, str], employer: Enterprise | None,
    employer_name: str, occupation: str, political: str, education: str, source: str,
    recruiter: Recruiter | None, joined_on: dt.date, needs_approval: bool, actor: Any, verify_existing: bool,
) -> JoinResult:
    person = Person.objects.select_for_update().filter(id_index=index).first()
    if person is not None and verify_existing:
        return JoinResult(person=person, membership=None, outcome="verify",
                          name_matches=person.name == clean["name"])
    if person is None:
        from .imports import allocate_pks  # the roster import's helper: pk first, so the card number goes in

        pk = allocate_pks(Person, 1)[0]
        person = Person.objects.create(
            pk=pk, member_no=card_number(pk), current_union=union,
            **person_defaults(
                ident=ident, name=clean["name"], phone=clean["phone"], employer=employer,
                employer_name=employer_name, occupation=occupation, political=political, education=education,
            ),
        )
        return _new_membership(person=person, union=union, source=source, recruiter=recruiter, joined_on=joined_on,
                               needs_approval=needs_approval, actor=actor, set_current=False)
    return _join_person(person=person, union=union, source=source, recruiter=recruiter, joined_on=joined_on,
                        needs_approval=needs_approval, actor=actor, confirm_transfer=True)


def _join_person(
    *, person: Person, union: Union, source: str, recruiter: Recruiter | None, joined_on: dt.date,
    needs_approval: bool, actor: Any, confirm_transfer: bool,
) -> JoinResult:
    """A known person (row locked by the caller) joins `union`: the same membership again, a transfer request
    (only when `confirm_transfer`, else outcome confirm_transfer and nothing written), or a new membership."""
    open_m = (Membership.objects.select_for_update().select_related("union")
              .filter(person=person, status__in=Membership.OPEN).first())
    if open_m is not None and open_m.union_id == union.pk:
        return JoinResult(person=person, membership=open_m,
                          outcome="pending" if open_m.status == Membership.Status.PENDING else "existing")
    if open_m is not None:
        if open_m.status == Membership.Status.PENDING:
            raise ValidationError(f"您在{open_m.union.name}的入会申请尚在审核中，请等待审核结果")
        pending = TransferRequest.objects.filter(person=person, status=TransferRequest.Status.PENDING).first()
        if pending is not None:
            if pending.to_union_id != union.pk:
                raise ValidationError(f"您已有转入{pending.to_union.name}的转会申请在审批中")
            return JoinResult(person=person, membership=open_m, outcome="transfer_requested", transfer=pending)
        if not confirm_transfer:
            return JoinResult(person=person, membership=open_m, outcome="confirm_transfer")
        transfer = TransferRequest.objects.create(
            person=person, from_membership=open_m, from_union_id=open_m.union_id, to_union=union,
            reason="扫码入会（本人短信验证并确认转入）" if source == Membership.Source.SCAN else "转会",
            due_at=timezone.now() + dt.timedelta(days=TRANSFER_AUTO_DAYS),
            requested_by=actor if getattr(actor, "is_authenticated", False) else None, recruiter=recruiter,
        )
        return JoinResult(person=person, membership=open_m, outcome="transfer_requested", transfer=transfer)
    return _new_membership(person=person, union=union, source=source, recruiter=recruiter, joined_on=joined_on,
                           needs_approval=needs_approval, actor=actor, set_current=True)


def _new_membership(
    *, person: Person, union: Union, source: str, recruiter: Recruiter | None, joined_on: dt.date,
    needs_approval: bool, actor: Any, set_current: bool,
) -> JoinResult:
    status = Membership.Status.PENDING if needs_approval else Membership.Status.ACTIVE
    membership = Membership.objects.create(
        person=person, union=union, status=status, joined_on=joined_on, source=source, recruiter=recruiter
    )
    _event(person=person, membership=membership, kind=(MembershipEvent.Kind.APPLY if needs_approval
                                                        else MembershipEvent.Kind.JOIN),
           on=joined_on, reason=Membership.Source(source).label, actor=actor)
    if set_current:
        person.current_union = union
        fields = ["current_union", "updated_at"]
        if not person.member_no:
            person.member_no = card_number(person.pk)
            fields.append("member_no")
        person.save(update_fields=fields)
    if not needs_approval and source == Membership.Source.SCAN:
        FunnelEvent.objects.create(union=union, recruiter=recruiter, stage=FunnelEvent.Stage.MEMBER)
    return JoinResult(person=person, membership=membership, outcome="pending" if needs_approval else "created")


def require_reason(reason: str, message: str) -> str:
    """A reject, revoke or removal names why: the reason stripped, or a ValidationError (`message`). Services
    call it, so a crafted request without a reason is refused whatever the page did."""
    text = (reason or "").strip()
    if len(text) < 2:
        raise ValidationError(message)
    return text


def join_decide(*, actor: Any, membership: Membership, approve: bool, reason: str = "") -> Membership:
    """The chair approves or rejects a pending join; a rejection needs a reason (ValidationError). Requires
    `approve` on the membership's union (403). Atomic, audited; deciding twice is refused."""
    require(actor, Action.APPROVE, membership)
    if not approve:
        reason = require_reason(reason, "不通过须填写原因")
    with transaction.atomic(), set_actor(actor):
        m = Membership.objects.select_for_update().select_related("person").get(pk=membership.pk)
        if m.status != Membership.Status.PENDING:
            raise ValidationError("该申请已处理")
        today = timezone.localdate()
        if approve:
            m.status = Membership.Status.ACTIVE
            m.joined_on = today
            m.save(update_fields=["status", "joined_on"])
            _event(person=m.person, membership=m, kind=MembershipEvent.Kind.APPROVE, on=today, reason=reason,
                   actor=actor)
            if m.source == Membership.Source.SCAN:
                FunnelEvent.objects.create(union_id=m.union_id, recruiter=m.recruiter, stage=FunnelEvent.Stage.MEMBER)
        else:
            m.status = Membership.Status.REJECTED
            m.ended_on = today
            m.save(update_fields=["status", "ended_on"])
            _event(person=m.person, membership=m, kind=MembershipEvent.Kind.REJECT, on=today, reason=reason,
                   actor=actor)
            Person.objects.filter(pk=m.person_id, current_union_id=m.union_id).update(current_union=None)
        return m


def transfer_request(*, actor: Any, person: Person, to_union: Union, reason: str = "") -> TransferRequest:
    """The destination union asks to take `person` over. Requires `change` on the destination (403).
    Idempotent for the same destination."""
    require(actor, Action.CHANGE, to_union)
    if not to_union.is_grassroots and to_union.kind != Union.Kind.FEDERATION:
        raise ValidationError(f"{to_union.name}不直接接收会员")
    with transaction.atomic(), set_actor(actor):
        open_m = Membership.objects.select_for_update().filter(person=person, status__in=Membership.OPEN).first()
        if open_m is None:
            raise ValidationError(f"{person.name}目前不是任何工会的会员，请直接办理入会")
        if open_m.union_id == to_union.pk:
            raise ValidationError(f"{person.name}已是{to_union.name}的会员")
        existing = TransferRequest.objects.filter(person=person, status=TransferRequest.Status.PENDING).first()
        if existing is not None:
            if existing.to_union_id == to_union.pk:
                return existing
            raise ValidationError(f"{person.name}已有转入{existing.to_union.name}的申请在审批中")
        return TransferRequest.objects.create(
            person=person, from_membership=open_m, from_union_id=open_m.union_id, to_union=to_union,
            reason=reason[:200], due_at=timezone.now() + dt.timedelta(days=TRANSFER_AUTO_DAYS),
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        )


def _transfer_complete(*, transfer: TransferRequest, actor: Any, status: str) -> None:
    today = timezone.localdate()
    old = Membership.objects.select_for_update().get(pk=transfer.from_membership_id)
    person = transfer.person
    if old.status in Membership.OPEN:
        old.status = Membership.Status.TRANSFERRED
        old.ended_on = today
        old.save(update_fields=["status", "ended_on"])
        _event(person=person, membership=old, kind=MembershipEvent.Kind.TRANSFER_OUT, on=today,
               reason=f"转入{transfer.to_union.name}", actor=actor)
    new = Membership.objects.create(person=person, union_id=transfer.to_union_id, status=Membership.Status.ACTIVE,
                                    joined_on=today, source=Membership.Source.TRANSFER, recruiter=transfer.recruiter)
    _event(person=person, membership=new, kind=MembershipEvent.Kind.TRANSFER_IN, on=today,
           reason=f"自{transfer.from_union.name}转入" + ("（逾期自动完成）" if status == TransferRequest.Status.AUTO else ""),
           actor=actor)
    Person.objects.filter(pk=person.pk).update(current_union_id=transfer.to_union_id, updated_at=timezone.now())
    transfer.status = status
    transfer.decided_at = timezone.now()
    transfer.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    transfer.save(update_fields=["status", "decided_at", "decided_by"])


def transfer_decide(*, actor: Any, transfer: TransferRequest, approve: bool, reason: str = "") -> TransferRequest:
    """The origin union approves (the person moves, history kept whole) or rejects, with a reason
    (ValidationError without one). Requires `approve` on the origin union (403: the destination cannot approve
    its own request). Atomic, audited."""
    if not allowed(actor, Action.APPROVE, transfer.from_union):
        raise PermissionDenied("只有转出工会可以审批转会申请")
    if not approve:
        reason = require_reason(reason, "拒绝转会申请须填写原因")
    with transaction.atomic(), set_actor(actor):
        t = TransferRequest.objects.select_for_update().select_related("person", "from_union", "to_union").get(
            pk=transfer.pk
        )
        if t.status != TransferRequest.Status.PENDING:
            raise ValidationError("该转会申请已处理")
        if approve:
            _transfer_complete(transfer=t, actor=actor, status=TransferRequest.Status.APPROVED)
        else:
            t.status = TransferRequest.Status.REJECTED
            t.decided_at = timezone.now()
            t.decided_by = actor if getattr(actor, "is_authenticated", False) else None
            t.reason = (t.reason + "；拒绝原因：" + reason)[:200] if reason else t.reason
            t.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        return t


def transfer_complete_due(*, now: dt.datetime | None = None) -> int:
    """Complete every pending transfer whose 7 days have passed without an answer, as the system (no actor).
    Idempotent; each transfer in its own transaction, so one that cannot complete (its person joined elsewhere
    meanwhile: an IntegrityError, or a rule's ValidationError) is logged and left pending while the rest go
    through. Returns how many were completed. Run on a clock (`manage.py run_periodic`, or
    `manage.py complete_due_transfers` from cron), never by a page being opened."""
    now = now or timezone.now()
    done = 0
    for pk in list(
        TransferRequest.objects.filter(status=TransferRequest.Status.PENDING, due_at__lte=now).values_list("pk", flat=True)
    ):
        try:
            with transaction.atomic():
                t = TransferRequest.objects.select_for_update().select_related("person", "from_union", "to_union").get(
                    pk=pk)
                if t.status == TransferRequest.Status.PENDING and t.due_at <= now:
                    _transfer_complete(transfer=t, actor=None, status=TransferRequest.Status.AUTO)
                    done += 1
        except (IntegrityError, ValidationError) as exc:
            logger.warning("逾期转会 %s 未能自动办结：%s", pk, exc)
    return done


CHANGE_TARGETS: dict[str, tuple[str, tuple[str, ...]]] = {
    MembershipEvent.Kind.RETAIN: (Membership.Status.RETAINED, (Membership.Status.ACTIVE,)),
    MembershipEvent.Kind.RESTORE: (Membership.Status.ACTIVE, (Membership.Status.RETAINED,)),
    MembershipEvent.Kind.LEAVE: (Membership.Status.LEFT, (Membership.Status.ACTIVE, Membership.Status.RETAINED)),
    MembershipEvent.Kind.EXPEL: (Membership.Status.EXPELLED, (Membership.Status.ACTIVE, Membership.Status.RETAINED)),
}


def membership_change(
    *, actor: Any, membership: Membership, kind: str, reason: str, on: dt.date | None = None
) -> Membership:
    """保留会籍 / 恢复会籍 / 退会 / 除名, with date and reason (除名 and 退会 need a reason). Requires `change` on
    the membership's union (403). Atomic, audited."""
    require(actor, Action.CHANGE, membership)
    if kind not in CHANGE_TARGETS:
        raise ValidationError(f"不支持的会籍变动：{kind}")
    target, allowed_from = CHANGE_TARGETS[kind]
    if kind in (MembershipEvent.Kind.LEAVE, MembershipEvent.Kind.EXPEL):
        reason = require_reason(reason, f"办理{MembershipEvent.Kind(kind).label}须填写原因")
    on = on or timezone.localdate()
    with transaction.atomic(), set_actor(actor):
        m = Membership.objects.select_for_update().select_related("person").get(pk=membership.pk)
        if m.status not in allowed_from:
            raise ValidationError(f"当前状态为“{m.get_status_display()}”，不能办理{MembershipEvent.Kind(kind).label}")
        m.status = target
        if target in (Membership.Status.LEFT, Membership.Status.EXPELLED):
            m.ended_on = on
            Person.objects.filter(pk=m.person_id).update(current_union=None)
            TransferRequest.objects.filter(person_id=m.person_id, status=TransferRequest.Status.PENDING).update(
                status=TransferRequest.Status.CANCELLED, decided_at=timezone.now()
            )
        m.save(update_fields=["status", "ended_on"])
        _event(person=m.person, membership=m, kind=kind, on=on, reason=reason, actor=actor)
        return m


def id_reveal(*, actor: Any, person: Person, reason: str) -> str:
    """The full ID number, for a user holding `reveal_id` on the person who gives a reason; the read is audited."""
    require(actor, Action.REVEAL_ID, person)
    if len(reason.strip()) < 2:
        raise ValidationError("请填写查看原因")
    audit_access(actor=actor, obj=person, what=f"查看完整身份证号码，原因：{reason.strip()[:100]}")
    return crypto.decrypt(person.id_cipher)


def funnel_record(*, union: Union, recruiter: Recruiter | None, stage: str) -> None:
    """Count one scan or one submission of the join form (the member stage is written by member_join)."""
    FunnelEvent.objects.create(union=union, recruiter=recruiter, stage=stage)


# ---------------------------------------------------------------- 新增会员: a cadre registers one member


class MemberExists(ValidationError):
    """The ID number is already on file: `person` (the caller links to them only when the user sees them)."""

    def __init__(self, person: Person) -> None:
        super().__init__({"id_number": "该身份证号码已登记，不能重复新增"})
        self.person = person


def member_add(
    *,
    actor: Any,
    union: Union,
    name: object,
    id_number: object,
    phone: object,
    employer_text: str = "",
    occupation: str = Occupation.OTHER,
    joined_on: dt.date | None = None,
) -> JoinResult:
    """新增会员 (手工登记) from the console: requires `change` on `union` (403). Every field is checked by the rules
    the import and the scan use (clean_name / clean_id / clean_phone) and all errors come back at once, each
    naming its field. The write is `member_join` (source 手工登记) with `verify_existing`: an ID number already on
    file — found inside the transaction, so also when a concurrent join won — writes nothing and raises
    MemberExists (the look-up is audited, masked). The employer is matched like the scan's (the enterprises the
    union's subtree covers, else kept as text). Atomic, audited."""
    require(actor, Action.CHANGE, union)
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key, fn, value in (("name", clean_name, name), ("id_number", clean_id, id_number),
                           ("phone", clean_phone, phone)):
        try:
            clean[key] = fn(value)
        except ValidationError as exc:
            errors[key] = exc.messages
    if "phone" in clean and not clean["phone"]:
        errors["phone"] = ["请填写手机号码"]
    if joined_on is not None and joined_on > timezone.localdate():
        errors["joined_on"] = ["入会日期不能晚于今天"]
    if occupation not in Occupation.values:
        errors["occupation"] = ["请从列表中选择职业群体"]
    if errors:
        raise ValidationError(errors)
    employer, employer_name = _employer_of(union, employer_text)
    result = member_join(union=union, name=clean["name"], id_number=clean["id_number"].number, phone=clean["phone"],
                         employer=employer, employer_name=employer_name, occupation=occupation,
                         source=Membership.Source.MANUAL, joined_on=joined_on, actor=actor, verify_existing=True)
    if result.outcome == "verify":
        audit_access(actor=actor, obj=result.person, what=f"新增会员时核对身份证号码{clean['id_number'].masked}：已登记")
        raise MemberExists(result.person)
    return result


# ---------------------------------------------------------------- 扫码入会 (public join) and its settings


def _employer_of(union: Union, employer_text: str) -> tuple[Enterprise | None, str]:
    text = re.sub(r"\s+", " ", employer_text or "").strip()[:120]
    if not text:
        return None, ""
    employer = (
        Enterprise.objects.filter(covering_union__path__startswith=union.path, name=text).order_by("pk").first()
    )
    return employer, text


def scan_join(
    *,
    union: Union,
    name: object,
    id_number: object,
    phone: object,
    employer_text: str = "",
    occupation: str = Occupation.OTHER,
    recruiter: Recruiter | None = None,
) -> JoinResult:
    """A worker joins by QR code (phone page or public API). A first-time ID number joins at once (created /
    pending). An ID number already on file — whatever name comes with it — gives outcome "verify": nothing is
    written, and a code goes to the mobile REGISTERED for that person (when the name given matches; otherwise a
    decoy code that is never sent, so the answers that follow are the same either way). The person completes
    with scan_join_verify (API) or scan_join_complete (page, after sms.check_join_code).
    `employer_text` is matched exactly against the enterprises the union's subtree covers, else kept as text.
    Race-safe like member_join: two first-time submissions of one number make one person; the other one, and a
    concurrent submission under another name, get "verify" (the name is compared inside the transaction)."""
    ident = clean_id(id_number)
    clean_name_ = clean_name(name)
    if not clean_phone(phone):
        raise ValidationError("请填写手机号码")
    employer, employer_text = _employer_of(union, employer_text)
    result = member_join(
        union=union, name=clean_name_, id_number=ident.number, phone=phone, employer=employer,
        employer_name=employer_text, occupation=occupation, source=Membership.Source.SCAN, recruiter=recruiter,
        verify_existing=True,
    )
    if result.outcome == "verify":
        from . import sms

        person = result.person
        sms.issue_join_code(
            index=person.id_index, union_id=union.pk, union_name=union.name, phone=person.phone,
            person_id=person.pk if result.name_matches and person.phone else None,
            recruiter_id=recruiter.pk if recruiter else None,
        )
    return result


def scan_join_complete(
    *, union: Union, person_id: int, confirm_transfer: bool, recruiter_id: int | None = None
) -> JoinResult:
    """The registered person has proved who they are (the code sent to their registered mobile): the join
    completes — the same membership again (existing / pending), a new membership (a former member), or, for a
    member of another union, a transfer request only when `confirm_transfer` (else outcome confirm_transfer,
    nothing written). Atomic, audited, idempotent; the caller checked the code."""
    join_settings = join_settings_of(union)
    if join_settings is not None and not join_settings.open:
        raise ValidationError(f"{union.name}暂未开放扫码入会")
    needs_approval = join_settings is not None and join_settings.requires_approval
    recruiter = Recruiter.objects.filter(pk=recruiter_id, union=union).first() if recruiter_id else None
    last_error: IntegrityError | None = None
    for _attempt in range(5):
        try:
            with serialized_writes(), transaction.atomic():
                person = Person.objects.select_for_update().get(pk=person_id)
                return _join_person(person=person, union=union, source=Membership.Source.SCAN, recruiter=recruiter,
                                    joined_on=timezone.localdate(), needs_approval=needs_approval, actor=None,
                                    confirm_transfer=confirm_transfer)
        except IntegrityError as exc:  # a concurrent completion won: read what it wrote
            last_error = exc
    raise ValidationError("系统繁忙，请稍后再试") from last_error


def scan_join_code_resend(*, union: Union, index: str, person_id: int | None, recruiter_id: int | None) -> None:
    """A new join code for the verify step (the per-phone limits apply): to the registered mobile when the
    earlier submission's name matched (`person_id`), else, as before, a decoy that is never sent."""
    from . import sms

    person = Person.objects.filter(pk=person_id, id_index=index).only("phone").first() if person_id else None
    sms.issue_join_code(index=index, union_id=union.pk, union_name=union.name, phone=person.phone if person else "",
                        person_id=person.pk if person is not None and person.phone else None,
                        recruiter_id=recruiter_id)


class BadCode(ValidationError):
    """The code given for a join's proof of identity is wrong, used up or expired."""


def scan_join_verify(
    *, union: Union, id_number: object, code: str, confirm_transfer: bool
) -> JoinResult:
    """The public API's second step: `code` (sent by scan_join to the registered mobile) proves the person, then
    scan_join_complete. A member of another union who has not confirmed gets outcome confirm_transfer and the
    code stays valid (one try spent) for the confirming call. Raises BadCode / ValidationError (zh-hans)."""
    from . import sms

    ident = clean_id(id_number)
    index = crypto.blind_index(ident.number)
    error, person_id, recruiter_id = sms.check_join_code(index=index, union_id=union.pk, code=code, consume=False)
    if error or person_id is None:
        raise BadCode(error or sms.EXPIRED, code="bad_code")
    result = scan_join_complete(union=union, person_id=person_id, confirm_transfer=confirm_transfer,
                                recruiter_id=recruiter_id)
    if result.outcome != "confirm_transfer":
        sms.consume_join_code(index=index, union_id=union.pk)
    return result


EVENT_MAX_HOURS = 72


def join_event_mode_set(*, actor: Any, union: Union, hours: int) -> JoinSettings:
    """Open the union's 活动模式 for `hours` (1–72) from now, or close it (0). While open, the public join's
    per-network limit on distinct ID numbers is the event's (see members.ratelimits). Atomic, audited; the
    caller has checked scope."""
    if not 0 <= hours <= EVENT_MAX_HOURS:
        raise ValidationError(f"活动模式时长应为1至{EVENT_MAX_HOURS}小时")
    with transaction.atomic(), set_actor(actor):
        row, _ = JoinSettings.objects.select_for_update().get_or_create(union=union)
        row.event_until = timezone.now() + dt.timedelta(hours=hours) if hours else None
        row.save()
        return row


def join_settings_save(*, actor: Any, union: Union, requires_approval: bool, open: bool) -> JoinSettings:
    """Create or update a union's 扫码入会 settings. Requires `change` on the union (403). Atomic, audited."""
    require(actor, Action.CHANGE, union)
    with transaction.atomic(), set_actor(actor):
        row, _ = JoinSettings.objects.select_for_update().get_or_create(union=union)
        row.requires_approval = requires_approval
        row.open = open
        row.save()
        return row


def recruiter_add(*, actor: Any, union: Union, name: object, phone: object = "") -> Recruiter:
    """Add a recruiter with a fresh random code (their own ?ref= QR). Requires `change` on the union (403).
    Atomic, audited."""
    require(actor, Action.CHANGE, union)
    import secrets

    clean = clean_name(name)
    tel = clean_phone(phone)
    with transaction.atomic(), set_actor(actor):
        for _attempt in range(5):
            code = secrets.token_hex(4).upper()
            if not Recruiter.objects.filter(code=code).exists():
                return Recruiter.objects.create(union=union, code=code, name=clean, phone=tel)
    raise ValidationError("系统繁忙，请稍后再试")


# ---------------------------------------------------------------- 身份核实: the chair verifies instead of the SMS

IDENTITY_APPROVED_SMS = "【数智工会】{union}已核实您的身份，登记手机已更新为本号码。请重新扫码入会，验证码将发送到本号码。"


def identity_claim_file(*, union: Union, index: str, person_id: int | None, name: object, phone: object
                        ) -> IdentityClaim:
    """A worker at the verify step cannot receive the code at the registered mobile and asks `union`'s chair to
    verify them in person, giving the mobile they use now. `person_id` is the registered person when the name
    given matched (else None: the claim is filed all the same, so the worker's answer says nothing). One pending
    claim per union and ID number (a repeat updates its name and mobile). Atomic; no login (a public page)."""
    clean = clean_phone(phone)
    if not clean:
        raise ValidationError("请填写现在使用的手机号码")
    name_ = clean_name(name)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                claim, _ = IdentityClaim.objects.update_or_create(
                    union=union, id_index=index, status=IdentityClaim.Status.PENDING,
                    defaults={"person_id": person_id, "name": name_, "phone": clean})
                return claim
        except IntegrityError:  # a concurrent filing of the same claim won: update it on the next pass
            continue
    raise ValidationError("系统繁忙，请稍后再试")


def identity_claim_decide(*, actor: Any, claim: IdentityClaim, approve: bool, reason: str = "") -> IdentityClaim:
    """The chair's decision after checking the worker's ID card. Approving needs `approve` on the claim's union
    AND on the person's current union (a chair elsewhere cannot take over another union's member), and a claim
    whose name matched the registered one; it replaces the registered mobile (audited on the person) and tells
    the worker by SMS to scan again. Atomic, audited; a decided claim cannot be decided again."""
    require(actor, Action.APPROVE, claim)
    if not approve:
        reason = require_reason(reason, "退回核实申请须填写原因")
    if claim.status != IdentityClaim.Status.PENDING:
        raise ValidationError("该申请已处理")
    person = claim.person
    if approve:
        if person is None:
            raise ValidationError("填写的姓名与登记信息不一致，不能据此核实；请职工按登记的姓名重新扫码填写")
        if person.current_union_id is not None:
            require(actor, Action.APPROVE, person.current_union)
    with transaction.atomic(), set_actor(actor):
        updated = IdentityClaim.objects.filter(pk=claim.pk, status=IdentityClaim.Status.PENDING).update(
            status=IdentityClaim.Status.APPROVED if approve else IdentityClaim.Status.REJECTED,
            decided_at=timezone.now(), decided_by=actor, reason=reason[:200])
        if not updated:
            raise ValidationError("该申请已处理")
        if approve and person is not None:
            person.phone = claim.phone
            person.save(update_fields=["phone"])
    claim.refresh_from_db()
    if approve:
        from . import sms

        try:
            sms.backend().send(claim.phone, IDENTITY_APPROVED_SMS.format(union=claim.union.name))
        except sms.SmsError:
            logger.warning("identity claim %s approved; the notice SMS could not be sent", claim.pk)
    return claim
