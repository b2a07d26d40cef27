"""Importing enterprise and union lists from cadres' spreadsheets: one pass that validates every row, then
writes through `orgs.services`, all-or-nothing.

`import_enterprises` / `import_unions` run the whole file inside one transaction. A dry run (`commit=False`,
the preview) and a file with any bad row are rolled back at the end, so the counts a preview shows
(新增/更新/不变/错误) are exactly what the confirm will do, and a bad row means nothing at all is written.
Re-importing the same file is idempotent (every row counts as 不变).

Between preview and confirm the uploaded bytes wait in a file under VAR_DIR/uploads named by a random token
that only the user's session knows (`upload_save` / `upload_load` / `upload_delete`).
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from gonghui.accounts.permissions import Action, action_paths
from gonghui.core.audit import audit_access
from gonghui.core.excel import Column, Row, cell_text, error_workbook_bytes, parse_date, parse_int, read_table
from gonghui.core.identifiers import normalize_code, uscc_error
from gonghui.core.models import Region

from . import services
from .models import Enterprise, Union
from .scope import path_in_scope

OUT_OF_SCOPE = "不在您的管辖范围"

ENTERPRISE_STATUS = {"存续": "active", "在业": "active", "开业": "active", "在营": "active", "吊销": "revoked",
                     "注销": "cancelled"}
UNION_STATUS = {"正常": "normal", "疑似空壳": "shell", "空壳": "shell", "已撤销": "revoked", "撤销": "revoked"}
UNION_KIND = {"单独建会": "single", "联合工会": "joint", "工会联合会": "federation", "联合会": "federation"}

ENTERPRISE_COLUMNS = (
    Column("uscc", "统一社会信用代码", ("社会信用代码", "信用代码"), required=True, width=22),
    Column("name", "单位名称", ("企业名称", "名称"), required=True, width=32),
    Column("township", "所在镇街", ("镇街", "乡镇街道", "所属镇街"), required=True, width=14),
    Column("address", "单位地址", ("地址", "注册地址"), width=32),
    Column("industry", "所属行业", ("行业",), width=14),
    Column("headcount", "参保人数", ("从业人数", "职工人数"), width=10),
    Column("status", "经营状态", ("企业状态",), choices=("存续", "吊销", "注销"), width=10),
    Column("union_code", "覆盖工会统一社会信用代码", ("覆盖工会信用代码",), width=24),
)

UNION_COLUMNS = (
    Column("name", "工会名称", ("名称",), required=True, width=32),
    Column("code", "统一社会信用代码", ("社会信用代码", "信用代码"), width=22),
    Column("kind", "类型", ("工会类型", "建会类型"), required=True, choices=("单独建会", "联合工会", "工会联合会"),
           width=12),
    Column("parent", "上级工会", ("上级工会名称",), required=True, width=28),
    Column("township", "所在镇街", ("镇街", "乡镇街道", "所属镇街"), width=14),
    Column("chair", "工会主席", ("主席",), width=10),
    Column("phone", "联系电话", ("电话", "手机"), width=14),
    Column("founded", "成立日期", ("建会日期",), width=12),
    Column("status", "状态", ("工会状态",), choices=("正常", "疑似空壳", "已撤销"), width=10),
)

KINDS = {"enterprises": "企业名录", "unions": "工会名录"}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行" + (f"【{self.column}】" if self.column else "")
        shown = f"“{self.value}”" if self.value else ""
        return f"{where}{shown}：{self.message}"


@dataclass
class ImportReport:
    kind: str
    headers: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    raw: dict[int, list[Any]] = field(default_factory=dict)
    committed: bool = False

    @property
    def error_rows(self) -> dict[int, list[RowError]]:
        rows: dict[int, list[RowError]] = defaultdict(list)
        for e in self.errors:
            rows[e.row].append(e)
        return dict(sorted(rows.items()))

    @property
    def error_count(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.error_count

    def error_workbook(self) -> bytes:
        """The rejected rows as sent, with 原行号 and 错误原因, ready to fix and import again."""
        rejected = [
            (number, self.raw.get(number, []), "；".join(
                (f"【{e.column}】" if e.column else "") + e.message for e in errs))
            for number, errs in self.error_rows.items()
        ]
        return error_workbook_bytes(self.headers, rejected)


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


def _run(report: ImportReport, rows: list[Row], do_row: Callable[[Row], str], *, commit: bool,
         errors_before: dict[int, RowError]) -> None:
    """Every row in one transaction (each in its own savepoint, so one bad row does not poison the others'
    checks); rolled back unless this is a commit and no row failed."""
    with transaction.atomic():
        for row in rows:
            if row.number in errors_before:
                report.errors.append(errors_before[row.number])
                continue
            try:
                with transaction.atomic():
                    outcome = do_row(row)
            except _RowFailed as exc:
                report.errors.append(RowError(row.number, exc.column, exc.value, exc.message))
                continue
            except ValidationError as exc:
                report.errors.append(RowError(row.number, "", "", _message(exc)))
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
        if report.errors or not commit:
            transaction.set_rollback(True)
        else:
            report.committed = True


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


def import_enterprises(*, actor: Any, data: bytes, commit: bool, filename: str = "") -> ImportReport:
    """Read an enterprise list and create/update each firm through `services.enterprise_upsert` (and
    `coverage_start` when 覆盖工会统一社会信用代码 is given). All-or-nothing, idempotent, scope-checked:
    a row outside the actor's territory or subtree is an error. Raises SpreadsheetError when the file
    itself cannot be read."""
    cols = ENTERPRISE_COLUMNS
    table = read_table(data, cols)
    report = ImportReport(kind="enterprises", headers=table.headers, raw={r.number: r.raw for r in table.rows})
    label = {c.key: c.label for c in cols}

    codes = {r.number: normalize_code(r.values.get("uscc")) for r in table.rows}
    dupes = _duplicates(table.rows, lambda r: codes[r.number])
    before: dict[int, RowError] = {}
    for number, rows in dupes.items():
        others = "、".join(str(n) for n in rows)
        before[number] = RowError(number, label["uscc"], codes[number], f"统一社会信用代码在文件中重复（第{others}行）")

    towns = _Townships()
    all_codes = [c for c in codes.values() if c]
    existing: dict[str, Enterprise] = {}
    visible: set[str] = set()
    for i in range(0, len(all_codes), 500):
        chunk = all_codes[i : i + 500]
        existing.update({e.uscc: e for e in Enterprise.objects.filter(uscc__in=chunk)})
        visible.update(Enterprise.objects.visible_to(actor).filter(uscc__in=chunk).values_list("uscc", flat=True))
    union_codes = {normalize_code(r.values.get("union_code")) for r in table.rows} - {""}
    unions_by_code = {u.code: u for u in Union.objects.filter(code__in=union_codes)}

    def do_row(row: Row) -> str:
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
        in_scope = path_in_scope(actor, township.path, Action.CHANGE) or (union is not None)
        if not in_scope:
            raise _RowFailed(label["township"], town_text, OUT_OF_SCOPE)
        if code in existing and code not in visible:
            raise _RowFailed(label["uscc"], code, f"该企业已登记在其他镇街，{OUT_OF_SCOPE}")
        enterprise, outcome = services.enterprise_upsert(actor=actor, uscc=code, **fields)
        if union is not None and enterprise.covering_union_id != union.pk:
            services.coverage_start(actor=actor, union=union, enterprise=enterprise)
            if outcome == "unchanged":
                outcome = "updated"
        return outcome

    _run(report, table.rows, do_row, commit=commit, errors_before=before)
    if report.committed:
        audit_access(actor=actor, obj=None, model=Enterprise, what=_summary(report, filename))
    return report


# ---------------------------------------------------------------- unions


def import_unions(*, actor: Any, data: bytes, commit: bool, filename: str = "") -> ImportReport:
    """Read a union list and create (`services.union_create`) or update (`services.union_update`) each union
    under its 上级工会, which must lie in the actor's scope (or be created earlier in the same file).
    All-or-nothing, idempotent, scope-checked. Raises SpreadsheetError when the file cannot be read."""
    cols = UNION_COLUMNS
    table = read_table(data, cols)
    report = ImportReport(kind="unions", headers=table.headers, raw={r.number: r.raw for r in table.rows})
    label = {c.key: c.label for c in cols}

    codes = {r.number: normalize_code(r.values.get("code")) for r in table.rows}
    names = {r.number: re.sub(r"\s+", "", cell_text(r.values.get("name"))) for r in table.rows}
    before: dict[int, RowError] = {}
    for number, rows in _duplicates(table.rows, lambda r: names[r.number]).items():
        others = "、".join(str(n) for n in rows)
        before[number] = RowError(number, label["name"], names[number], f"工会名称在文件中重复（第{others}行）")
    for number, rows in _duplicates(table.rows, lambda r: codes[r.number]).items():
        others = "、".join(str(n) for n in rows)
        before[number] = RowError(number, label["code"], codes[number], f"统一社会信用代码在文件中重复（第{others}行）")

    towns = _Townships()
    regions = {r.name: r for r in Region.objects.filter(level=Region.Level.TOWNSHIP)}
    paths = action_paths(actor, Action.CHANGE)
    # Every union the actor may name as a parent, by name and by code; unions created by this file join in.
    by_name: dict[str, list[Union]] = defaultdict(list)
    by_code: dict[str, Union] = {}
    for u in Union.objects.visible_to(actor).exclude(kind__in=(Union.Kind.SINGLE, Union.Kind.JOINT)):
        by_name[u.name].append(u)
        if u.code:
            by_code[u.code] = u

    def find_parent(text: str) -> Union:
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

    def do_row(row: Row) -> str:
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

        if code:
            existing = Union.objects.filter(code=code).first()
        else:
            existing = Union.objects.filter(
                name=name, path__startswith=parent.path, depth=parent.depth + 1
            ).first()
        if existing is None:
            if code is None and Union.objects.filter(name=name).visible_to(actor).exists():
                raise _RowFailed(label["name"], name, "已有同名工会在其他上级之下；如是同一工会，请填写统一社会信用代码")
            created = services.union_create(actor=actor, parent=parent, kind=kind, code=code, **fields)
            if kind == Union.Kind.FEDERATION:
                by_name[created.name].append(created)
                if created.code:
                    by_code[created.code] = created
            return "created"
        if paths is not None and not any(existing.path.startswith(p) for p in paths):
            raise _RowFailed(label["code"] if code else label["name"], code or name, f"该工会{OUT_OF_SCOPE}")
        if existing.path[: -Union.steplen] != parent.path:
            current = Union.objects.filter(path=existing.path[: -Union.steplen]).first()
            raise _RowFailed(label["parent"], parent_text,
                             f"该工会现属“{current}”，与填写的上级工会不一致；如需调整请在工会详情页使用“移动”")
        if existing.kind != kind:
            raise _RowFailed(label["kind"], kind_text, f"该工会现为“{existing.get_kind_display()}”，类型不能通过导入修改")
        if code:
            fields["code"] = code
        return "updated" if services.union_update(actor=actor, union=existing, **fields) else "unchanged"

    _run(report, table.rows, do_row, commit=commit, errors_before=before)
    if report.committed:
        audit_access(actor=actor, obj=None, model=Union, what=_summary(report, filename))
    return report


def _summary(report: ImportReport, filename: str) -> str:
    return (f"导入{KINDS[report.kind]}：新增 {report.created} 条，更新 {report.updated} 条，不变 {report.unchanged} 条"
            + (f"（文件 {filename}）" if filename else ""))


IMPORTERS: dict[str, Callable[..., ImportReport]] = {"enterprises": import_enterprises, "unions": import_unions}


# ---------------------------------------------------------------- the upload between preview and confirm

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
UPLOAD_TTL_SECONDS = 24 * 3600


def upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_save(data: bytes) -> str:
    """Keep the bytes under a fresh random token; files older than a day are swept away."""
    folder = upload_dir()
    cutoff = time.time() - UPLOAD_TTL_SECONDS
    for old in folder.glob("*.upload"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.upload").write_bytes(data)
    return token


def upload_load(token: str) -> bytes | None:
    if not _TOKEN.match(token or ""):
        return None
    path = upload_dir() / f"{token}.upload"
    return path.read_bytes() if path.exists() else None


def upload_delete(token: str) -> None:
    if _TOKEN.match(token or ""):
        (upload_dir() / f"{token}.upload").unlink(missing_ok=True)
