"""Importing enterprise and union lists from cadres' spreadsheets: the `enterprises` and `unions` kinds of the
one import path (`gonghui.core.importing`).

`check` reads the file and the database and WRITES NOTHING: every row is validated (scope, parents, codes,
choices, the single-union rule across the file) and classified — 新增 / 更新 (which fields) / 不变 / 错误 —
as a confirm would do it. Unions a list creates become parents of its later rows through in-memory
placeholders, so the preview needs no write-and-roll-back. `write` runs the same row logic through
`orgs.services` (every write audited, each row in its own savepoint) in batches of `BATCH` rows: on SQLite one
short transaction per batch (no file-wide write lock), on PostgreSQL all batches in one transaction. Strict
(the default): the whole file is checked again first and a file with any rejected row writes nothing;
`skip_invalid`: the valid rows are written and the rest reported. Re-importing the same file is idempotent.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from gonghui.accounts.permissions import Action, action_paths
from gonghui.core.audit import audit_access
from gonghui.core.db import serialized_writes
from gonghui.core.excel import Column, Row, Table, cell_text, parse_date, parse_int, read_table
from gonghui.core.identifiers import normalize_code, uscc_error
from gonghui.core.importing import ImportKind, ImportRequest, Outcome, get_kind, register
from gonghui.core.models import Region

from . import services
from .models import Coverage, Enterprise, Union
from .scope import path_in_scope

OUT_OF_SCOPE = "不在您的管辖范围"
BATCH = 500

ENTERPRISE_STATUS = {"存续": "active", "在业": "active", "开业": "active", "在营": "active", "吊销": "revoked",
                     "注销": "cancelled"}
UNION_STATUS = {"正常": "normal", "疑似空壳": "shell", "空壳": "shell", "已撤销": "revoked", "撤销": "revoked"}
UNION_KIND = {"单独建会": "single", "联合工会": "joint", "工会联合会": "federation", "联合会": "federation"}

ENTERPRISE_COLUMNS = (  # headers are found through the one synonym table, linkage.schema.HEADERS
    Column("uscc", "统一社会信用代码", field="uscc", required=True, width=22),
    Column("name", "单位名称", field="enterprise_name", required=True, width=32),
    Column("township", "所在镇街", field="township", required=True, width=14),
    Column("address", "单位地址", field="address", width=32),
    Column("industry", "所属行业", field="industry", width=14),
    Column("headcount", "参保人数", field="headcount", width=10),
    Column("status", "经营状态", field="enterprise_status", choices=("存续", "吊销", "注销"), width=10),
    Column("union_code", "覆盖工会统一社会信用代码", field="covering_union_code", width=24),
)

UNION_COLUMNS = (
    Column("name", "工会名称", field="union_name", required=True, width=32),
    Column("code", "统一社会信用代码", field="uscc", width=22),
    Column("kind", "类型", field="union_kind", required=True, choices=("单独建会", "联合工会", "工会联合会"), width=12),
    Column("parent", "上级工会", field="parent_union", required=True, width=28),
    Column("township", "所在镇街", field="township", width=14),
    Column("chair", "工会主席", field="chair", width=10),
    Column("phone", "联系电话", field="contact_phone", width=14),
    Column("founded", "成立日期", field="founded_on", width=12),
    Column("status", "状态", field="union_status", choices=("正常", "疑似空壳", "已撤销"), width=10),
)

KINDS = {"enterprises": "企业名录", "unions": "工会名录"}
AUDIT_MODELS: dict[str, Any] = {"enterprises": Enterprise, "unions": Union}  # the users kind adds accounts.User
FIELD_LABELS = {"name": "名称", "region": "所在镇街", "territory": "所在镇街", "address": "单位地址",
                "industry": "所属行业", "headcount": "参保人数", "status": "状态", "covering_union": "覆盖工会",
                "code": "统一社会信用代码", "chair": "工会主席", "contact_phone": "联系电话", "founded_on": "成立日期"}


class _RowFailed(Exception):
    def __init__(self, column: str, value: object, message: str) -> None:
        super().__init__(message)
        self.column, self.value, self.message = column, cell_text(value), message


def _cell(values: dict[str, Any], key: str, label: dict[str, str], parse: Callable[[Any], Any]) -> Any:
    """`parse` one cell; its ValueError becomes a row error naming the column and the value."""
    try:
        return parse(values.get(key))
    except ValueError as exc:
        raise _RowFailed(label[key], values.get(key), str(exc)) from exc


def _choice(values: dict[str, Any], key: str, label: dict[str, str], choices: dict[str, str], message: str) -> str | None:
    """A dropdown cell mapped through `choices`; blank gives None, anything else not listed is a row error."""
    text = cell_text(values.get(key))
    if not text:
        return None
    if text not in choices:
        raise _RowFailed(label[key], text, message)
    return choices[text]


def _message(exc: ValidationError) -> str:
    return "；".join(str(m) for m in exc.messages)


def _duplicates(rows: list[Row], key: Callable[[Row], str]) -> dict[int, list[int]]:
    """Row number → the other rows sharing its key (blank keys ignored)."""
    seen: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        k = key(r)
        if k:
            seen[k].append(r.number)
    return {n: numbers for numbers in seen.values() if len(numbers) > 1 for n in numbers}


def _changed(obj: Any, fields: dict[str, Any]) -> list[str]:
    """The fields whose value differs from what is stored (what a service's update would change)."""
    return [name for name, value in fields.items() if getattr(obj, name) != value]


def _detail(names: Sequence[str]) -> str:
    return "、".join(dict.fromkeys(FIELD_LABELS.get(n, n) for n in names))


@dataclass
class _Result:
    """One row's verdict: created | updated | unchanged, what it is, which fields change."""

    outcome: str
    label: str
    detail: str = ""


_RowMaker = Callable[[Table, bool], tuple[Callable[[Row], _Result], dict[int, tuple[str, str, str]]]]


def _process(req: ImportRequest, *, columns: Sequence[Column], kind: str, make_row: _RowMaker, write: bool) -> Outcome:
    """Read the file, then run each row through the row function `make_row` builds: checking only
    (write=False) or writing (write=True, in batches). Rows refused before (in-file duplicates) come from its
    second value."""
    if write and not req.skip_invalid:
        # strict: nothing may be written unless every row passes; check the whole file first (the database
        # may have changed since the preview)
        checked = _process(req, columns=columns, kind=kind, make_row=make_row, write=False)
        if checked.rejected:
            return checked
    table = read_table(req.path, columns, sheet=req.sheet)
    result = Outcome(sheet=table.sheet, header_row=table.header_row, blank_rows=table.blank_rows,
                     rows=len(table.rows), total_rows=len(table.rows))
    do_row, before = make_row(table, write)

    def one(row: Row) -> None:
        if row.number in before:
            column, value, reason = before[row.number]
            result.reject(row.number, column, value, reason, row.values)
            return
        try:
            with transaction.atomic() if write else nullcontext():
                verdict = do_row(row)
        except _RowFailed as exc:
            result.reject(row.number, exc.column, exc.value, exc.message, row.values)
        except ValidationError as exc:
            result.reject(row.number, "", "", _message(exc), row.values)
        else:
            result.count(verdict.outcome, row=row.number, label=verdict.label, detail=verdict.detail)

    if not write:
        for i, row in enumerate(table.rows):
            one(row)
            if req.progress and i % 200 == 0:
                req.progress(i, len(table.rows), "检查")
        return result
    whole_file = connection.vendor != "sqlite"
    with transaction.atomic() if whole_file else nullcontext():
        for start in range(0, len(table.rows), BATCH):
            with nullcontext() if whole_file else serialized_writes(), transaction.atomic():
                for row in table.rows[start : start + BATCH]:
                    one(row)
            if req.progress:
                req.progress(min(start + BATCH, len(table.rows)), len(table.rows), "写入")
        if result.rejected and not req.skip_invalid and whole_file:
            transaction.set_rollback(True)  # a race since the check: all or nothing on PostgreSQL
            return result
        result.written = True
        audit_access(actor=req.actor, obj=None, model=AUDIT_MODELS.get(kind, Union), what=_summary(kind, result, req.filename))
    return result


def _summary(kind: str, result: Outcome, filename: str) -> str:
    label = KINDS.get(kind) or getattr(get_kind(kind), "label", kind)
    return (f"导入{label}：新增 {result.created} 条，更新 {result.updated} 条，不变 {result.unchanged} 条"
            + (f"，{result.rejected} 行未导入" if result.rejected else "")
            + (f"（文件 {filename}）" if filename else ""))


# ---------------------------------------------------------------- lookups shared by both imports


class _Townships:
    """Township federations by every name a cadre writes: 东城街道, 东城街道总工会."""

    def __init__(self) -> None:
        self.by_name: dict[str, Union] = {}
        for u in Union.objects.filter(kind=Union.Kind.TOWNSHIP).select_related("region"):
            self.by_name[u.name] = u
            self.by_name[u.name.removesuffix("总工会")] = u
            if u.region is not None:
                self.by_name[u.region.name] = u

    def get(self, text: str) -> Union | None:
        return self.by_name.get(re.sub(r"\s+", "", text))


def township_names(*, user: Any) -> list[str]:
    """The township names (as the dropdown offers them) inside the user's scope."""
    names = []
    for u in Union.objects.visible_to(user).filter(kind=Union.Kind.TOWNSHIP).select_related("region").order_by("path"):
        names.append(u.region.name if u.region is not None else u.name.removesuffix("总工会"))
    return names


def parent_names(*, user: Any) -> list[str]:
    """Names of the unions in scope that can hold other unions (区/镇街总工会, 联合会): the 上级工会 dropdown."""
    return list(
        Union.objects.visible_to(user)
        .filter(kind__in=(Union.Kind.DISTRICT, Union.Kind.TOWNSHIP, Union.Kind.FEDERATION))
        .order_by("path")
        .values_list("name", flat=True)
    )


def template_columns(kind: str, *, user: Any) -> tuple[Column, ...]:
    """The template's columns, dropdowns filled from the user's scope (no user: the plain columns)."""
    if user is None:
        return ENTERPRISE_COLUMNS if kind == "enterprises" else UNION_COLUMNS
    if kind == "enterprises":
        towns = tuple(township_names(user=user))
        return tuple(dataclasses.replace(c, choices=towns) if c.key == "township" else c for c in ENTERPRISE_COLUMNS)
    parents = tuple(parent_names(user=user))
    towns = tuple(township_names(user=user))
    return tuple(
        dataclasses.replace(c, choices=parents) if c.key == "parent"
        else dataclasses.replace(c, choices=towns) if c.key == "township" else c
        for c in UNION_COLUMNS
    )


# ---------------------------------------------------------------- enterprises


def _enterprise_rows(actor: Any) -> _RowMaker:
    def make(table: Table, write: bool) -> tuple[Callable[[Row], _Result], dict[int, tuple[str, str, str]]]:
        label = {c.key: c.label for c in ENTERPRISE_COLUMNS}
        codes = {r.number: normalize_code(r.values.get("uscc")) for r in table.rows}
        before: dict[int, tuple[str, str, str]] = {}
        for number, rows in _duplicates(table.rows, lambda r: codes[r.number]).items():
            others = "、".join(str(n) for n in rows)
            before[number] = (label["uscc"], codes[number], f"统一社会信用代码在文件中重复（第{others}行）")

        towns = _Townships()
        all_codes = [c for c in codes.values() if c]
        existing: dict[str, Enterprise] = {}
        visible: set[str] = set()
        for i in range(0, len(all_codes), 500):
            chunk = all_codes[i : i + 500]
            existing.update({e.uscc: e for e in Enterprise.objects.filter(uscc__in=chunk).select_related("territory")})
            visible.update(Enterprise.objects.visible_to(actor).filter(uscc__in=chunk).values_list("uscc", flat=True))
        union_codes = {normalize_code(r.values.get("union_code")) for r in table.rows} - {""}
        unions_by_code = {u.code: u for u in Union.objects.filter(code__in=union_codes)}
        # 单独建会 covers one firm: the rule across the database and this file, as the check sees it
        single_taken: dict[int, str] = dict(Coverage.objects.filter(
            union__in=[u for u in unions_by_code.values() if u.kind == Union.Kind.SINGLE], ended_on__isnull=True,
        ).values_list("union_id", "enterprise__uscc"))

        def do_row(row: Row) -> _Result:
            v = row.values
            code = codes[row.number]
            error = uscc_error(v.get("uscc"))
            if error:
                raise _RowFailed(label["uscc"], v.get("uscc"), error)
            name = cell_text(v.get("name"))
            if not name:
                raise _RowFailed(label["name"], "", "单位名称不能为空")
            if len(name) > 120:
                raise _RowFailed(label["name"], name, "单位名称不能超过120个字")
            town_text = cell_text(v.get("township"))
            if not town_text:
                raise _RowFailed(label["township"], "", "所在镇街不能为空")
            township = towns.get(town_text)
            if township is None:
                raise _RowFailed(label["township"], town_text, "没有这个镇街，请从下拉列表中选择")
            fields: dict[str, Any] = {"name": name, "region": township.region, "territory": township}
            for key in ("address", "industry"):
                text = cell_text(v.get(key))
                if text:
                    fields[key] = text[:200 if key == "address" else 50]
            headcount = _cell(v, "headcount", label, lambda x: parse_int(x, label=label["headcount"]))
            if headcount is not None:
                fields["headcount"] = headcount
            status = _choice(v, "status", label, ENTERPRISE_STATUS, "经营状态应为 存续、吊销 或 注销")
            if status is not None:
                fields["status"] = status
            union: Union | None = None
            union_code = normalize_code(v.get("union_code"))
            if union_code:
                union = unions_by_code.get(union_code)
                if union is None:
                    raise _RowFailed(label["union_code"], union_code, "找不到这个统一社会信用代码的工会")
                if not path_in_scope(actor, union.path, Action.CHANGE):
                    raise _RowFailed(label["union_code"], union_code, f"该工会{OUT_OF_SCOPE}")
                if not union.is_grassroots:
                    raise _RowFailed(label["union_code"], union_code,
                                     f"{union.name}是{union.get_kind_display()}，只有基层工会才能覆盖企业")
            sees_town = path_in_scope(actor, township.path, Action.CHANGE)
            if not sees_town and union is None:
                raise _RowFailed(label["township"], town_text, OUT_OF_SCOPE)
            current = existing.get(code)
            if current is not None and code not in visible:
                raise _RowFailed(label["uscc"], code, f"该企业已登记在其他镇街，{OUT_OF_SCOPE}")
            if current is not None and current.territory_id != township.pk and not (
                sees_town and path_in_scope(actor, current.territory.path, Action.CHANGE)
            ):
                # an industry federation sees the firms its unions cover, not their township's ground
                raise _RowFailed(label["township"], town_text,
                                 "所在镇街与登记不一致；变更企业的所在镇街须由同时管辖原镇街和新镇街的干部办理")
            if union is not None and union.kind == Union.Kind.SINGLE:
                taken = single_taken.get(union.pk)
                if taken is not None and taken != code:
                    raise _RowFailed(label["union_code"], union_code,
                                     f"单独建会的{union.name}已覆盖其他企业，不能再覆盖本企业")
                single_taken[union.pk] = code
            shown = f"{name}（{code}）"
            covers = union is not None and (current is None or current.covering_union_id != union.pk)
            if not write:
                if current is None:
                    return _Result("created", shown)
                changed = _changed(current, fields) + (["covering_union"] if covers else [])
                return _Result("updated" if changed else "unchanged", shown, _detail(changed))
            changed = [] if current is None else _changed(current, fields)
            enterprise, outcome = services.enterprise_upsert(actor=actor, uscc=code, **fields)
            if union is not None and enterprise.covering_union_id != union.pk:
                services.coverage_start(actor=actor, union=union, enterprise=enterprise)
                changed.append("covering_union")
                if outcome == "unchanged":
                    outcome = "updated"
            return _Result(outcome, shown, "" if outcome == "created" else _detail(changed))

        return do_row, before

    return make


def import_enterprises(*, actor: Any, source: Any, commit: bool, skip_invalid: bool = False, filename: str = "",
                       progress: Any = None) -> Outcome:
    """Check (commit=False: writes nothing) or import an enterprise list, creating/updating each firm through
    `services.enterprise_upsert` (and `coverage_start` when 覆盖工会统一社会信用代码 is given). Strict unless
    `skip_invalid`; idempotent; scope-checked: a row outside the actor's territory or subtree is an error, and
    only a cadre who sees both townships moves a firm. Raises SpreadsheetError for an unreadable file."""
    req = ImportRequest(path=source, actor=actor, union=None, skip_invalid=skip_invalid, filename=filename,
                        progress=progress)
    return _process(req, columns=ENTERPRISE_COLUMNS, kind="enterprises", make_row=_enterprise_rows(actor),
                    write=commit)


# ---------------------------------------------------------------- unions


@dataclass
class _Pending:
    """A union this file creates, as the check sees it before anything is written (a parent for later rows)."""

    name: str
    code: str | None
    kind: str
    path: str = ""

    def get_kind_display(self) -> str:
        return str(Union.Kind(self.kind).label)


def _union_rows(actor: Any) -> _RowMaker:
    def make(table: Table, write: bool) -> tuple[Callable[[Row], _Result], dict[int, tuple[str, str, str]]]:
        label = {c.key: c.label for c in UNION_COLUMNS}
        codes = {r.number: normalize_code(r.values.get("code")) for r in table.rows}
        names = {r.number: re.sub(r"\s+", "", cell_text(r.values.get("name"))) for r in table.rows}
        before: dict[int, tuple[str, str, str]] = {}
        for number, rows in _duplicates(table.rows, lambda r: names[r.number]).items():
            others = "、".join(str(n) for n in rows)
            before[number] = (label["name"], names[number], f"工会名称在文件中重复（第{others}行）")
        for number, rows in _duplicates(table.rows, lambda r: codes[r.number]).items():
            others = "、".join(str(n) for n in rows)
            before[number] = (label["code"], codes[number], f"统一社会信用代码在文件中重复（第{others}行）")

        towns = _Townships()
        regions = {r.name: r for r in Region.objects.filter(level=Region.Level.TOWNSHIP)}
        paths = action_paths(actor, Action.CHANGE)
        # Every union the actor may name as a parent, by name and by code; unions created by this file join in
        # (real ones when writing, placeholders when checking).
        by_name: dict[str, list[Any]] = defaultdict(list)
        by_code: dict[str, Any] = {}
        for u in Union.objects.visible_to(actor).exclude(kind__in=(Union.Kind.SINGLE, Union.Kind.JOINT)):
            by_name[u.name].append(u)
            if u.code:
                by_code[u.code] = u

        def find_parent(text: str) -> Any:
            code = normalize_code(text)
            if len(code) == 18 and code.isalnum() and code[:2].isdigit():
                found = by_code.get(code)
                if found is None:
                    exists = Union.objects.filter(code=code).exists()
                    raise _RowFailed(label["parent"], text, OUT_OF_SCOPE if exists else "找不到这个统一社会信用代码的上级工会")
                return found
            matches = by_name.get(re.sub(r"\s+", "", text), [])
            if len(matches) > 1:
                raise _RowFailed(label["parent"], text, "有多个同名工会，请改填上级工会的统一社会信用代码")
            if not matches:
                exists = Union.objects.filter(name=text).exists()
                raise _RowFailed(label["parent"], text, OUT_OF_SCOPE if exists else "找不到这个上级工会（须为镇街总工会或工会联合会）")
            return matches[0]

        def do_row(row: Row) -> _Result:
            v = row.values
            name = names[row.number]
            if not name:
                raise _RowFailed(label["name"], "", "工会名称不能为空")
            if len(name) > 100:
                raise _RowFailed(label["name"], name, "工会名称不能超过100个字")
            code: str | None = None
            if codes[row.number]:
                try:
                    code = services.clean_union_code(codes[row.number])
                except ValidationError as exc:
                    raise _RowFailed(label["code"], v.get("code"), _message(exc)) from exc
            kind_text = cell_text(v.get("kind"))
            kind = UNION_KIND.get(kind_text)
            if kind is None:
                raise _RowFailed(label["kind"], kind_text, "类型应为 单独建会、联合工会 或 工会联合会")
            parent_text = cell_text(v.get("parent"))
            if not parent_text:
                raise _RowFailed(label["parent"], "", "上级工会不能为空")
            parent = find_parent(parent_text)
            fields: dict[str, Any] = {"name": name}
            town_text = cell_text(v.get("township"))
            if town_text:
                region = regions.get(town_text)
                township = towns.get(town_text)
                if region is None and township is not None:
                    region = township.region
                if region is None:
                    raise _RowFailed(label["township"], town_text, "没有这个镇街，请从下拉列表中选择")
                fields["region"] = region
            for key, target, size in (("chair", "chair", 30), ("phone", "contact_phone", 20)):
                text = cell_text(v.get(key))
                if text:
                    if len(text) > size:
                        raise _RowFailed(label[key], text, f"不能超过{size}个字")
                    fields[target] = text
            founded = _cell(v, "founded", label, parse_date)
            if founded is not None:
                fields["founded_on"] = founded
            status = _choice(v, "status", label, UNION_STATUS, "状态应为 正常、疑似空壳 或 已撤销")
            if status is not None:
                fields["status"] = status

            pending_parent = isinstance(parent, _Pending)
            if code:
                existing = Union.objects.filter(code=code).first()
            elif pending_parent:
                existing = None  # nothing exists yet under a union this file creates
            else:
                existing = Union.objects.filter(name=name, path__startswith=parent.path, depth=parent.depth + 1).first()
            if existing is None:
                if code is None and Union.objects.filter(name=name).visible_to(actor).exists():
                    raise _RowFailed(label["name"], name, "已有同名工会在其他上级之下；如是同一工会，请填写统一社会信用代码")
                if kind not in services.UNION_KINDS_UNDER[parent.kind]:
                    raise ValidationError(f"{parent.get_kind_display()}下不能设立{Union.Kind(kind).label}")
                created: Any = (services.union_create(actor=actor, parent=parent, kind=kind, code=code, **fields)
                                if write else _Pending(name=name, code=code, kind=kind))
                if kind == Union.Kind.FEDERATION:
                    by_name[created.name].append(created)
                    if created.code:
                        by_code[created.code] = created
                return _Result("created", name)
            if paths is not None and not any(existing.path.startswith(p) for p in paths):
                raise _RowFailed(label["code"] if code else label["name"], code or name, f"该工会{OUT_OF_SCOPE}")
            if pending_parent or existing.path[: -Union.steplen] != parent.path:
                current = Union.objects.filter(path=existing.path[: -Union.steplen]).first()
                raise _RowFailed(label["parent"], parent_text,
                                 f"该工会现属“{current}”，与填写的上级工会不一致；如需调整请在工会详情页使用“移动”")
            if existing.kind != kind:
                raise _RowFailed(label["kind"], kind_text, f"该工会现为“{existing.get_kind_display()}”，类型不能通过导入修改")
            if code:
                fields["code"] = code
            changed = _changed(existing, fields)
            if write and changed:
                services.union_update(actor=actor, union=existing, **fields)
            return _Result("updated" if changed else "unchanged", name, _detail(changed))

        return do_row, before

    return make


def import_unions(*, actor: Any, source: Any, commit: bool, skip_invalid: bool = False, filename: str = "",
                  progress: Any = None) -> Outcome:
    """Check (commit=False: writes nothing) or import a union list, creating (`services.union_create`) or
    updating (`services.union_update`) each union under its 上级工会, which must lie in the actor's scope (or be
    created earlier in the same file). Strict unless `skip_invalid`; idempotent; scope-checked. Raises
    SpreadsheetError when the file cannot be read."""
    req = ImportRequest(path=source, actor=actor, union=None, skip_invalid=skip_invalid, filename=filename,
                        progress=progress)
    return _process(req, columns=UNION_COLUMNS, kind="unions", make_row=_union_rows(actor), write=commit)


IMPORTERS: dict[str, Callable[..., Outcome]] = {"enterprises": import_enterprises, "unions": import_unions}


# ---------------------------------------------------------------- registration with the one import path


def registry_anchor(user: Any, action: str = Action.CHANGE) -> Union | None:
    """The union an import without a chosen union is made under (and scoped by): the top node where the user
    holds `action` (change for the registries, manage_users for the users import)."""
    paths = action_paths(user, action)
    if paths is None:
        return Union.objects.filter(depth=1).order_by("path").first()
    return Union.objects.filter(path__in=paths).order_by("path").first()


def _kind(name: str) -> ImportKind:
    def run(req: ImportRequest, *, commit: bool) -> Outcome:
        return IMPORTERS[name](actor=req.actor, source=req.path, commit=commit, skip_invalid=req.skip_invalid,
                               filename=req.filename, progress=req.progress)

    def done_url(job: Any) -> str:
        from django.urls import reverse

        return reverse("orgs:enterprise_list" if name == "enterprises" else "orgs:union_list")

    notes = ("带 * 的列必填", "镇街、类型、状态请从下拉列表中选择", "统一社会信用代码为18位",
             "默认同一文件中有任何一行出错，整份文件都不会写入；也可选择先导入正确的行")
    return ImportKind(name=name, label=KINDS[name], columns=lambda user: template_columns(name, user=user),
                      check=lambda req: run(req, commit=False), write=lambda req: run(req, commit=True),
                      notes=notes, done_url=done_url, anchor=registry_anchor)


for _name in KINDS:
    register(_kind(_name))

from . import user_imports  # noqa: E402,F401  (the users kind: it builds on this module's row loop)
