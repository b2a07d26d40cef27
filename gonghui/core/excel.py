"""Excel in and out for the platform, one place: how cadres' spreadsheets are read, and how every list goes
back out.

Reading: the bytes-to-rows part is `linkage.io.open_grid`, the project's ONE reader (type by content, zip
bombs refused before any entry is read, encryption named, hidden sheets ignored unless named, CSV in UTF-8 or
GBK/GB18030 streamed from disk); its headers are found through `linkage.schema.HEADERS`, the ONE synonym
table. This module adds what the platform's imports need on top: `Column` (a field of an import template),
the header row found under title rows and notes (line breaks, spaces, full-width characters and "*"/"（必填）"
marks ignored), blank rows and 合计/小计 rows skipped, and cell parsing (dates, integers, text).

Writing (`xlsx_bytes`, `template_bytes`, `error_workbook_bytes`): xlsxwriter with a frozen, bold header. Every
text cell is written as a string cell (never a formula), and one that Excel would take for a formula when
typed (= + - @, tab, CR) also gets Excel's quote-prefix flag: the value is unchanged, so `-` and `+86…` read
back as they were written.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import xlsxwriter

from linkage.io import MAX_RATIO, MAX_UNCOMPRESSED, check_zip_bomb, open_grid, sniff  # noqa: F401 (re-exported)
from linkage.schema import HEADERS
from linkage.schema import InputError as SpreadsheetError  # one error type for every unreadable file
from linkage.schema import normalize_header as norm_header

HEADER_SCAN_ROWS = 30
TOTAL_ROW = re.compile(r"^\s*(合\s*计|总\s*计|小\s*计)\s*[:：]?\s*$")
REASON_HEADER = "错误原因"
ROW_HEADER = "原行号"

__all__ = ["SpreadsheetError", "norm_header", "sniff", "check_zip_bomb"]


@dataclass(frozen=True)
class Column:
    """A field an import reads: its key, its zh-hans label (the template's header) and, through `field`,
    its synonyms in the one table (`linkage.schema.HEADERS`)."""

    key: str
    label: str
    synonyms: tuple[str, ...] = ()  # extra headers only this template accepts (prefer adding to HEADERS)
    required: bool = False
    choices: tuple[str, ...] = ()  # a dropdown in the template
    width: int = 16
    field: str = ""  # the entry of linkage.schema.HEADERS whose synonyms this column accepts

    @cached_property
    def _accepted(self) -> frozenset[str]:
        names = (self.label, *self.synonyms, *(HEADERS[self.field] if self.field else ()))
        return frozenset(norm_header(n) for n in names)

    @property
    def header(self) -> str:
        """The header the template (and the error workbook) writes: the label, "*" when required."""
        return self.label + ("*" if self.required else "")

    def matches(self, header: str) -> bool:
        return norm_header(header) in self._accepted


@dataclass
class Row:
    number: int  # the row number a user sees in Excel (1-based, header included)
    values: dict[str, Any]
    raw: list[Any]


@dataclass
class Table:
    headers: list[str]  # the file's own header texts, in order
    mapping: dict[str, int]  # column key → index
    header_row: int  # 1-based
    rows: list[Row] = field(default_factory=list)
    sheet: str = ""
    skipped_total_rows: int = 0
    blank_rows: int = 0


def find_header(grid: Sequence[Sequence[Any]], columns: Sequence[Column]) -> tuple[int, dict[str, int]]:
    """The row (0-based) whose cells name the most known columns, and which column holds each key."""
    best: tuple[int, int, dict[str, int]] = (-1, 0, {})
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        mapping: dict[str, int] = {}
        for j, cell in enumerate(row):
            if cell in (None, ""):
                continue
            for col in columns:
                if col.key not in mapping and col.matches(str(cell)):
                    mapping[col.key] = j
                    break
        if len(mapping) > best[1]:
            best = (i, len(mapping), mapping)
    return best[0], best[2]


def is_blank(values: Iterable[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def checked_header(grid: Sequence[Sequence[Any]], columns: Sequence[Column]) -> tuple[int, dict[str, int], list[str]]:
    """find_header, then refuse a file without the required columns or with an ambiguous (repeated) one."""
    header_idx, mapping = find_header(grid, columns)
    missing = [c.label for c in columns if c.required and c.key not in mapping]
    if header_idx < 0 or missing:
        wanted = "、".join(c.label for c in columns if c.required)
        raise SpreadsheetError(
            f"没有找到表头或缺少必需的列：{'、'.join(missing) or wanted}。请使用模板，或确认表头包含：{wanted}"
        )
    headers = [str(c or "") for c in grid[header_idx]]
    normed = [norm_header(h) for h in headers]
    dupes = {n for n in normed if n and normed.count(n) > 1}
    if any(normed[j] in dupes for j in mapping.values()):
        raise SpreadsheetError(f"表头有重复的列名：{'、'.join(sorted(dupes))}，无法确定使用哪一列")
    return header_idx, mapping, headers


class StreamTable:
    """A table read lazily through the one reader: the header is found first; `rows()` then yields data rows
    one at a time. `source` is a path or the file's bytes.

    The counters (blank rows, 合计 rows) are complete once `rows()` has been exhausted."""

    def __init__(self, source: Path | str | bytes, columns: Sequence[Column], *, sheet: str | None = None) -> None:
        self.sheet, self._grid = open_grid(source, sheet=sheet)
        self._head: list[tuple[int, list[Any]]] = []
        for item in self._grid:
            self._head.append(item)
            if len(self._head) >= HEADER_SCAN_ROWS:
                break
        if not self._head or is_blank(v for _, r in self._head for v in r):
            raise SpreadsheetError("文件中没有数据")
        idx, self.mapping, self.headers = checked_header([r for _, r in self._head], columns)
        self.header_row = self._head[idx][0]
        self._head = self._head[idx + 1 :]
        self.blank_rows = 0
        self.skipped_total_rows = 0

    def rows(self) -> Iterator[Row]:
        def all_rows() -> Iterator[tuple[int, list[Any]]]:
            yield from self._head
            yield from self._grid

        for number, raw in all_rows():
            if is_blank(raw):
                self.blank_rows += 1
                continue
            if any(isinstance(v, str) and TOTAL_ROW.match(v) for v in raw[:3]):
                self.skipped_total_rows += 1
                continue
            values = {key: (raw[j] if j < len(raw) else None) for key, j in self.mapping.items()}
            if is_blank(values.values()):
                self.blank_rows += 1
                continue
            yield Row(number=number, values=values, raw=raw)


def read_table(source: Path | str | bytes, columns: Sequence[Column], *, sheet: str | None = None) -> Table:
    """Read a whole (small) spreadsheet into rows keyed by column key. Raises SpreadsheetError (zh-hans) when
    the file cannot be read or a required column is missing. Values are kept as the reader gives them (str,
    int, float, date, datetime); callers parse each with the helpers below."""
    stream = StreamTable(source, columns, sheet=sheet)
    table = Table(headers=stream.headers, mapping=stream.mapping, header_row=stream.header_row, sheet=stream.sheet)
    table.rows = list(stream.rows())
    table.blank_rows, table.skipped_total_rows = stream.blank_rows, stream.skipped_total_rows
    return table


# ---------------------------------------------------------------- cell parsing

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: Any) -> dt.date | None:
    """Excel serial, date/datetime, 2021-07-01, 2021/7/1, 2021.7.1, 2021年7月1日, 20210701 → date.

    None for a blank cell; ValueError (zh-hans) when the value is not a real date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            return parse_date(str(int(value)))
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError(f"无法识别的日期：{value}")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"[T\s]?\d{1,2}:\d{2}(:\d{2})?$", "", text)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError as exc:
                raise ValueError(f"日期不存在：{value}") from exc
    raise ValueError(f"无法识别的日期：{value}（可用格式如 2021-07-01、2021/7/1、2021年7月1日）")


def cell_text(value: Any) -> str:
    """A cell as trimmed text; integral floats lose their '.0' (Excel stores phones as numbers)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_int(value: Any, *, label: str) -> int | None:
    text = cell_text(value).replace(",", "")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError as exc:
        raise ValueError(f"{label}应为整数：{value}") from exc
    if not number.is_integer() or number < 0:
        raise ValueError(f"{label}应为非负整数：{value}")
    return int(number)


# ---------------------------------------------------------------- writing

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    """Text that Excel (or a spreadsheet fed the file as CSV) would run as a formula if it were typed in."""
    return isinstance(value, str) and value.startswith(_FORMULA_START)


class _Writer:
    """Cell writing shared by every workbook we make: strings as string cells (never formulas, never
    numbers), formula-looking text quote-prefixed (value unchanged), dates as dates, numbers as numbers."""

    def __init__(self, wb: Any) -> None:
        self.text = wb.add_format({"num_format": "@"})
        self.quoted = wb.add_format({"num_format": "@", "quote_prefix": True})
        self.date = wb.add_format({"num_format": "yyyy-mm-dd"})

    def write(self, ws: Any, i: int, j: int, value: Any, *, text_only: bool = False) -> None:
        if value is None or value == "":
            return
        if isinstance(value, bool):
            ws.write_string(i, j, "是" if value else "否", self.text)
        elif isinstance(value, (int, float)) and not text_only:
            ws.write_number(i, j, value)
        elif isinstance(value, dt.datetime):
            ws.write_string(i, j, value.strftime("%Y-%m-%d %H:%M"), self.text)
        elif isinstance(value, dt.date) and not text_only:
            ws.write_datetime(i, j, dt.datetime(value.year, value.month, value.day), self.date)
        else:
            text = cell_text(value) if text_only else str(value)
            ws.write_string(i, j, text, self.quoted if looks_like_formula(text) else self.text)


def _workbook(buf: io.BytesIO, **options: Any) -> Any:
    return xlsxwriter.Workbook(buf, {"strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False, "default_date_format": "yyyy-mm-dd", **options})


def xlsx_bytes(
    columns: Sequence[tuple[str, int]], rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet1", title: str = ""
) -> bytes:
    """A workbook with one sheet: (header, width) columns, a frozen bold header, values written safely.

    Streams rows (constant_memory), so an export of a million rows stays small in memory."""
    buf = io.BytesIO()
    wb = _workbook(buf, constant_memory=True)
    ws = wb.add_worksheet(sheet[:31])
    head = wb.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1, "text_wrap": True, "valign": "vcenter"})
    writer = _Writer(wb)
    start = 0
    if title:
        ws.write_string(0, 0, title, wb.add_format({"bold": True, "font_size": 14}))
        start = 1
    for j, (label, width) in enumerate(columns):
        ws.write_string(start, j, label, head)
        ws.set_column(j, j, width)
    ws.freeze_panes(start + 1, 0)
    for i, row in enumerate(rows, start=start + 1):
        for j, value in enumerate(row):
            writer.write(ws, i, j, value)
    wb.close()
    return buf.getvalue()


def template_bytes(columns: Sequence[Column], *, sheet: str, notes: Sequence[str] = (),
                   examples: Sequence[Sequence[Any]] = ()) -> bytes:
    """An import template: a notes row, the header (required columns marked *), dropdowns for choices,
    text format for every column, and example rows a cadre overwrites."""
    buf = io.BytesIO()
    wb = _workbook(buf)
    ws = wb.add_worksheet(sheet[:31])
    note_fmt = wb.add_format({"italic": True, "font_color": "#7F7F7F", "text_wrap": True})
    head = wb.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    writer = _Writer(wb)
    ws.merge_range(0, 0, 0, max(len(columns) - 1, 0), "说明：" + "；".join(notes or ("带 * 的列必填",)), note_fmt)
    ws.set_row(0, 48)
    lists = None  # a hidden sheet for choice lists longer than Excel's 255-character inline limit
    for j, col in enumerate(columns):
        ws.write_string(1, j, col.header, head)
        ws.set_column(j, j, col.width, writer.text)
        if col.choices:
            source: Any = list(col.choices)
            if len(",".join(col.choices)) > 255:
                if lists is None:
                    lists = wb.add_worksheet("下拉选项")
                    lists.hide()
                for i, choice in enumerate(col.choices):
                    lists.write_string(i, j, choice)
                letter = xlsxwriter.utility.xl_col_to_name(j)
                source = f"='下拉选项'!${letter}$1:${letter}${len(col.choices)}"
            ws.data_validation(2, j, 10001, j, {"validate": "list", "source": source,
                                                 "error_title": "无效的值", "error_message": f"请从下拉列表中选择{col.label}"})
    ws.freeze_panes(2, 0)
    for i, example in enumerate(examples, start=2):
        for j, value in enumerate(example):
            writer.write(ws, i, j, str(value))
    wb.close()
    return buf.getvalue()


def error_workbook_bytes(columns: Sequence[Column], rejected: Iterable[tuple[int, dict[str, Any], str]]) -> bytes:
    """The rejected rows in the import template's own columns (the header the template writes), then
    错误原因 and 原行号: a cadre corrects the cells and uploads this very file again (both extra columns are
    ignored by the reader). Every cell is written as text, so an ID number or a phone keeps its digits.

    `rejected` is (row number, values by column key, reason)."""
    buf = io.BytesIO()
    wb = _workbook(buf, constant_memory=True)
    ws = wb.add_worksheet("错误行")
    head = wb.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    writer = _Writer(wb)
    headers = [*(c.header for c in columns), REASON_HEADER, ROW_HEADER]
    widths = [*(c.width for c in columns), 60, 8]
    for j, (label, width) in enumerate(zip(headers, widths, strict=True)):
        ws.write_string(0, j, label, head)
        ws.set_column(j, j, width, writer.text)
    ws.freeze_panes(1, 0)
    n = len(columns)
    for i, (number, values, reason) in enumerate(rejected, start=1):
        for j, col in enumerate(columns):
            writer.write(ws, i, j, values.get(col.key), text_only=True)
        writer.write(ws, i, n, reason)
        ws.write_number(i, n + 1, number)
    wb.close()
    return buf.getvalue()


def xlsx_stream(
    target: Any, columns: Sequence[tuple[str, int]], rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet1",
    tmpdir: str | None = None, progress: Any = None, every: int = 2000,
) -> int:
    """Write a large one-sheet workbook to `target` (a path or a binary file) and return the rows written.

    The bulk export path: constant_memory (each row goes to a temporary file in `tmpdir` as soon as the next
    begins, so memory stays flat at a million rows), and one type check per cell instead of xlsxwriter's
    generic `write()` dispatch. Cells are str, date, int/float or empty; every string is written as a string
    cell (never a formula: `strings_to_formulas` is off), so nothing needs an apostrophe. `progress(n)` is
    called every `every` rows."""
    options: dict[str, Any] = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                               "strings_to_numbers": False}
    if tmpdir:
        options["tmpdir"] = tmpdir
    wb = xlsxwriter.Workbook(target, options)
    ws = wb.add_worksheet(sheet[:31])
    head = wb.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1, "text_wrap": True, "valign": "vcenter"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for j, (label, width) in enumerate(columns):
        ws.write_string(0, j, label, head)
        ws.set_column(j, j, width)
    ws.freeze_panes(1, 0)
    # The public write_* methods first translate "A1" arguments (convert_cell_args: ~0.7 µs a cell, a second per
    # million cells); our arguments are already (row, col), so call the methods they wrap (pinned in uv.lock).
    write_string = getattr(ws, "_write_string", ws.write_string)
    write_number = getattr(ws, "_write_number", ws.write_number)
    write_datetime = getattr(ws, "_write_datetime", ws.write_datetime)
    datetime, date = dt.datetime, dt.date
    n = 0
    for n, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if value is None or value == "":
                continue
            kind = type(value)
            if kind is str:
                write_string(n, j, value)
            elif kind is date:
                write_datetime(n, j, datetime(value.year, value.month, value.day), date_fmt)
            elif kind is int or kind is float:
                write_number(n, j, value)
            else:
                write_string(n, j, str(value))
        if progress is not None and n % every == 0:
            progress(n)
    wb.close()
    return n
