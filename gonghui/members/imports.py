"""名册导入: a cadre's member roster (xlsx, xls, ods, CSV) into one union — all-or-nothing per file, idempotent.

How it runs (see DESIGN-NOTES.md, "members import"):
- pass 1 reads the file as a stream, checks every row (the ID rule, phone, dates, choices), collapses repeats of
  one person within the file, and classifies each person against the database by blind index, a chunk at a
  time (created / updated / unchanged / member elsewhere → rejected). Nothing is written.
- pass 2 runs only when no row was rejected: it reads the file again and writes everything in ONE transaction
  (bulk inserts, card numbers from pre-allocated primary keys), so a million rows never sit in memory and a
  failure leaves nothing behind. Concurrent imports queue (SQLite: IMMEDIATE transactions; PostgreSQL: an
  advisory lock); a concurrent scan-join that wins a unique constraint makes the whole file retry.
Importing the same file again finds every person unchanged and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from gonghui.core import crypto
from gonghui.core.audit import audit_access
from gonghui.core.excel import Column, Row, StreamTable, cell_text, error_workbook_bytes, parse_date
from gonghui.core.identifiers import IdNumber
from gonghui.orgs.models import Enterprise, Union

from .models import Education, Membership, MembershipEvent, Occupation, Person, Political
from .services import card_number, clean_id, clean_name, clean_phone, person_defaults

IMPORT_COLUMNS = (
    Column("name", "姓名", ("职工姓名", "会员姓名", "员工姓名"), required=True, width=10),
    Column("id_number", "身份证号码",
           ("身份证号", "公民身份号码", "证件号码", "身份证", "居民身份证号码", "身份证件号码", "证件号"),
           required=True, width=22),
    Column("phone", "手机号码", ("手机", "手机号", "联系电话", "电话", "联系方式", "移动电话"), width=14),
    Column("joined_on", "入会日期", ("入会时间", "入会年月", "加入工会时间", "加入工会日期"), width=12),
    Column("employer", "工作单位", ("单位名称", "单位", "所在单位", "工作单位名称", "就业单位"), width=30),
    Column("occupation", "职业", ("工种", "岗位", "职业群体", "职业类别", "从事职业"),
           choices=tuple(Occupation.values), width=14),
    Column("political", "政治面貌", (), choices=tuple(Political.values), width=10),
    Column("education", "学历", ("文化程度", "最高学历"), choices=tuple(Education.values), width=10),
)

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
MAX_KEPT_REJECTS = 100_000  # rows kept for the error workbook; every rejected row is still counted
PREVIEW_ROWS = 50
COMPARED = ("name", "phone", "employer_id", "employer_name", "occupation", "political", "education")

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


@dataclass
class ImportResult:
    """What an import did (or, when rejected or a dry run, would do). `as_json()` is the CLI contract."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    duplicates: int = 0
    error_report: str | None = None
    written: bool = False
    sheet: str = ""
    header_row: int = 0
    rows: int = 0  # data rows read (title, notes, header, blank and 合计 rows are not data rows)
    blank_rows: int = 0
    total_rows: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # the first rejected rows, for the preview
    duplicate_rows: list[tuple[int, int]] = field(default_factory=list)  # (row, first row of that person)
    notes: list[tuple[int, str]] = field(default_factory=list)  # accepted with a remark (15-digit ID upgraded)

    def as_json(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "duplicates": self.duplicates, "error_report": self.error_report}

    def as_dict(self) -> dict[str, Any]:
        return {**self.as_json(), "written": self.written, "sheet": self.sheet, "header_row": self.header_row,
                "rows": self.rows, "blank_rows": self.blank_rows, "total_rows": self.total_rows,
                "errors": self.errors, "duplicate_rows": self.duplicate_rows, "notes": self.notes}


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
    problems: list[str] = []
    out: dict[str, Any] = {}

    def attempt(key: str, fn: Callable[[], Any]) -> None:
        try:
            out[key] = fn()
        except ValidationError as exc:
            problems.append("；".join(exc.messages))
        except ValueError as exc:
            problems.append(str(exc))

    attempt("name", lambda: clean_name(v.get("name")))
    attempt("ident", lambda: clean_id(cell_text(v.get("id_number"))))
    attempt("phone", lambda: clean_phone(v.get("phone")))
    attempt("joined_on", lambda: parse_date(v.get("joined_on")))
    attempt("political", lambda: _choice(v.get("political"), _POLITICAL, "政治面貌"))
    attempt("education", lambda: _choice(v.get("education"), _EDUCATION, "学历"))
    joined = out.get("joined_on")
    if joined is not None and joined > ctx.today:
        problems.append(f"入会日期晚于今天：{joined.isoformat()}")
    if joined is not None and joined.year < 1949:
        problems.append(f"入会日期过早：{joined.isoformat()}")
    if problems:
        raise ValidationError("；".join(problems))
    ident: IdNumber = out["ident"]
    employer_id, employer_name = ctx.employer(v.get("employer"))
    return Parsed(
        row=row.number, key=int(ident.number[:17]), ident=ident, index=crypto.blind_index(ident.number),
        name=out["name"], phone=out["phone"], employer_id=employer_id, employer_name=employer_name,
        occupation=clean_occupation(v.get("occupation")), political=out["political"], education=out["education"],
        joined_on=joined or ctx.today,
    )


def _chunks(table: StreamTable, ctx: _Context, result: ImportResult, rejected: list[tuple[int, list[Any], str]] | None,
            progress: Progress | None, phase: str) -> Iterator[list[Parsed]]:
    """Valid, first-seen rows in chunks; counts rejected rows and repeats into `result` as it goes."""
    seen: dict[int, int] = {}
    chunk: list[Parsed] = []
    for row in table.rows():
        result.rows += 1
        try:
            parsed = parse_row(row, ctx)
        except ValidationError as exc:
            result.rejected += 1
            reason = "；".join(exc.messages)
            if len(result.errors) < PREVIEW_ROWS:
                result.errors.append((row.number, reason))
            if rejected is not None and len(rejected) < MAX_KEPT_REJECTS:
                rejected.append((row.number, row.raw, reason))
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


def _known(chunk: list[Parsed]) -> dict[str, _Known]:
    """The people of this chunk already in the database, by blind index, with their open membership."""
    rows = list(Person.objects.filter(id_index__in=[p.index for p in chunk]).values("pk", "id_index", *COMPARED))
    opened = {
        m["person_id"]: (m["union_id"], m["union__name"])
        for m in Membership.objects.filter(person_id__in=[r["pk"] for r in rows], status__in=Membership.OPEN)
        .values("person_id", "union_id", "union__name")
    }
    out = {}
    for r in rows:
        union_id, union_name = opened.get(r["pk"], (None, ""))
        out[r["id_index"]] = _Known(pk=r["pk"], fields={k: r[k] for k in COMPARED}, open_union=union_id,
                                    open_union_name=union_name)
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


def _conflict(known: _Known) -> str:
    return f"已是{known.open_union_name}会员，请办理转会"


def _classify(chunk: list[Parsed], union: Union, result: ImportResult,
              rejected: list[tuple[int, list[Any], str]] | None) -> dict[str, _Known]:
    known = _known(chunk)
    for p in chunk:
        k = known.get(p.index)
        if k is None or k.open_union is None:
            result.created += 1
        elif k.open_union != union.pk:
            reason = _conflict(k)
            result.rejected += 1
            if len(result.errors) < PREVIEW_ROWS:
                result.errors.append((p.row, reason))
            if rejected is not None:
                rejected.append((p.row, [], reason))
        elif _wanted(p, k.fields) != k.fields:
            result.updated += 1
        else:
            result.unchanged += 1
    return known


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


def _write_chunk(chunk: list[Parsed], union: Union, actor: Any, result: ImportResult) -> None:
    known = _known(chunk)
    now = timezone.now()
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    new_people: list[Parsed] = []
    joins: list[tuple[int, Parsed]] = []
    updates: list[Person] = []
    for p in chunk:
        k = known.get(p.index)
        if k is None:
            new_people.append(p)
            result.created += 1
            continue
        if k.open_union is not None and k.open_union != union.pk:
            raise _Retry(_conflict(k))
        wanted = _wanted(p, k.fields)
        if k.open_union is None:
            joins.append((k.pk, p))
            result.created += 1
            updates.append(Person(pk=k.pk, current_union_id=union.pk, updated_at=now, **wanted))
        elif wanted != k.fields:
            result.updated += 1
            updates.append(Person(pk=k.pk, current_union_id=union.pk, updated_at=now, **wanted))
        else:
            result.unchanged += 1
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


def _error_report(headers: list[str], rejected: list[tuple[int, list[Any], str]], *, raw_by_row: dict[int, list[Any]]
                  ) -> str:
    rows = [(number, raw or raw_by_row.get(number, []), reason) for number, raw, reason in sorted(rejected)]
    folder = Path(settings.VAR_DIR) / "import_errors"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"错误行-{timezone.localtime():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.xlsx"
    path.write_bytes(error_workbook_bytes(headers, rows))
    return str(path)


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
    path: Path,
    union: Union,
    actor: Any = None,
    dry_run: bool = False,
    sheet: str | None = None,
    progress: Progress | None = None,
    attempts: int = 3,
) -> ImportResult:
    """Import a roster into `union` (members land there and only there).

    All-or-nothing: when any data row is rejected nothing is written, the result still holds what *would*
    have been created/updated/unchanged, and `error_report` names an xlsx of the rejected rows with a 错误原因
    column. Idempotent: the same file again is all `unchanged`. Safe beside concurrent imports and joins (one
    transaction, serialised; a lost race retries the file). `dry_run` writes nothing to the database.
    Raises SpreadsheetError (zh-hans) for a file that cannot be read, ValidationError for a wrong union."""
    _check_union(union)
    path = Path(path)
    last: Exception | None = None
    for _attempt in range(attempts):
        try:
            return _import_once(path=path, union=union, actor=actor, dry_run=dry_run, sheet=sheet, progress=progress)
        except (_Retry, IntegrityError) as exc:
            last = exc
    raise ValidationError(f"导入时名册中的人员正被同时办理入会或导入，请稍后重试（{last}）")


def _import_once(*, path: Path, union: Union, actor: Any, dry_run: bool, sheet: str | None,
                 progress: Progress | None) -> ImportResult:
    ctx = _Context(union)
    table = StreamTable(path, IMPORT_COLUMNS, sheet=sheet)
    check = ImportResult(sheet=table.sheet, header_row=table.header_row)
    check.total_rows = max(_count_lines(path) - table.header_row, 0) if table.sheet == "CSV" else 0
    rejected: list[tuple[int, list[Any], str]] = []
    for chunk in _chunks(table, ctx, check, rejected, progress, "检查"):
        _classify(chunk, union, check, rejected)
    check.total_rows = check.rows
    if check.rejected:
        raw_by_row: dict[int, list[Any]] = {}
        conflict_rows = {n for n, raw, _ in rejected if not raw}
        if conflict_rows:  # the rows refused for a membership elsewhere: fetch their cells for the report
            for row in StreamTable(path, IMPORT_COLUMNS, sheet=sheet).rows():
                if row.number in conflict_rows:
                    raw_by_row[row.number] = row.raw
        check.error_report = _error_report(table.headers, rejected, raw_by_row=raw_by_row)
        return check
    if dry_run:
        return check
    if not check.created and not check.updated:  # a re-import: everyone unchanged, nothing to write
        check.written = True
        audit_access(actor=actor, obj=union, what=f"名册导入（{path.name}）：{check.unchanged}人均无变化")
        return check
    result = ImportResult(sheet=check.sheet, header_row=check.header_row, total_rows=check.rows)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:  # imports queue one behind another, like SQLite's write lock
                cur.execute("SELECT pg_advisory_xact_lock(hashtext('gonghui.members.roster_import'))")
        table = StreamTable(path, IMPORT_COLUMNS, sheet=sheet)
        for chunk in _chunks(table, ctx, result, None, progress, "写入"):
            _write_chunk(chunk, union, actor, result)
        if result.rejected:  # the file changed on disk between the passes
            raise _Retry("文件在导入过程中被修改")
        result.written = True
        audit_access(actor=actor, obj=union, what=(
            f"名册导入（{path.name}）：新增{result.created}人，更新{result.updated}人，未变{result.unchanged}人，"
            f"重复{result.duplicates}行"))
    return result


def template_columns() -> tuple[Column, ...]:
    return IMPORT_COLUMNS
