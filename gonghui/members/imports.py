"""名册导入: a cadre's member roster (xlsx, xls, ods, CSV) into one union — the `member` kind of the one import
path (`gonghui.core.importing`). All-or-nothing per file by default; with `skip_invalid` the valid rows go in
and the rejected ones come back in the error workbook. Idempotent.

How it runs (see DESIGN-NOTES.md, "members import" and "One import path"):
- pass 1 reads the file as a stream, checks every row (the ID rule, phone, dates, choices), collapses repeats of
  one person within the file, and classifies each person against the database by blind index, a chunk at a
  time (created / updated / unchanged; rejected: member elsewhere, or the ID on file under another name — an
  import never renames a person). Nothing is written.
- pass 2 (strict: only when no row was rejected) reads the file again and writes the valid rows (bulk inserts,
  card numbers from pre-allocated primary keys). On PostgreSQL in ONE transaction behind an advisory lock; on
  SQLite in one short transaction per chunk of 2,000 rows, so scan-joins, logins and rate-limit counters get
  the database-wide write lock between chunks. Each chunk re-classifies its people inside its transaction, so
  a concurrent join or import is seen, never overwritten.
Importing the same file again finds every person unchanged and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from gonghui.accounts.permissions import Action
from gonghui.core import crypto
from gonghui.core.audit import audit_access
from gonghui.core.db import serialized_writes
from gonghui.core.excel import Column, Row, StreamTable, cell_text, parse_date
from gonghui.core.identifiers import IdNumber, mask_id, normalize_id
from gonghui.core.importing import ImportKind, ImportRequest, Outcome, register, write_error_report
from gonghui.orgs.models import Enterprise, Union
from gonghui.orgs.scope import path_in_scope

from .models import Education, Membership, MembershipEvent, Occupation, Person, Political
from .services import card_number, clean_id, clean_name, clean_phone, person_defaults

IMPORT_COLUMNS = (  # headers are found through the one synonym table, linkage.schema.HEADERS
    Column("name", "姓名", field="person_name", required=True, width=10),
    Column("id_number", "身份证号码", field="id_number", required=True, width=22),
    Column("phone", "手机号码", field="mobile", width=14),
    Column("joined_on", "入会日期", field="joined_on", width=12),
    Column("employer", "工作单位", field="employer", width=30),
    Column("occupation", "职业", field="occupation", choices=tuple(Occupation.values), width=14),
    Column("political", "政治面貌", field="political", choices=tuple(Political.values), width=10),
    Column("education", "学历", field="education", choices=tuple(Education.values), width=10),
)
LABELS = {c.key: c.label for c in IMPORT_COLUMNS}

_OCCUPATION_WORDS = (
    (Occupation.TRUCK_DRIVER, ("货车", "卡车", "货运司机", "货车司机")),
    (Occupation.COURIER, ("快递", "快件", "揽收", "派送员")),
    (Occupation.CARER, ("护工", "护理员", "护理")),
    (Occupation.HOUSEKEEPER, ("家政", "保姆", "月嫂", "育婴")),
    (Occupation.MALL_INFO, ("商场信息", "信息员")),
    (Occupation.RIDER, ("送餐", "外卖", "骑手")),
    (Occupation.ESTATE_AGENT, ("房产中介", "房产经纪", "中介")),
    (Occupation.SECURITY, ("保安",)),
    (Occupation.OTHER_NEW_FORM, ("新就业形态", "网约车", "代驾", "主播", "网约", "灵活就业")),
)
_OCCUPATIONS = frozenset(Occupation.values)  # Django recomputes `.values` on every access
_POLITICAL = {
    "中共党员": Political.PARTY, "党员": Political.PARTY, "中国共产党党员": Political.PARTY,
    "中共预备党员": Political.PROBATIONARY, "预备党员": Political.PROBATIONARY,
    "共青团员": Political.LEAGUE, "团员": Political.LEAGUE, "中国共产主义青年团团员": Political.LEAGUE,
    "群众": Political.MASSES, "无": Political.MASSES, "无党派人士": Political.MASSES, "无党派": Political.MASSES,
}
_EDUCATION = {
    "小学": Education.PRIMARY, "小学及以下": Education.PRIMARY, "文盲": Education.PRIMARY,
    "初中": Education.JUNIOR, "高中": Education.SENIOR, "中专": Education.SENIOR, "技校": Education.SENIOR,
    "职高": Education.SENIOR, "高中/中专/技校": Education.SENIOR, "中技": Education.SENIOR,
    "大专": Education.COLLEGE, "专科": Education.COLLEGE, "高职": Education.COLLEGE,
    "本科": Education.BACHELOR, "大学本科": Education.BACHELOR, "大学": Education.BACHELOR,
    "研究生": Education.POSTGRAD, "硕士": Education.POSTGRAD, "博士": Education.POSTGRAD,
    "硕士研究生": Education.POSTGRAD, "博士研究生": Education.POSTGRAD,
}
CHUNK = 2000
COMPARED = ("name", "phone", "employer_id", "employer_name", "occupation", "political", "education")
FIELD_LABELS = {"name": "姓名", "phone": "手机号码", "employer_id": "工作单位", "employer_name": "工作单位",
                "occupation": "职业", "political": "政治面貌", "education": "学历"}

Progress = Callable[[int, int | None, str], None]


def _words(value: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell_text(value)))


def clean_occupation(value: Any) -> str:
    """Free text ("外卖骑手", "快递小哥") → an occupation group; anything unknown is 其他."""
    text = _words(value)
    if not text:
        return ""
    if text in _OCCUPATIONS:
        return text
    for group, words in _OCCUPATION_WORDS:
        if any(w in text for w in words):
            return str(group)
    return str(Occupation.OTHER)


def _choice(value: Any, table: dict[str, Any], label: str) -> str:
    text = _words(value)
    if not text:
        return ""
    if text in table:
        return str(table[text])
    raise ValidationError(f"{label}“{cell_text(value)}”无法识别（可填：{'、'.join(sorted(set(map(str, table.values()))))}）")


@dataclass
class Parsed:
    """One valid data row, cleaned."""

    row: int
    key: int  # the ID's first 17 digits as a number: one per person, cheap to keep for a million rows
    ident: IdNumber
    index: str
    name: str
    phone: str
    employer_id: int | None
    employer_name: str
    occupation: str
    political: str
    education: str
    joined_on: dt.date
    values: dict[str, Any]  # the row's cells by column key (for the error workbook, a chunk at a time)

    @property
    def label(self) -> str:
        return f"{self.name}（{self.ident.masked}）"


ImportResult = Outcome  # the roster's result is the framework's (CLI JSON: Outcome.as_json)


class _Retry(Exception):
    """The database changed between the passes (a concurrent join or import): run the file again."""


class _Context:
    """Per-import caches: employers by name, the union's default employer."""

    def __init__(self, union: Union) -> None:
        self.union = union
        self.today = timezone.localdate()
        self.employers: dict[str, int] | None = None
        covered = list(Enterprise.objects.filter(covering_union=union).values_list("pk", "name")[:2])
        self.default_employer = covered[0] if union.kind == Union.Kind.SINGLE and len(covered) == 1 else None

    def employer(self, value: Any) -> tuple[int | None, str]:
        name = re.sub(r"\s+", "", cell_text(value))
        if not name:
            return self.default_employer if self.default_employer else (None, "")
        if self.employers is None:
            self.employers = {}
            for pk, ent_name in Enterprise.objects.values_list("pk", "name").order_by("-pk").iterator(chunk_size=5000):
                self.employers[ent_name] = pk
        return self.employers.get(name), name[:120]


def parse_row(row: Row, ctx: _Context) -> Parsed:
    """Clean one data row with the members rules (services.clean_*). Raises ValidationError naming every bad
    column of the row."""
    v = row.values
    problems: list[tuple[str, str]] = []  # (column key, reason)
    out: dict[str, Any] = {}

    def attempt(key: str, fn: Callable[[], Any]) -> None:
        try:
            out[key] = fn()
        except ValidationError as exc:
            problems.append((key, "；".join(exc.messages)))
        except ValueError as exc:
            problems.append((key, str(exc)))

    attempt("name", lambda: clean_name(v.get("name")))
    attempt("id_number", lambda: clean_id(cell_text(v.get("id_number"))))
    attempt("phone", lambda: clean_phone(v.get("phone")))
    attempt("joined_on", lambda: parse_date(v.get("joined_on")))
    attempt("political", lambda: _choice(v.get("political"), _POLITICAL, "政治面貌"))
    attempt("education", lambda: _choice(v.get("education"), _EDUCATION, "学历"))
    joined = out.get("joined_on")
    if joined is not None and joined > ctx.today:
        problems.append(("joined_on", f"入会日期晚于今天：{joined.isoformat()}"))
    if joined is not None and joined.year < 1949:
        problems.append(("joined_on", f"入会日期过早：{joined.isoformat()}"))
    if problems:
        raise RowRejected(problems)
    ident: IdNumber = out["id_number"]
    employer_id, employer_name = ctx.employer(v.get("employer"))
    return Parsed(
        row=row.number, key=int(ident.number[:17]), ident=ident, index=crypto.blind_index(ident.number),
        name=out["name"], phone=out["phone"], employer_id=employer_id, employer_name=employer_name,
        occupation=clean_occupation(v.get("occupation")), political=out["political"], education=out["education"],
        joined_on=joined or ctx.today, values=v,
    )


class RowRejected(Exception):
    """A row that cannot be imported: (column key, reason) for every bad column ("" for the row as a whole)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("；".join(r for _k, r in problems))
        self.problems = problems


def shown_value(key: str, value: Any) -> str:
    """A cell as the preview shows it: an ID number masked (the full number stays in the error workbook,
    whose download is restricted and audited)."""
    text = cell_text(value)
    if key == "id_number" and len(normalize_id(text)) >= 10:
        return mask_id(normalize_id(text))
    return text


def _reject(result: Outcome, row: int, values: dict[str, Any], problems: list[tuple[str, str]]) -> None:
    keys = [k for k, _r in problems if k]
    column = "、".join(dict.fromkeys(LABELS[k] for k in keys))
    value = " / ".join(dict.fromkeys(shown_value(k, values.get(k)) for k in keys)) if len(set(keys)) == 1 else ""
    result.reject(row, column, value, "；".join(r for _k, r in problems), values)


def _chunks(table: StreamTable, ctx: _Context, result: Outcome, progress: Progress | None, phase: str
            ) -> Iterator[list[Parsed]]:
    """Valid, first-seen rows in chunks; counts rejected rows and repeats into `result` as it goes."""
    from gonghui.core.importing import PREVIEW_ROWS

    seen: dict[int, int] = {}
    chunk: list[Parsed] = []
    for row in table.rows():
        result.rows += 1
        try:
            parsed = parse_row(row, ctx)
        except RowRejected as exc:
            _reject(result, row.number, row.values, exc.problems)
            continue
        first = seen.get(parsed.key)
        if first is not None:
            result.duplicates += 1
            if len(result.duplicate_rows) < PREVIEW_ROWS:
                result.duplicate_rows.append((row.number, first))
            continue
        seen[parsed.key] = row.number
        if parsed.ident.note and len(result.notes) < PREVIEW_ROWS:
            result.notes.append((row.number, parsed.ident.note))
        chunk.append(parsed)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
            if progress:
                progress(result.rows, result.total_rows or None, phase)
    if chunk:
        yield chunk
    result.blank_rows = table.blank_rows
    if progress:
        progress(result.rows, result.total_rows or None, phase)


@dataclass
class _Known:
    pk: int
    fields: dict[str, Any]
    open_union: int | None
    open_union_name: str
    open_union_path: str


def _known(chunk: list[Parsed]) -> dict[str, _Known]:
    """The people of this chunk already in the database, by blind index, with their open membership."""
    rows = list(Person.objects.filter(id_index__in=[p.index for p in chunk]).values("pk", "id_index", *COMPARED))
    opened = {
        m["person_id"]: (m["union_id"], m["union__name"], m["union__path"])
        for m in Membership.objects.filter(person_id__in=[r["pk"] for r in rows], status__in=Membership.OPEN)
        .values("person_id", "union_id", "union__name", "union__path")
    }
    out = {}
    for r in rows:
        union_id, union_name, union_path = opened.get(r["pk"], (None, "", ""))
        out[r["id_index"]] = _Known(pk=r["pk"], fields={k: r[k] for k in COMPARED}, open_union=union_id,
                                    open_union_name=union_name, open_union_path=union_path)
    return out


def _wanted(p: Parsed, old: dict[str, Any] | None) -> dict[str, Any]:
    """The stored fields after this row: a blank optional cell keeps what is stored."""
    new = {"name": p.name, "phone": p.phone, "employer_id": p.employer_id, "employer_name": p.employer_name,
           "occupation": p.occupation, "political": p.political, "education": p.education}
    if old is None:
        return new
    merged = dict(old)
    for key, value in new.items():
        if value not in ("", None):
            merged[key] = value
    if p.employer_name and p.employer_id is None:
        merged["employer_id"] = None  # a free-text employer replaces a matched one
    return merged


NAME_CONFLICT = ("该身份证号码已登记，但姓名与登记信息不一致；导入不会更改已登记人员的姓名，"
                 "请核对后改正本行，或在会员详情页办理信息更正")


def _conflict(known: _Known, actor: Any) -> str:
    """Why a member of another union is refused — naming that union only to a cadre who can see it (the
    CLI, run by an administrator on the host, has no actor and sees everything)."""
    if actor is None or path_in_scope(actor, known.open_union_path):
        return f"已是{known.open_union_name}会员，请办理转会"
    return "已是其他工会的会员，请办理转会"


def _verdict(p: Parsed, k: _Known | None, union: Union, actor: Any) -> tuple[str, str]:
    """(outcome, detail): created | updated | unchanged, or rejected with the reason."""
    if k is not None and k.fields["name"] != p.name:
        return "rejected", NAME_CONFLICT
    if k is None or k.open_union is None:
        return "created", "" if k is None else "重新入会"
    if k.open_union != union.pk:
        return "rejected", _conflict(k, actor)
    wanted = _wanted(p, k.fields)
    if wanted != k.fields:
        changed = dict.fromkeys(FIELD_LABELS[f] for f in COMPARED if wanted[f] != k.fields[f])
        return "updated", "、".join(changed)
    return "unchanged", ""


def _classify(chunk: list[Parsed], union: Union, result: Outcome, actor: Any) -> None:
    known = _known(chunk)
    for p in chunk:
        outcome, detail = _verdict(p, known.get(p.index), union, actor)
        if outcome == "rejected":
            _reject(result, p.row, p.values, [("id_number" if detail == NAME_CONFLICT else "", detail)])
        else:
            result.count(outcome, row=p.row, label=p.label, detail=detail)


def allocate_pks(model: type[models.Model], n: int) -> list[int]:
    """n primary keys reserved before an insert, so rows can point at each other (membership → person, event →
    membership) and the card number (derived from the person's pk) goes in with the row — no follow-up
    UPDATEs. Must run inside the writing transaction."""
    if n == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
            return [int(r[0]) for r in cur.fetchall()]
        # SQLite: the IMMEDIATE transaction holds the write lock, so nobody else inserts meanwhile.
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        top = int(cur.fetchone()[0])
        cur.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
        row = cur.fetchone()
        top = max(top, int(row[0]) if row else 0)
    return list(range(top + 1, top + 1 + n))


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]], *, batch: int = 1000) -> None:
    """INSERT plain dicts (column name → value already in database form) with executemany: the ORM's
    bulk_create spends ~100 µs a row building and preparing model instances, which a million rows can't
    afford. Columns a dict leaves out get the field's default."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields]
    columns = [str(f.column) for f in fields]
    defaults = {str(f.column): (f.get_default() if f.has_default() else None) for f in fields}
    present = set(rows[0])
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    getters = [(c, c in present, defaults[c]) for c in columns]
    with connection.cursor() as cur:
        for i in range(0, len(rows), batch):
            cur.executemany(sql, [tuple(r[c] if has else d for c, has, d in getters) for r in rows[i:i + batch]])


def db_date(value: dt.date | None) -> Any:
    return connection.ops.adapt_datefield_value(value)


def db_now() -> Any:
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _write_chunk(chunk: list[Parsed], union: Union, actor: Any, result: Outcome, *, skip_invalid: bool) -> None:
    known = _known(chunk)
    now = timezone.now()
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    new_people: list[Parsed] = []
    joins: list[tuple[int, Parsed]] = []
    updates: list[Person] = []
    for p in chunk:
        k = known.get(p.index)
        outcome, detail = _verdict(p, k, union, actor)
        if outcome == "rejected":
            if not skip_invalid:  # the database changed since the check (a concurrent join or import)
                raise _Retry(detail)
            _reject(result, p.row, p.values, [("id_number" if detail == NAME_CONFLICT else "", detail)])
            continue
        result.count(outcome, row=p.row, label=p.label, detail=detail)
        if k is None:
            new_people.append(p)
            continue
        wanted = _wanted(p, k.fields)
        if k.open_union is None:
            joins.append((k.pk, p))
            updates.append(Person(pk=k.pk, current_union_id=union.pk, updated_at=now, **wanted))
        elif outcome == "updated":
            updates.append(Person(pk=k.pk, current_union_id=union.pk, updated_at=now, **wanted))
    pks = allocate_pks(Person, len(new_people))
    stamp = db_now()
    people = []
    for pk, p in zip(pks, new_people, strict=True):
        fields = person_defaults(ident=p.ident, name=p.name, phone=p.phone, employer=None,
                                 employer_name=p.employer_name, occupation=p.occupation or Occupation.OTHER,
                                 political=p.political, education=p.education)
        del fields["employer"]
        people.append({**fields, "id": pk, "member_no": card_number(pk), "current_union_id": union.pk,
                       "employer_id": p.employer_id, "birth_date": db_date(p.ident.birth_date),
                       "created_at": stamp, "updated_at": stamp})
        joins.append((pk, p))
    insert_rows(Person, people)
    if updates:
        Person.objects.bulk_update(updates, ["current_union", "updated_at", *COMPARED], batch_size=500)
    mpks = allocate_pks(Membership, len(joins))
    insert_rows(Membership, [
        {"id": mpk, "person_id": pk, "union_id": union.pk, "status": Membership.Status.ACTIVE.value,
         "joined_on": db_date(p.joined_on), "ended_on": None, "source": Membership.Source.IMPORT.value,
         "recruiter_id": None, "created_at": stamp}
        for mpk, (pk, p) in zip(mpks, joins, strict=True)
    ])
    insert_rows(MembershipEvent, [
        {"id": epk, "person_id": pk, "membership_id": mpk, "union_id": union.pk,
         "kind": MembershipEvent.Kind.JOIN.value, "on": db_date(p.joined_on), "reason": "名册导入",
         "actor_id": actor_id, "created_at": stamp}
        for epk, mpk, (pk, p) in zip(allocate_pks(MembershipEvent, len(joins)), mpks, joins, strict=True)
    ])


def _count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            n += block.count(b"\n")
    return n


def _check_union(union: Union) -> None:
    if not union.is_grassroots and union.kind != Union.Kind.FEDERATION:
        raise ValidationError(f"{union.name}不直接接收会员，请选择基层工会或工会联合会")


def roster_import(
    *,
    path: Path | bytes,
    union: Union,
    actor: Any = None,
    dry_run: bool = False,
    sheet: str | None = None,
    progress: Progress | None = None,
    skip_invalid: bool = False,
    report_dir: Path | None = None,
    report: bool = True,
    attempts: int = 3,
) -> Outcome:
    """Import a roster into `union` (members land there and only there).

    Strict (the default): when any data row is rejected nothing is written, the result still holds what *would*
    have been created/updated/unchanged. `skip_invalid`: the valid rows are written and `rejected` counts the
    rows left out. Either way `error_report` names a private xlsx of the rejected rows in the template's columns
    plus 错误原因 (in `report_dir`, else a new folder of the upload store). Idempotent: the same file again is
    all `unchanged`. Never renames a person: an ID on file under another name is a rejected row. Safe beside
    concurrent imports and joins (a lost race retries). `dry_run` writes nothing to the database.
    Raises SpreadsheetError (zh-hans) for a file that cannot be read, ValidationError for a wrong union."""
    _check_union(union)
    if not isinstance(path, bytes):
        path = Path(path)
    last: Exception | None = None
    for _attempt in range(attempts):
        try:
            result = _import_once(path=path, union=union, actor=actor, dry_run=dry_run, sheet=sheet,
                                  progress=progress, skip_invalid=skip_invalid)
        except (_Retry, IntegrityError) as exc:
            last = exc
            continue
        if report:
            write_error_report(result, IMPORT_COLUMNS, folder=report_dir)
        return result
    raise ValidationError(f"导入时名册中的人员正被同时办理入会或导入，请稍后重试（{last}）")


def _name(path: Path | bytes) -> str:
    return "" if isinstance(path, bytes) else path.name


def _import_once(*, path: Path | bytes, union: Union, actor: Any, dry_run: bool, sheet: str | None,
                 progress: Progress | None, skip_invalid: bool) -> Outcome:
    ctx = _Context(union)
    table = StreamTable(path, IMPORT_COLUMNS, sheet=sheet)
    check = Outcome(sheet=table.sheet, header_row=table.header_row)
    if table.sheet == "CSV" and isinstance(path, Path):
        check.total_rows = max(_count_lines(path) - table.header_row, 0)
    for chunk in _chunks(table, ctx, check, progress, "检查"):
        _classify(chunk, union, check, actor)
    check.total_rows = check.rows
    if dry_run or (check.rejected and not skip_invalid):
        return check
    if not check.created and not check.updated:  # a re-import: everyone unchanged, nothing to write
        check.written = True
        audit_access(actor=actor, obj=union, what=f"名册导入（{_name(path)}）：{check.unchanged}人均无变化"
                     + (f"，{check.rejected}行未导入" if check.rejected else ""))
        return check
    result = Outcome(sheet=check.sheet, header_row=check.header_row, total_rows=check.rows)
    # PostgreSQL: the whole file in one transaction, imports queued on an advisory lock (readers and
    # scan-joins never wait). SQLite: its write lock is database-wide, so one short transaction per chunk.
    whole_file = connection.vendor != "sqlite"
    with transaction.atomic() if whole_file else nullcontext():
        if whole_file:
            with connection.cursor() as cur:  # imports queue one behind another
                cur.execute("SELECT pg_advisory_xact_lock(hashtext('gonghui.members.roster_import'))")
        table = StreamTable(path, IMPORT_COLUMNS, sheet=sheet)
        for chunk in _chunks(table, ctx, result, progress, "写入"):
            with nullcontext() if whole_file else serialized_writes(), transaction.atomic():
                _write_chunk(chunk, union, actor, result, skip_invalid=skip_invalid)
        if result.rejected and not skip_invalid:  # the file changed on disk between the passes
            raise _Retry("文件在导入过程中被修改")
        result.written = True
        audit_access(actor=actor, obj=union, what=(
            f"名册导入（{_name(path)}）：新增{result.created}人，更新{result.updated}人，未变{result.unchanged}人，"
            f"重复{result.duplicates}行" + (f"，{result.rejected}行未导入" if result.rejected else "")))
    return result


def template_columns(user: Any = None) -> tuple[Column, ...]:
    return IMPORT_COLUMNS


def member_unions(user: Any) -> QuerySet[Union]:
    """Unions the user may change that take members directly (what the 导入到工会 picker offers)."""
    return Union.objects.visible_to(user, Action.CHANGE).filter(kind__in=(Union.Kind.SINGLE, Union.Kind.JOINT,
                                                                Union.Kind.FEDERATION)).order_by("name")


def _check(req: ImportRequest) -> Outcome:
    return roster_import(path=req.path, union=req.union, actor=req.actor, dry_run=True, sheet=req.sheet,
                         progress=req.progress, skip_invalid=req.skip_invalid, report=False)


def _write(req: ImportRequest) -> Outcome:
    return roster_import(path=req.path, union=req.union, actor=req.actor, sheet=req.sheet, progress=req.progress,
                         skip_invalid=req.skip_invalid, report=False)


def _done_url(job: Any) -> str:
    from django.urls import reverse

    return f"{reverse('members:list')}?union={job.union_id}"


MEMBER_KIND = register(ImportKind(
    name="members", label="会员名册", columns=template_columns, check=_check, write=_write, unions=member_unions,
    notes=("带 * 的列必填", "身份证号码列请保持“文本”格式", "入会日期如 2021-07-01", "同一文件内同一人只保留第一行"),
    examples=(("张伟", "（18位身份证号码）", "13805861234", "2021-07-01", "台州市黄岩鸿日模具有限公司", "快递员",
               "群众", "高中"),),
    done_url=_done_url,
))
