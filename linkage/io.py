"""Reading cadres' files (CSV in UTF-8/GBK/GB18030, xlsx, xls, ods), and writing the result atomically.

This module is the project's ONE spreadsheet reader: the linkage CLI reads its lists with ``read_table``,
and the platform's imports (``gonghui.core.excel``) read every upload through ``open_grid``. Both share the
same front door: the type is judged by content (``sniff``), a zip is checked for a bomb before any entry is
read (``check_zip_bomb``), encrypted workbooks are named as such, and hidden sheets are ignored unless
asked for by name. Every failure a user can cause raises ``InputError`` with a zh-hans message."""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from linkage.schema import SYNONYMS, InputError, normalize_header

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_NAME_HEADERS = {normalize_header(h) for h in SYNONYMS["name"]}
_MAX_HEADER_SCAN = 20

MAX_UNCOMPRESSED = 200 * 1024 * 1024  # a real roster of 1M rows is ~150 MB unpacked
MAX_RATIO = 200  # sheet XML compresses ~10-30x; a bomb compresses thousands of times
_MIMETYPE_MAX = 1024  # an ODF mimetype entry is 46 bytes; anything bigger is not one
CSV_HEAD_BYTES = 1 << 20
Source = str | os.PathLike[str] | bytes

_NOT_A_SHEET = "请上传 .xlsx / .xls / .ods / .csv 文件"
_ENCRYPTED = "文件已加密（设置了打开密码），请在 Excel 中取消密码后再上传"
_BROKEN_ZIP = "文件已损坏，无法作为 Excel 打开"


# ---------------------------------------------------------------- sniffing and safety


def _zip(source: Source) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else Path(source))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(_BROKEN_ZIP) from exc


def check_zip_bomb(source: Source | zipfile.ZipFile) -> None:
    """Refuse a zip whose entries unpack to more than 200 MB, or to > 10 MB at a ratio above 200.

    Reads only the central directory (sizes as declared): nothing is decompressed."""
    zf = source if isinstance(source, zipfile.ZipFile) else _zip(source)
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 10 * 1024 * 1024:
            raise InputError("文件解压后异常庞大（疑似压缩炸弹），已拒绝")
        if total > MAX_UNCOMPRESSED:
            raise InputError("文件解压后超过 200 MB，请拆分后再上传")


def sniff(data: bytes, *, path: str | os.PathLike[str] | None = None) -> str:
    """'xlsx' | 'ods' | 'xls' | 'csv' by content. Raises InputError for anything else.

    With ``path``, ``data`` may be just the file's first bytes (a zip is then opened from the path). A zip
    is checked for a bomb BEFORE any entry is read, and the ODF ``mimetype`` entry is read only when it is
    as small as a real one (a 299 KB upload must not cost 600 MB of memory)."""
    if not data or not data.strip():
        raise InputError("文件是空的，请检查后重新上传")
    if data[:4] == _ZIP:
        zf = _zip(Path(path) if path is not None else data)
        check_zip_bomb(zf)
        names = set(zf.namelist())
        if "mimetype" in names and zf.getinfo("mimetype").file_size <= _MIMETYPE_MAX:
            try:
                mimetype = zf.read("mimetype")
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
                raise InputError(_BROKEN_ZIP) from exc
            if b"opendocument.spreadsheet" in mimetype:
                return "ods"
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        office = {"word/": "Word 文档", "ppt/": "PowerPoint 演示文稿"}
        for prefix, what in office.items():
            if any(n.startswith(prefix) for n in names):
                raise InputError(f"这是{what}，不是 Excel 表格，{_NOT_A_SHEET}")
        raise InputError(f"这是一个压缩包，不是 Excel 表格，{_NOT_A_SHEET}")
    if data[:8] == _OLE2:
        # OLE2: a legacy .xls, or an encrypted xlsx (which Office wraps in OLE2).
        head = data[:65536]
        if "EncryptionInfo".encode("utf-16-le") in head or b"EncryptionInfo" in head:
            raise InputError(_ENCRYPTED)
        return "xls"
    head = data[:4096]
    if b"\x00" in head.replace(b"\x00\x00", b"") and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"无法识别的文件类型，{_NOT_A_SHEET}")
    return "csv"


def csv_encoding(head: bytes) -> str:
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
    from charset_normalizer import from_bytes

    best = from_bytes(head[:200000]).best()
    if best is None:
        raise InputError("无法识别文件的文字编码，请另存为 UTF-8 或 Excel 格式")
    return str(best.encoding)


def _open_workbook(source: Source) -> Any:
    """Open with calamine, turning its many failure types into one zh-hans InputError."""
    import python_calamine

    try:
        if isinstance(source, bytes):
            return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(source))
        return python_calamine.CalamineWorkbook.from_path(str(source))
    except python_calamine.PasswordError as exc:
        raise InputError(_ENCRYPTED) from exc
    except Exception as exc:  # calamine raises several types for a broken file
        raise InputError(f"文件已损坏或格式不受支持，无法读取（{type(exc).__name__}）") from exc


def visible_sheets(wb: Any) -> list[str]:
    """The workbook's visible worksheets, in order (hidden and very hidden sheets, chart sheets left out)."""
    return [
        m.name
        for m in wb.sheets_metadata
        if "hidden" not in str(m.visible).lower() and "worksheet" in str(m.typ).lower()
    ]


def _choose_sheet(wb: Any, sheet: str | None) -> str:
    """The named sheet, or else the first visible worksheet (hidden sheets are ignored unless named)."""
    if sheet:
        if sheet not in wb.sheet_names:
            raise InputError(f"找不到工作表“{sheet}”，文件中的工作表有：{'、'.join(wb.sheet_names)}")
        return str(sheet)
    visible = visible_sheets(wb)
    if not visible:
        raise InputError("文件中没有可见的工作表")
    return visible[0]


def open_grid(source: Source, *, sheet: str | None = None) -> tuple[str, Iterator[tuple[int, list[Any]]]]:
    """The chosen sheet of a spreadsheet, lazily: (sheet name, iterator of (1-based row number, cells)).

    ``source`` is a path or the file's bytes. A CSV is streamed from disk in constant memory (encoding judged
    from its first MB; sheet name "CSV"). xlsx/xls/ods rows reach Python one at a time as calamine's values
    (str, int, float, date, datetime, None); the first visible worksheet is read unless ``sheet`` names one."""
    if isinstance(source, bytes):
        head = source[:CSV_HEAD_BYTES]
    else:
        try:
            with open(source, "rb") as fh:
                head = fh.read(CSV_HEAD_BYTES)
        except OSError as exc:
            raise InputError(f"无法打开文件 {Path(source).name}：{exc.strerror or exc}") from exc
    kind = sniff(head, path=None if isinstance(source, bytes) else source)
    if kind == "csv":
        return "CSV", _csv_rows(source, head)
    wb = _open_workbook(source)
    name = _choose_sheet(wb, sheet)
    try:
        ws = wb.get_sheet_by_name(name)
    except Exception as exc:  # calamine raises several types for a broken sheet
        raise InputError(f"工作表“{name}”无法读取（{type(exc).__name__}）") from exc
    start = ws.start or (0, 0)

    def sheet_rows() -> Iterator[tuple[int, list[Any]]]:
        # calamine's iter_rows starts at the sheet's first row but at its first *used* column: pad it back.
        pad: list[Any] = [None] * start[1]
        for number, row in enumerate(ws.iter_rows(), start=1):
            yield number, pad + list(row) if pad else list(row)

    return name, sheet_rows()


def _csv_rows(source: Source, head: bytes) -> Iterator[tuple[int, list[Any]]]:
    encoding = csv_encoding(head)
    sample = head[:8192].decode(encoding, errors="ignore")
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        if isinstance(source, bytes):
            text: Any = io.StringIO(source.decode(encoding), newline="")
        else:
            text = open(source, encoding=encoding, newline="")  # noqa: SIM115 - closed when the rows end
        with text:
            yield from enumerate(csv.reader(text, dialect), start=1)
    except UnicodeDecodeError as exc:
        raise InputError("文件中的文字编码前后不一致，请另存为 UTF-8 格式后再上传") from exc
    except csv.Error as exc:
        raise InputError(f"不是有效的 CSV 文件：{exc}") from exc


# ---------------------------------------------------------------- the linkage engine's frames


def read_table(path: str | os.PathLike[str]) -> pl.DataFrame:
    """Read a CSV or Excel file into a frame of string columns named by its header row.

    The header row is the first of the first 20 non-blank rows that holds a name synonym (cadres'
    sheets often start with a title row); data rows are the non-blank rows after it, in order.
    Excel files go through ``open_grid`` (bomb check, hidden sheets ignored). Raises ``InputError`` for a
    missing, empty, unreadable, encrypted or garbled file."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError(f"无法打开文件 {p}：{exc.strerror or exc}") from exc
    if not head:
        raise InputError(f"文件为空：{p}")
    if head.startswith(_ZIP) or head.startswith(_OLE2):
        rows = _read_excel(p)
        return _to_frame(rows, p)
    return _read_csv(p)


def _read_excel(p: Path) -> list[list[str]]:
    try:
        _name, grid = open_grid(p)
        rows = [[_cell(v) for v in row] for _n, row in grid]
    except InputError as exc:
        raise InputError(f"无法读取 {p.name}：{exc}") from exc
    if not any(any(c for c in r) for r in rows):
        raise InputError(f"工作簿没有任何数据：{p.name}")
    return rows


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v).strip()


def _decode(raw: bytes, p: Path) -> str:
    if b"\x00" in raw[:1_000_000]:
        raise InputError(f"{p.name} 不是文本表格（含有二进制数据），请另存为 CSV 或 xlsx")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # some lines valid UTF-8 with Chinese and others not: a file glued from two encodings
    lines = raw.split(b"\n")
    utf8_cjk = failed = 0
    for line in lines:
        try:
            if any(b >= 0x80 for b in line) and line.decode("utf-8"):
                utf8_cjk += 1
        except UnicodeDecodeError:
            failed += 1
    if utf8_cjk and failed:
        raise InputError(f"{p.name} 混用了多种字符编码（UTF-8 与 GBK），请统一另存为 UTF-8 后再试")
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p.name} 的字符编码无法识别（既不是 UTF-8 也不是 GBK/GB18030）") from exc


def _read_csv(p: Path) -> pl.DataFrame:
    text = _decode(p.read_bytes(), p)
    if not text.strip():
        raise InputError(f"文件为空：{p.name}")
    # find the header among the first lines before parsing the whole file, so junk fails fast
    lines = text.split("\n", 200)[:200]
    first = next((ln for ln in lines if ln.strip()), "")
    delim = max(",\t;|", key=first.count) if any(d in first for d in ",\t;|") else ","
    try:
        head_rows = list(
            csv.reader(
                io.StringIO("\n".join(lines[:-1] if len(lines) == 200 else lines), newline=""),
                delimiter=delim,
            )
        )
    except csv.Error as exc:
        raise InputError(f"{p.name} 不是有效的 CSV：{exc}") from exc
    header_line = 0
    header: list[str] = []
    seen_nonblank = 0
    for i, r in enumerate(head_rows):
        if not any(c.strip() for c in r):
            continue
        if not header:
            header, header_line = r, i
        if any(normalize_header(c) in _NAME_HEADERS for c in r):
            header, header_line = r, i
            break
        seen_nonblank += 1
        if seen_nonblank >= _MAX_HEADER_SCAN:
            break
    header = [c.strip() for c in header]
    from linkage.schema import map_headers

    map_headers([h for h in header if h])  # raises on duplicates or no name column, before the big parse
    try:
        frame = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            has_header=False,
            infer_schema=False,
            separator=delim,
            skip_rows=header_line + 1,
            truncate_ragged_lines=True,
            quote_char='"',
        )
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"{p.name} 不是有效的 CSV：{exc}") from exc
    names = [h if h else f"_col{j + 1}" for j, h in enumerate(header)]
    frame = frame.select(frame.columns[: len(names)])
    frame = frame.rename(dict(zip(frame.columns, names[: frame.width], strict=True)))
    for n in names[frame.width :]:
        frame = frame.with_columns(pl.lit("").alias(n))
    frame = frame.with_columns(pl.all().fill_null("").str.strip_chars())
    return frame.filter(pl.any_horizontal(pl.all() != ""))


def _to_frame(rows: list[list[str]], p: Path) -> pl.DataFrame:
    nonblank = [r for r in rows if any(c.strip() for c in r)]
    if not nonblank:
        raise InputError(f"文件为空：{p.name}")
    header_at = 0
    for i, r in enumerate(nonblank[:_MAX_HEADER_SCAN]):
        if any(normalize_header(c) in _NAME_HEADERS for c in r):
            header_at = i
            break
    header = [c.strip() for c in nonblank[header_at]]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    if width == 0:
        raise InputError(f"{p.name} 没有表头行")
    # cells right of the header (a cadre's notes) are ignored, as the CSV reader does
    body = nonblank[header_at + 1 :]
    names = [h if h else f"_col{j + 1}" for j, h in enumerate(header)]
    seen: set[str] = set()
    for h in names:
        key = normalize_header(h)
        if key in seen:
            raise InputError(f"表头重复：“{h}”出现了不止一次，请删除或改名后再试")
        seen.add(key)
    cols = {n: [(r[j] if j < len(r) else "") for r in body] for j, n in enumerate(names)}
    return pl.DataFrame(cols, schema={n: pl.Utf8 for n in names})


def write_csv_atomic(df: pl.DataFrame, out: str | os.PathLike[str]) -> None:
    """Write ``df`` as UTF-8 CSV to ``out`` via a temporary file and rename, so that ``out`` is
    either the complete result or untouched."""
    target = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=".gonghui-link-", suffix=".csv", dir=str(target.parent or "."))
    os.close(fd)
    try:
        df.write_csv(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
