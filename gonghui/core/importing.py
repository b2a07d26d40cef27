"""One import path for every kind of list a cadre uploads (工会名录, 企业名录, 会员名册; 用户 and the campaigns'
lists plug in the same way): one row-error shape, one private upload store with expiry, one preview → confirm
job with progress, one error workbook. This module is the pure part (core is the bottom layer); the job that
runs a kind — its model, lifecycle, tasks and pages — lives in `gonghui.orgs.import_jobs` / `import_pages`,
because a job is scoped by the union it is made under.

A kind registers itself once (`register(ImportKind(...))`, at the bottom of its app's `imports.py`) with its
template columns and two functions over an `ImportRequest`:
- `check(request) -> Outcome`: reads the file and the database, WRITES NOTHING, and says row by row what a
  confirm would do (the rows that will be added and changed, the rejected rows with row, column, value and
  reason);
- `write(request) -> Outcome`: writes. With `skip_invalid` the valid rows are written and the rejected ones
  reported; otherwise (the default) a file with any rejected row writes nothing.

The job (`orgs.models.ImportJob`) runs `check` after the upload and `write` after the cadre confirms — in the
request for small files, by the task worker otherwise — and keeps its file, `progress.json` and the error
workbook in one folder of mode 0700 (files 0600) under `VAR_DIR/imports/`, deleted by `sweep()` (the
`sweep_imports` command and the `imports_sweep` task) after `GONGHUI_IMPORT_TTL_HOURS`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.module_loading import autodiscover_modules

from gonghui.core.excel import Column, error_workbook_bytes

PREVIEW_ROWS = 200  # rows listed on the preview page (errors, additions, changes); all are counted
MAX_KEPT_REJECTS = 100_000  # rows kept for the error workbook; every rejected row is still counted
INLINE_BYTES = 256 * 1024  # smaller files are checked and written in the request; larger ones by the worker
ERROR_REPORT = "错误行.xlsx"

Progress = Callable[[int, int | None, str], None]


def ttl() -> timedelta:
    return timedelta(hours=float(getattr(settings, "GONGHUI_IMPORT_TTL_HOURS", 72)))


def max_upload_bytes() -> int:
    return int(settings.GONGHUI_MAX_UPLOAD_BYTES)


def too_big_message(size: int) -> str:
    limit = max_upload_bytes()
    return f"文件大小为 {size / 1024 / 1024:.1f} MB，超过上限 {limit // (1024 * 1024)} MB，请拆分后再上传，或由管理员使用命令行导入"


# ---------------------------------------------------------------- what an import says about each row


@dataclass(frozen=True)
class RowError:
    """A rejected row: which row (as Excel numbers it), which column (its template label, "" when the row as a
    whole), the value found there, and why (zh-hans)."""

    row: int
    column: str
    value: str
    reason: str

    @property
    def message(self) -> str:  # the name the preview templates and older callers use
        return self.reason

    def __str__(self) -> str:
        where = f"第{self.row}行" + (f"【{self.column}】" if self.column else "")
        shown = f"“{self.value}”" if self.value else ""
        return f"{where}{shown}：{self.reason}"


@dataclass(frozen=True)
class Change:
    """A row that will be (or was) written: added or changed, what it is, and which fields change."""

    row: int
    action: str  # "created" | "updated"
    label: str
    detail: str = ""


@dataclass
class Outcome:
    """What an import did (or, before confirming, would do). `as_json()` is the CLI contract."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0  # rows left out (not written)
    duplicates: int = 0  # repeats of an earlier row, merged into it
    error_report: str | None = None
    written: bool = False
    sheet: str = ""
    header_row: int = 0
    rows: int = 0  # data rows read (title, notes, header, blank and 合计 rows are not data rows)
    blank_rows: int = 0
    total_rows: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first rejected rows, for the preview
    changes: list[Change] = field(default_factory=list)  # the first rows added or changed, for the preview
    duplicate_rows: list[tuple[int, int]] = field(default_factory=list)  # (row, first row of that thing)
    notes: list[tuple[int, str]] = field(default_factory=list)  # accepted with a remark
    rejected_rows: list[tuple[int, dict[str, Any], str]] = field(default_factory=list)  # for the error workbook
    # a file the write left in the job's folder for the confirming cadre to download ONCE (the users import's
    # one-time passwords): its name in the folder; "" when none
    deliverable: str = ""

    def reject(self, row: int, column: str, value: object, reason: str, values: dict[str, Any]) -> None:
        from gonghui.core.excel import cell_text

        self.rejected += 1
        if len(self.errors) < PREVIEW_ROWS:
            self.errors.append(RowError(row, column, cell_text(value), reason))
        if len(self.rejected_rows) < MAX_KEPT_REJECTS:
            self.rejected_rows.append((row, values, (f"【{column}】" if column else "") + reason))

    def count(self, outcome: str, *, row: int, label: str, detail: str = "") -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome in ("created", "updated") and len(self.changes) < PREVIEW_ROWS:
            self.changes.append(Change(row, outcome, label, detail))

    @property
    def error_count(self) -> int:
        return self.rejected

    @property
    def valid(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_json(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "duplicates": self.duplicates, "error_report": self.error_report}

    def as_dict(self) -> dict[str, Any]:
        """JSON-able, for the job's `result`: counts, the preview's rows, no personal data beyond what the
        preview shows (names and masked IDs are the kinds' business: they put only those in `label`)."""
        return {**self.as_json(), "written": self.written, "sheet": self.sheet, "header_row": self.header_row,
                "rows": self.rows, "blank_rows": self.blank_rows, "total_rows": self.total_rows,
                "errors": [[e.row, e.column, e.value, e.reason] for e in self.errors],
                "changes": [[c.row, c.action, c.label, c.detail] for c in self.changes],
                "duplicate_rows": self.duplicate_rows, "notes": self.notes, "deliverable": self.deliverable}


# ---------------------------------------------------------------- kinds


@dataclass
class ImportRequest:
    """Everything a kind's check/write needs: the stored file, who acts, the union it is made under."""

    path: Path | bytes
    actor: Any
    union: Any  # the roster's union, or the node the registry import is made under
    sheet: str | None = None
    skip_invalid: bool = False
    filename: str = ""
    progress: Progress | None = None


@dataclass(frozen=True)
class ImportKind:
    """One kind of import. `columns(user)` gives the template's columns (dropdowns from the user's scope);
    `unions(user)` the unions a cadre may import into, when the kind needs one chosen (a roster), else None;
    `done_url(job)` where to look at the result."""

    name: str
    label: str
    columns: Callable[[Any], Sequence[Column]]
    check: Callable[[ImportRequest], Outcome]
    write: Callable[[ImportRequest], Outcome]
    unions: Callable[[Any], Any] | None = None  # user -> a QuerySet of the unions the picker offers
    notes: tuple[str, ...] = ()
    examples: tuple[tuple[Any, ...], ...] = ()
    done_url: Callable[[Any], str] | None = None  # job -> where to look at the result
    anchor: Callable[[Any], Any] | None = None  # user -> the union a kind without `unions` is made under
    action: str = "change"  # what the upload, the confirm and the downloads require on the job's union


_KINDS: dict[str, ImportKind] = {}
_discovered = False


def register(kind: ImportKind) -> ImportKind:
    """Make a kind available to the job, the views and the sweep. Idempotent (re-imports replace)."""
    _KINDS[kind.name] = kind
    return kind


def kinds() -> dict[str, ImportKind]:
    global _discovered
    if not _discovered:
        autodiscover_modules("imports")  # every app's imports.py registers its kinds
        _discovered = True
    return _KINDS


def get_kind(name: str) -> ImportKind | None:
    return kinds().get(name)


# ---------------------------------------------------------------- the private upload store


def store_root() -> Path:
    root = Path(settings.VAR_DIR) / "imports"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    return root


def new_folder() -> Path:
    folder = store_root() / uuid.uuid4().hex
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)  # whatever the umask
    return folder


def write_private(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Create `path` with mode 0600 (never readable by other accounts on the host) and write `data`."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        if isinstance(data, bytes):
            fh.write(data)
        else:
            for part in data:
                fh.write(part)
    os.chmod(path, 0o600)


def store_upload(chunks: Iterable[bytes], *, size: int) -> Path:
    """Store an uploaded file as `upload` in a new private folder and return the folder. Refused at the door
    with a zh-hans ValidationError, nothing kept: too big (`size` as declared, then as written — a chunked body
    has no Content-Length), empty, or not a spreadsheet we read (type by content, zip bomb, encryption). The
    stored name is ours, never the user's: a file called `..` or `a/b` is only ever an original name."""
    import shutil

    from django.core.exceptions import ValidationError

    from gonghui.core.excel import SpreadsheetError, sniff
    from linkage.io import CSV_HEAD_BYTES

    if size > max_upload_bytes():
        raise ValidationError(too_big_message(size))
    if size == 0:
        raise ValidationError("文件是空的，请检查后重新上传")
    folder = new_folder()
    path = folder / "upload"
    write_private(path, chunks)
    try:
        if path.stat().st_size > max_upload_bytes():
            raise ValidationError(too_big_message(path.stat().st_size))
        with open(path, "rb") as fh:  # cheaply, before anything parses it
            sniff(fh.read(CSV_HEAD_BYTES), path=path)
    except SpreadsheetError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise ValidationError(str(exc)) from exc
    except ValidationError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def write_error_report(outcome: Outcome, columns: Sequence[Column], *, folder: Path | None = None) -> str | None:
    """The rejected rows as an xlsx in the template's columns plus 错误原因, in `folder` (or a new private one)."""
    if not outcome.rejected:
        outcome.error_report = None
        return None
    folder = folder or new_folder()
    path = folder / ERROR_REPORT
    write_private(path, error_workbook_bytes(columns, sorted(outcome.rejected_rows, key=lambda r: r[0])))
    outcome.error_report = str(path)
    return outcome.error_report


def error_report_name(original_name: str) -> str:
    """错误行-名册.xlsx for 名册.xlsx (never 名册.xlsx.xlsx), whatever the uploaded name ended with."""
    stem = Path(original_name.replace("\\", "/")).name
    for ext in (".xlsx", ".xls", ".ods", ".csv"):
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
            break
    stem = stem.strip(". ") or "导入文件"
    return f"错误行-{stem}.xlsx"
