"""建会 as a workflow: 筹备 → 会员大会 → 上级批复 → 成立. 成立 creates the union in the tree (orgs services),
covers the firm, opens its 扫码入会 at once and completes the township task."""

from __future__ import annotations

import datetime as dt
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gonghui.accounts.permissions import Action
from gonghui.core.errors import WrongState
from gonghui.members.services import join_settings_save
from gonghui.orgs.models import Committee, CommitteeMember, Union
from gonghui.orgs.scope import require
from gonghui.orgs.services import clean_union_code, coverage_start, union_create

from ..models import CampaignFirm, Founding, Stage, TaskStatus

S = Founding.Step
COMMITTEE_KINDS = {"committee": Committee.Kind.COMMITTEE, "audit": Committee.Kind.AUDIT, "women": Committee.Kind.WOMEN}


def founding_start(*, actor: Any, firm: CampaignFirm, prep_group: str, union_name: str = "") -> Founding:
    """Start founding from a 单独建会 task: the preparatory group (筹备组). The task becomes 筹备中. 409 unless the
    firm's task is 单独建会 and not done. Requires `change` on the firm. Atomic, audited."""
    require(actor, Action.CHANGE, firm)
    prep_group = (prep_group or "").strip()
    if not prep_group:
        raise ValidationError("请填写筹备组成员")
    with transaction.atomic(), set_actor(actor):
        firm = CampaignFirm.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=firm.pk)
        if firm.stage != Stage.SINGLE:
            raise WrongState("只有“须单独建会”的任务可以发起建会")
        if Founding.objects.filter(firm=firm).exists():
            raise WrongState("该企业的建会流程已发起")
        founding = Founding.objects.create(firm=firm, union_name=(union_name.strip() or f"{firm.enterprise.name}工会")[:100],
                                           prep_group=prep_group[:200], started_by=actor)
        firm.task_status = TaskStatus.PREPARING
        firm.save(update_fields=["task_status", "updated_at"])
        return founding


def _clean_committees(raw: dict[str, Any]) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for kind in COMMITTEE_KINDS:
        members = []
        for item in raw.get(kind) or []:
            name, position = (item if isinstance(item, (list, tuple)) else (item, "委员"))[:2] if item else ("", "")
            name = str(name).strip()
            if name:
                members.append([name[:30], (str(position).strip() or "委员")[:30]])
        out[kind] = members
    missing = [str(COMMITTEE_KINDS[k].label) for k, v in out.items() if not v]
    if missing:
        raise ValidationError(f"会员大会须选举产生：{'、'.join(missing)}（每个至少一名成员）")
    return out


def _advance(actor: Any, founding: Founding, expected: str) -> Founding:
    require(actor, Action.CHANGE, founding)
    locked = Founding.objects.select_for_update(of=("self",)).select_related("firm__enterprise", "firm__township").get(
        pk=founding.pk)
    if locked.step != expected:
        raise WrongState(f"建会流程目前在“{locked.get_step_display()}”环节")
    return locked


def founding_congress(*, actor: Any, founding: Founding, held_on: dt.date,
                      committees: dict[str, Any]) -> Founding:
    """The first members' congress: date and the elected 委员会, 经费审查委员会, 女职工委员会 with their members
    (each `[[name, position], ...]`). 409 unless at 筹备. Atomic, audited."""
    clean = _clean_committees(committees)
    with transaction.atomic(), set_actor(actor):
        f = _advance(actor, founding, S.PREPARING)
        f.congress_on, f.committees, f.step = held_on, clean, S.CONGRESS
        f.save()
        return f


def founding_approve(*, actor: Any, founding: Founding, approval_no: str, approved_on: dt.date) -> Founding:
    """上级批复: the township's approval with its document number and date. 409 unless at 会员大会. Atomic."""
    approval_no = (approval_no or "").strip()
    if not approval_no:
        raise ValidationError("请填写批复文号")
    with transaction.atomic(), set_actor(actor):
        f = _advance(actor, founding, S.CONGRESS)
        if f.congress_on and approved_on < f.congress_on:
            raise ValidationError("批复日期不能早于会员大会日期")
        f.approval_no, f.approved_on, f.step = approval_no[:60], approved_on, S.APPROVAL
        f.save()
        return f


def founding_establish(*, actor: Any, founding: Founding, union_code: str,
                       founded_on: dt.date | None = None) -> Founding:
    """成立: the union is created under the firm's township federation (orgs.services.union_create) with its USCC
    and the elected committees, covers the firm, gets its 扫码入会 QR at once (open), and the task completes.
    409 unless at 上级批复. Requires `change` on the township (the union's parent). Atomic, audited."""
    code = clean_union_code(union_code, required=True)
    founded_on = founded_on or timezone.localdate()
    with transaction.atomic(), set_actor(actor):
        f = _advance(actor, founding, S.APPROVAL)
        firm = f.firm
        require(actor, Action.CHANGE, firm.township)
        if Union.objects.filter(code=code).exists():
            raise ValidationError(f"统一社会信用代码 {code} 已被其他工会使用")
        union = union_create(actor=actor, parent=firm.township, kind=Union.Kind.SINGLE, name=f.union_name,
                             code=code, region_id=firm.township.region_id, founded_on=founded_on)
        for kind, members in f.committees.items():
            committee = Committee.objects.create(union=union, kind=COMMITTEE_KINDS[kind], term_start=founded_on,
                                                 elected_at="第一次会员大会")
            CommitteeMember.objects.bulk_create(CommitteeMember(committee=committee, name=n, position=p)
                                                for n, p in members)
            chair = next((n for n, p in members if p == "主席"), None)
            if kind == "committee" and chair:
                union.chair = chair
                union.save(update_fields=["chair"])
        coverage_start(actor=actor, union=union, enterprise=firm.enterprise, started_on=founded_on,
                       note="建会入会行动：单独建会")
        join_settings_save(actor=actor, union=union, requires_approval=False, open=True)
        f.union, f.union_code, f.founded_on, f.step = union, code or "", founded_on, S.FOUNDED
        f.save()
        CampaignFirm.objects.filter(pk=firm.pk).update(task_status=TaskStatus.FOUNDED, task_done_on=founded_on)
        return f


def welcome_kit_set(*, actor: Any, membership: Any, items: set[str]) -> Any:
    """Record which of the 五个一 a new member of a founded union has received (the whole set at once:
    idempotent). Requires `change` on the membership (its union). Atomic, audited."""
    from ..models import WelcomeKit

    require(actor, Action.CHANGE, membership)
    keys = {k for k, _ in WelcomeKit.ITEMS}
    unknown = items - keys
    if unknown:
        raise ValidationError(f"未知的礼包项目：{'、'.join(sorted(unknown))}")
    with transaction.atomic(), set_actor(actor):
        kit, _ = WelcomeKit.objects.select_for_update().get_or_create(membership=membership)
        for k in keys:
            setattr(kit, k, k in items)
        kit.updated_by = actor
        kit.save()
        return kit
