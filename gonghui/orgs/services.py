"""Every write to the organisation tree. Each function is one transaction and leaves an audit entry
(django-auditlog records the model change; `set_actor` names who made it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gonghui.accounts.permissions import Action
from gonghui.core.identifiers import normalize_code, org_code_of, uscc_error
from gonghui.core.models import Region

from .models import Coverage, Enterprise, Union
from .scope import path_in_scope, require

UNION_KINDS_UNDER: dict[str, tuple[str, ...]] = {
    Union.Kind.DISTRICT: (Union.Kind.TOWNSHIP, Union.Kind.FEDERATION, Union.Kind.SINGLE, Union.Kind.JOINT),
    Union.Kind.TOWNSHIP: (Union.Kind.FEDERATION, Union.Kind.SINGLE, Union.Kind.JOINT),
    Union.Kind.FEDERATION: (Union.Kind.FEDERATION, Union.Kind.SINGLE, Union.Kind.JOINT),
    Union.Kind.SINGLE: (),
    Union.Kind.JOINT: (),
}


def clean_union_code(raw: object, *, required: bool = False) -> str | None:
    """Normalise a union's USCC; unions' codes begin with 81 (registration authority 8 = 工会)."""
    code = normalize_code(raw)
    if not code:
        if required:
            raise ValidationError("工会统一社会信用代码不能为空")
        return None
    error = uscc_error(code)
    if error:
        raise ValidationError(error)
    if not code.startswith("81"):
        raise ValidationError(f"工会的统一社会信用代码应以“81”开头：{code}")
    return code


def clean_enterprise_code(raw: object) -> str:
    code = normalize_code(raw)
    error = uscc_error(code)
    if error:
        raise ValidationError(error)
    return code


def union_kind_error(*, parent_kind: str, kind: str) -> str | None:
    """Why a union of `kind` may not sit under a union of `parent_kind` (None: it may). The one rule, used by
    creating, moving and the console's form."""
    if kind not in Union.Kind.values:
        return f"未知的工会类型：{kind}"
    if kind not in UNION_KINDS_UNDER[parent_kind]:
        return f"{Union.Kind(parent_kind).label}下不能设立{Union.Kind(kind).label}"
    return None


def union_create(*, actor: Any, parent: Union | None, **fields: Any) -> Union:
    """Create a union under `parent` (None: a new root). Checks the kind may sit there. Atomic, audited."""
    kind = fields.get("kind")
    if kind not in Union.Kind.values:
        raise ValidationError(f"未知的工会类型：{kind}")
    error = union_kind_error(parent_kind=parent.kind, kind=kind) if parent is not None else None
    if error:
        raise ValidationError(error)
    fields["code"] = clean_union_code(fields.get("code"))
    with transaction.atomic(), set_actor(actor):
        if parent is None:
            return Union.add_root(**fields)
        parent = Union.objects.select_for_update().get(pk=parent.pk)
        return parent.add_child(**fields)


UNION_EDITABLE = ("name", "code", "region", "chair", "contact", "contact_phone", "founded_on", "status", "federation_type")


def union_update(*, actor: Any, union: Union, **fields: Any) -> bool:
    """Change plain fields of a union; returns whether anything changed. Atomic, audited, idempotent."""
    if "code" in fields:
        fields["code"] = clean_union_code(fields["code"])
    changed = False
    for name, value in fields.items():
        if name not in UNION_EDITABLE:
            raise ValueError(name)
        if getattr(union, name) != value:
            setattr(union, name, value)
            changed = True
    if changed:
        with transaction.atomic(), set_actor(actor):
            union.save()
    return changed


def union_move(*, actor: Any, union: Union, new_parent: Union) -> Union:
    """Move a union (and its subtree) under `new_parent`. The actor must hold `move` on both (403 otherwise).
    Atomic; writes an audit entry naming both parents."""
    require(actor, Action.MOVE, union)
    require(actor, Action.MOVE, new_parent)
    if new_parent.path.startswith(union.path):
        raise ValidationError("不能把工会移动到它自己或它的下级之下")
    error = union_kind_error(parent_kind=new_parent.kind, kind=union.kind)
    if error:
        raise ValidationError(error)
    old_parent = union.get_parent()
    with transaction.atomic(), set_actor(actor):
        union.move(new_parent, pos="sorted-child" if Union.node_order_by else "last-child")
        union.refresh_from_db()
        LogEntry.objects.log_create(
            union,
            action=LogEntry.Action.UPDATE,
            changes={"上级工会": [str(old_parent), str(new_parent)]},
            force_log=True,
        )
    return union


def township_union_for_region(region: Region) -> Union:
    """The township federation responsible, by territory (属地管理), for `region`."""
    union = Union.objects.filter(kind=Union.Kind.TOWNSHIP, region=region).first()
    if union is None:
        raise ValidationError(f"镇街“{region.name}”没有对应的镇(街道)总工会")
    return union


def enterprise_upsert(*, actor: Any, uscc: str, **fields: Any) -> tuple[Enterprise, str]:
    """Create or update the enterprise with this USCC. Returns (enterprise, "created"|"updated"|"unchanged").

    Idempotent: the same values twice change nothing. The territory follows the region.
    """
    code = clean_enterprise_code(uscc)
    region = fields.get("region")
    if region is not None and "territory" not in fields:
        fields["territory"] = township_union_for_region(region)
    with transaction.atomic(), set_actor(actor):
        existing = Enterprise.objects.select_for_update().filter(uscc=code).first()
        if existing is None:
            if "territory" not in fields:
                raise ValidationError(f"企业“{fields.get('name', code)}”缺少所在镇街")
            ent = Enterprise.objects.create(uscc=code, org_code=org_code_of(code), **fields)
            return ent, "created"
        changed = [name for name, value in fields.items() if getattr(existing, name) != value]
        if not changed:
            return existing, "unchanged"
        for name in changed:
            setattr(existing, name, fields[name])
        existing.save()
        return existing, "updated"


def coverage_start(
    *, actor: Any, union: Union, enterprise: Enterprise, started_on: dt.date | None = None, note: str = ""
) -> Coverage:
    """Make `union` the union that covers `enterprise` from `started_on`, ending any other open coverage.

    A single union (单独建会) covers one enterprise; a joint union many. Idempotent when already covered
    by the same union. Atomic; the one-open-coverage constraint settles races.
    """
    if not union.is_grassroots:
        raise ValidationError(f"只有基层工会才能覆盖企业：{union.name}是{union.get_kind_display()}")
    started_on = started_on or timezone.localdate()
    with transaction.atomic(), set_actor(actor):
        enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        current = Coverage.objects.filter(enterprise=enterprise, ended_on__isnull=True).first()
        if current is not None and current.union_id == union.pk:
            return current
        if union.kind == Union.Kind.SINGLE:
            # lock the union row first: two imports covering two firms with one 单独建会 union queue here, and
            # the second sees the first's coverage (check-then-insert is safe only under the lock)
            Union.objects.select_for_update().filter(pk=union.pk).first()
            other = (
                Coverage.objects.filter(union=union, ended_on__isnull=True).exclude(enterprise=enterprise).first()
            )
            if other is not None:
                raise ValidationError(f"单独建会的{union.name}已覆盖{other.enterprise.name}，不能再覆盖其他企业")
        if current is not None:
            current.ended_on = started_on
            current.save(update_fields=["ended_on"])
        coverage = Coverage.objects.create(union=union, enterprise=enterprise, started_on=started_on, note=note)
        enterprise.covering_union = union
        enterprise.save(update_fields=["covering_union", "updated_at"])
        return coverage


def coverage_end(*, actor: Any, enterprise: Enterprise, ended_on: dt.date | None = None) -> bool:
    """End the open coverage of `enterprise`, if any. History stays. Atomic, audited, idempotent."""
    with transaction.atomic(), set_actor(actor):
        current = Coverage.objects.select_for_update().filter(enterprise=enterprise, ended_on__isnull=True).first()
        if current is None:
            return False
        current.ended_on = ended_on or timezone.localdate()
        current.save(update_fields=["ended_on"])
        Enterprise.objects.filter(pk=enterprise.pk).update(covering_union=None)
        return True


# ---------------------------------------------------------------- the console's one-at-a-time writes
# The dialogs 新增工会 / 编辑 / 新增企业 / 编辑 call these: each requires `change` where it writes (403), checks what a
# dialog can get wrong that an import cannot (a code already registered to another union or firm), and then goes
# through the very services the imports use (union_create / union_update / enterprise_upsert / coverage_start), so
# the rules are theirs. Errors name their field (a dict ValidationError), so the form shows each beside its field.


def _code_owner(model: type[Union] | type[Enterprise], *, actor: Any, field: str, code: str,
                exclude: int | None = None) -> str | None:
    """Who holds `code` already: "“name”" when the actor sees it, "其他单位" otherwise (never a name out of scope)."""
    qs = model.objects.filter(**{field: code})
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    owner = qs.first()
    if owner is None:
        return None
    visible = model.objects.visible_to(actor).filter(pk=owner.pk).exists()  # type: ignore[attr-defined]
    return f"“{owner.name}”" if visible else "其他单位（不在您的管辖范围）"


def union_add(*, actor: Any, parent: Union, kind: str, code: object = None, **fields: Any) -> Union:
    """新增工会 from the console: requires `change` on `parent` (403); the code's USCC rule, the kinds allowed
    under the parent and creation itself are `union_create`'s. Refuses a code another union holds. Atomic,
    audited (django-auditlog, actor set)."""
    require(actor, Action.CHANGE, parent)
    errors: dict[str, str] = {}
    clean: str | None = None
    try:
        clean = clean_union_code(code)
    except ValidationError as exc:
        errors["code"] = "；".join(exc.messages)
    if clean and (owner := _code_owner(Union, actor=actor, field="code", code=clean)):
        errors["code"] = f"该统一社会信用代码已登记为{owner}"
    error = union_kind_error(parent_kind=parent.kind, kind=kind)
    if error:
        errors["kind"] = error
    if errors:
        raise ValidationError(errors)
    return union_create(actor=actor, parent=parent, kind=kind, code=clean, **fields)


def union_edit(*, actor: Any, union: Union, reason: str = "", **fields: Any) -> bool:
    """编辑工会 from the console: requires `change` on the union (403); plain fields only (a new parent is a
    move: `union_move`). Setting the status to 已撤销 needs a reason, written to the audit log beside the change.
    Refuses a code another union holds. Returns whether anything changed. Atomic, audited."""
    require(actor, Action.CHANGE, union)
    errors: dict[str, str] = {}
    if "code" in fields:
        try:
            fields["code"] = clean_union_code(fields["code"])
        except ValidationError as exc:
            errors["code"] = "；".join(exc.messages)
        else:
            code = fields["code"]
            if code and (owner := _code_owner(Union, actor=actor, field="code", code=code, exclude=union.pk)):
                errors["code"] = f"该统一社会信用代码已登记为{owner}"
    revoking = fields.get("status") == Union.Status.REVOKED and union.status != Union.Status.REVOKED
    if revoking and not reason.strip():
        errors["reason"] = "撤销工会须填写原因"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(actor):
        changed = union_update(actor=actor, union=union, **fields)
        if revoking:
            LogEntry.objects.log_create(union, action=LogEntry.Action.UPDATE, force_log=True,
                                        changes={"撤销原因": ["", reason.strip()[:200]]})
    return changed


def enterprise_add(*, actor: Any, uscc: object, township: Union, covering_union: Union | None = None,
                   **fields: Any) -> Enterprise:
    """新增企业 from the console: requires `change` on its township federation (and on the covering union, if
    one is named); the USCC rule is `clean_enterprise_code`'s, the write `enterprise_upsert`'s (and
    `coverage_start`'s). A USCC already registered is refused (a dialog never overwrites a firm it did not open).
    Atomic, audited."""
    require(actor, Action.CHANGE, township)
    errors: dict[str, str] = {}
    code = ""
    try:
        code = clean_enterprise_code(uscc)
    except ValidationError as exc:
        errors["uscc"] = "；".join(exc.messages)
    if code and (owner := _code_owner(Enterprise, actor=actor, field="uscc", code=code)):
        errors["uscc"] = f"该统一社会信用代码已登记为{owner}"
    if township.kind != Union.Kind.TOWNSHIP:
        errors["township"] = "请选择企业所在的镇街"
    if covering_union is not None:
        require(actor, Action.CHANGE, covering_union)
        if not covering_union.is_grassroots:
            errors["covering_union"] = f"{covering_union.name}是{covering_union.get_kind_display()}，只有基层工会才能覆盖企业"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(actor):
        enterprise, _outcome = enterprise_upsert(actor=actor, uscc=code, region=township.region, territory=township,
                                                 **fields)
        if covering_union is not None:
            coverage_start(actor=actor, union=covering_union, enterprise=enterprise)
            enterprise.refresh_from_db()
    return enterprise


def enterprise_edit(*, actor: Any, enterprise: Enterprise, township: Union, covering_union: Union | None = None,
                    **fields: Any) -> str:
    """编辑企业 from the console: requires `change` on the firm (403). Moving it to another township needs
    `change` on both townships (the import's rule); a covering union named must be a grassroots union the actor
    may change. The USCC is the firm's identity and is not edited. Returns "updated" | "unchanged". Atomic,
    audited (through `enterprise_upsert` / `coverage_start`)."""
    require(actor, Action.CHANGE, enterprise)
    errors: dict[str, str] = {}
    if township.kind != Union.Kind.TOWNSHIP:
        errors["township"] = "请选择企业所在的镇街"
    elif township.pk != enterprise.territory_id:
        current = Union.objects.get(pk=enterprise.territory_id)
        if not (path_in_scope(actor, township.path, Action.CHANGE) and
                path_in_scope(actor, current.path, Action.CHANGE)):
            errors["township"] = "变更企业的所在镇街须由同时管辖原镇街和新镇街的干部办理"
    if covering_union is not None and covering_union.pk != enterprise.covering_union_id:
        require(actor, Action.CHANGE, covering_union)
        if not covering_union.is_grassroots:
            errors["covering_union"] = f"{covering_union.name}是{covering_union.get_kind_display()}，只有基层工会才能覆盖企业"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(actor):
        _ent, outcome = enterprise_upsert(actor=actor, uscc=enterprise.uscc, region=township.region,
                                          territory=township, **fields)
        if covering_union is not None and covering_union.pk != enterprise.covering_union_id:
            coverage_start(actor=actor, union=covering_union, enterprise=enterprise)
            outcome = "updated"
    enterprise.refresh_from_db()
    return outcome
