"""Excel in and out, one place: how cadres' spreadsheets are read, and how every list goes back out.

Reading (`read_table`): xlsx, xls, ods and CSV (UTF-8 or GBK/GB18030, detected); the header row is found
under title rows and notes by header synonyms (line breaks, spaces, full-width characters and "*"/"（必填）"
marks ignored); blank rows and 合计/小计 rows are skipped; hidden sheets are ignored unless named. Files are
checked before they are parsed: size, type by content (not by name), zip bombs, encryption.

Writing (`xlsx_bytes`, `template_bytes`, `error_workbook_bytes`): xlsxwriter with a frozen, bold header; every
text cell starting with = + - @ (or a tab/CR) is neutralised with a leading apostrophe so a formula never runs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine
import xlsxwriter
from charset_normalizer import from_bytes

MAX_UNCOMPRESSED = 200 * 1024 * 1024  # a real roster of 1M rows is ~150 MB unpacked
MAX_RATIO = 200  # sheet XML compresses ~10–30×; a bomb compresses thousands of times
HEADER_SCAN_ROWS = 30
TOTAL_ROW = re.compile(r"^\s*(合\s*计|总\s*计|小\s*计)\s*[:：]?\s*$")


class SpreadsheetError(ValueError):
    """A file a user gave us that we cannot read; the message is zh-hans and says what to do."""


def norm_header(text: object) -> str:
    """'身份证\\n号码（必填）*' → '身份证号码'."""
    s = unicodedata.normalize("NFKC", str(text or ""))
    s = re.sub(r"[\s*＊]", "", s)
    s = re.sub(r"[(（]必填[)）]|[(（]选填[)）]", "", s)
    return s


@dataclass(frozen=True)
class Column:
    """A field a reader looks for: its key, its zh-hans label (used in templates) and the header synonyms."""

    key: str
    label: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    choices: tuple[str, ...] = ()  # a dropdown in the template
    width: int = 16

    def matches(self, header: str) -> bool:
        h = norm_header(header)
        return h == norm_header(self.label) or h in {norm_header(s) for s in self.synonyms}


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


# ---------------------------------------------------------------- sniffing and safety


def sniff(data: bytes, *, path: Path | None = None) -> str:
    """'xlsx' | 'ods' | 'xls' | 'csv' by content. Raises SpreadsheetError for anything else.

    With `path`, `data` may be just the file's first bytes (a zip is then opened from the path)."""
    if not data or not data.strip():
        raise SpreadsheetError("文件是空的，请检查后重新上传")
    if data[:4] == b"PK\x03\x04":
        try:
            zf = zipfile.ZipFile(path if path is not None else io.BytesIO(data))
            names = set(zf.namelist())
        except zipfile.BadZipFile as exc:
            raise SpreadsheetError("文件已损坏，无法作为 Excel 打开") from exc
        if "mimetype" in names and b"opendocument.spreadsheet" in zf.read("mimetype"):
            return "ods"
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        office = {"word/": "Word 文档", "ppt/": "PowerPoint 演示文稿"}
        for prefix, what in office.items():
            if any(n.startswith(prefix) for n in names):
                raise SpreadsheetError(f"这是{what}，不是 Excel 表格，请上传 .xlsx / .xls / .ods / .csv 文件")
        raise SpreadsheetError("这是一个压缩包，不是 Excel 表格，请上传 .xlsx / .xls / .ods / .csv 文件")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        # OLE2: a legacy .xls, or an encrypted xlsx (which Office wraps in OLE2).
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in data[:65536] or (
            b"EncryptionInfo" in data[:65536]
        ):
            raise SpreadsheetError("文件已加密（设置了打开密码），请在 Excel 中取消密码后再上传")
        return "xls"
    head = data[:4096]
    if b"\x00" in head.replace(b"\x00\x00", b"") and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpreadsheetError("无法识别的文件类型，请上传 .xlsx / .xls / .ods / .csv 文件")
    return "csv"


def check_zip_bomb(data: bytes | Path) -> None:
    try:
        zf = zipfile.ZipFile(data if isinstance(data, Path) else io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise SpreadsheetError("文件已损坏，无法作为 Excel 打开") from exc
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 10 * 1024 * 1024:
            raise SpreadsheetError("文件解压后异常庞大（疑似压缩炸弹），已拒绝")
        if total > MAX_UNCOMPRESSED:
            raise SpreadsheetError("文件解压后超过 200 MB，请拆分后再上传")


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; otherwise detect (GBK/GB18030 are what Chinese Excel saves)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:200000]).best()
    if best is None:
        raise SpreadsheetError("无法识别文件的文字编码，请另存为 UTF-8 或 Excel 格式")
    return data.decode(best.encoding, errors="replace")


# ---------------------------------------------------------------- reading


def _open_workbook(source: io.BytesIO | Path) -> python_calamine.CalamineWorkbook:
    """Open with calamine, turning its many failure types into one zh-hans SpreadsheetError."""
    try:
        if isinstance(source, io.BytesIO):
            return python_calamine.CalamineWorkbook.from_filelike(source)
        return python_calamine.CalamineWorkbook.from_path(str(source))
    except python_calamine.PasswordError as exc:
        raise SpreadsheetError("文件已加密（设置了打开密码），请在 Excel 中取消密码后再上传") from exc
    except Exception as exc:  # calamine raises several types for a broken file
        raise SpreadsheetError(f"文件已损坏或格式不受支持，无法读取（{type(exc).__name__}）") from exc


def _choose_sheet(wb: python_calamine.CalamineWorkbook, sheet: str | None) -> str:
    """The named sheet, or else the first visible worksheet (hidden sheets are ignored unless named)."""
    if sheet:
        if sheet not in wb.sheet_names:
            raise SpreadsheetError(f"找不到工作表“{sheet}”，文件中的工作表有：{'、'.join(wb.sheet_names)}")
        return sheet
    visible = [
        m.name
        for m in wb.sheets_metadata
        if str(m.visible).lower().endswith("visible") and "hidden" not in str(m.visible).lower()
        and "worksheet" in str(m.typ).lower()
    ]
    if not visible:
        raise SpreadsheetError("文件中没有可见的工作表")
    return visible[0]


def read_grid(data: bytes, *, sheet: str | None = None) -> tuple[str, list[list[Any]]]:
    """All cells of the chosen sheet as a list of rows (Python values), and the sheet's name."""
    kind = sniff(data)
    if kind == "csv":
        text = decode_text(data)
        try:
            dialect = csv.Sniffer().sniff(text[:8192], delimiters=",\t;")
        except csv.Error:
            dialect = csv.excel  # type: ignore[assignment]
        return "CSV", [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    if kind in ("xlsx", "ods"):
        check_zip_bomb(data)
    wb = _open_workbook(io.BytesIO(data))
    name = _choose_sheet(wb, sheet)
    try:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise SpreadsheetError(f"工作表“{name}”无法读取（{type(exc).__name__}）") from exc
    return name, rows


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
    dupes = {norm_header(h) for h in headers if h and [norm_header(x) for x in headers].count(norm_header(h)) > 1}
    dup_used = [columns_key for columns_key, j in mapping.items() if norm_header(headers[j]) in dupes]
    if dup_used:
        raise SpreadsheetError(f"表头有重复的列名：{'、'.join(sorted(dupes))}，无法确定使用哪一列")
    return header_idx, mapping, headers


def read_table(data: bytes, columns: Sequence[Column], *, sheet: str | None = None) -> Table:
    """Read a spreadsheet into rows keyed by column key. Raises SpreadsheetError (zh-hans) when the file
    cannot be read or a required column is missing. Values are kept as calamine gives them (str, int,
    float, date, datetime); callers parse each with the helpers below."""
    name, grid = read_grid(data, sheet=sheet)
    if not grid or is_blank(v for r in grid for v in r):
        raise SpreadsheetError("文件中没有数据")
    header_idx, mapping, headers = checked_header(grid, columns)
    table = Table(headers=headers, mapping=mapping, header_row=header_idx + 1, sheet=name)
    for offset, raw in enumerate(grid[header_idx + 1 :], start=header_idx + 2):
        raw = list(raw)
        if is_blank(raw):
            table.blank_rows += 1
            continue
        if any(isinstance(v, str) and TOTAL_ROW.match(v) for v in raw[:3]):
            table.skipped_total_rows += 1
            continue
        values = {key: (raw[j] if j < len(raw) else None) for key, j in mapping.items()}
        if is_blank(values.values()):
            table.blank_rows += 1
            continue
        table.rows.append(Row(number=offset, values=values, raw=raw))
    return table


# ---------------------------------------------------------------- streaming (large files)

CSV_HEAD_BYTES = 1 << 20


def _csv_encoding(head: bytes) -> str:
    """The encoding of a CSV judged from its first bytes (a multi-byte character cut at the end is fine)."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return encoding
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4 and len(head) >= CSV_HEAD_BYTES:
                return encoding
    best = from_bytes(head[:200000]).best()
    if best is None:
        raise SpreadsheetError("无法识别文件的文字编码，请另存为 UTF-8 或 Excel 格式")
    return str(best.encoding)


def iter_grid(path: Path, *, sheet: str | None = None) -> tuple[str, Iterator[tuple[int, list[Any]]]]:
    """Like read_grid, from a file on disk, lazily: (sheet name, iterator of (Excel row number, cells)).

    A CSV is streamed in constant memory. xlsx/xls/ods rows reach Python one at a time (calamine holds the
    sheet's cells in compact native memory, not as Python objects)."""
    with open(path, "rb") as fh:
        head = fh.read(CSV_HEAD_BYTES)
    kind = sniff(head, path=path)
    if kind == "csv":
        encoding = _csv_encoding(head)
        sample = head[:8192].decode(encoding, errors="ignore")
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
        except csv.Error:
            dialect = csv.excel

        def csv_rows() -> Iterator[tuple[int, list[Any]]]:
            with open(path, encoding=encoding, newline="") as text:
                try:
                    yield from enumerate(csv.reader(text, dialect), start=1)
                except UnicodeDecodeError as exc:
                    raise SpreadsheetError("文件中的文字编码前后不一致，请另存为 UTF-8 格式后再上传") from exc

        return "CSV", csv_rows()
    if kind in ("xlsx", "ods"):
        check_zip_bomb(path)
    wb = _open_workbook(path)
    name = _choose_sheet(wb, sheet)
    try:
        ws = wb.get_sheet_by_name(name)
    except Exception as exc:
        raise SpreadsheetError(f"工作表“{name}”无法读取（{type(exc).__name__}）") from exc
    start = ws.start or (0, 0)

    def sheet_rows() -> Iterator[tuple[int, list[Any]]]:
        # calamine's iter_rows starts at the sheet's first row but at its first *used* column: pad it back.
        pad = [None] * start[1]
        for number, row in enumerate(ws.iter_rows(), start=1):
            yield number, pad + list(row) if pad else list(row)

    return name, sheet_rows()


class StreamTable:
    """A table read lazily: the header is found first; `rows()` then yields data rows one at a time.

    The counters (blank rows, 合计 rows) are complete once `rows()` has been exhausted."""

    def __init__(self, path: Path, columns: Sequence[Column], *, sheet: str | None = None) -> None:
        self.sheet, self._grid = iter_grid(path, sheet=sheet)
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


def neutralise(value: Any) -> Any:
    """Text that Excel would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def xlsx_bytes(
    columns: Sequence[tuple[str, int]], rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet1", title: str = ""
) -> bytes:
    """A workbook with one sheet: (header, width) columns, a frozen bold header, values neutralised.

    Streams rows (constant_memory), so an export of a million rows stays small in memory."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False, "default_date_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet(sheet[:31])
    head = wb.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1, "text_wrap": True, "valign": "vcenter"})
    text_fmt = wb.add_format({"num_format": "@"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
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
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                ws.write_string(i, j, "是" if value else "否")
            elif isinstance(value, (int, float)):
                ws.write_number(i, j, value)
            elif isinstance(value, dt.datetime):
                ws.write_string(i, j, value.strftime("%Y-%m-%d %H:%M"))
            elif isinstance(value, dt.date):
                ws.write_datetime(i, j, dt.datetime(value.year, value.month, value.day), date_fmt)
            else:
                ws.write_string(i, j, neutralise(str(value)), text_fmt)
    wb.close()
    return buf.getvalue()


def template_bytes(columns: Sequence[Column], *, sheet: str, notes: Sequence[str] = (), examples: Sequence[Sequence[Any]] = ()) -> bytes:
    """An import template: a notes row, the header (required columns marked *), dropdowns for choices,
    text format for code columns, and example rows a cadre overwrites."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet(sheet[:31])
    note_fmt = wb.add_format({"italic": True, "font_color": "#7F7F7F", "text_wrap": True})
    head = wb.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    text_fmt = wb.add_format({"num_format": "@"})
    ws.merge_range(0, 0, 0, max(len(columns) - 1, 0), "说明：" + "；".join(notes or ("带 * 的列必填",)), note_fmt)
    ws.set_row(0, 48)
    lists = None  # a hidden sheet for choice lists longer than Excel's 255-character inline limit
    for j, col in enumerate(columns):
        ws.write_string(1, j, col.label + ("*" if col.required else ""), head)
        ws.set_column(j, j, col.width, text_fmt)
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
            ws.write_string(i, j, str(value), text_fmt)
    wb.close()
    return buf.getvalue()


def error_workbook_bytes(headers: Sequence[str], rejected: Sequence[tuple[int, Sequence[Any], str]]) -> bytes:
    """The rejected rows as the user sent them, with 原行号 and 错误原因 columns, ready to fix and re-import."""
    cols = [("原行号", 8)] + [(h or f"列{j + 1}", 16) for j, h in enumerate(headers)] + [("错误原因", 60)]
    rows = ([number, *[cell_text(v) for v in list(raw)[: len(headers)]], *[""] * (len(headers) - len(raw)), reason]
            for number, raw, reason in rejected)
    return xlsx_bytes(cols, rows, sheet="错误行")


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
