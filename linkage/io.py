"""Reading cadres' files (CSV in UTF-8/GBK/GB18030, xlsx, xls) into string frames, and writing the
result atomically. Every failure a user can cause raises ``InputError`` with a zh-hans message."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import polars as pl

from linkage.schema import SYNONYMS, InputError, normalize_header

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_NAME_HEADERS = {normalize_header(h) for h in SYNONYMS["name"]}
_MAX_HEADER_SCAN = 20


def read_table(path: str | os.PathLike[str]) -> pl.DataFrame:
    """Read a CSV or Excel file into a frame of string columns named by its header row.

    The header row is the first of the first 20 non-blank rows that holds a name synonym (cadres'
    sheets often start with a title row); data rows are the non-blank rows after it, in order.
    Raises ``InputError`` for a missing, empty, unreadable, encrypted or garbled file."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError(f"无法打开文件 {p}：{exc.strerror or exc}") from exc
    if not head:
        raise InputError(f"文件为空：{p}")
    if head.startswith(_ZIP) or head.startswith(_OLE2):
        rows = _read_excel(p, encrypted_hint=head.startswith(_OLE2) and p.suffix.lower() == ".xlsx")
        return _to_frame(rows, p)
    return _read_csv(p)


def _read_excel(p: Path, encrypted_hint: bool) -> list[list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(p))
        sheets = wb.sheet_names
        for name in sheets:
            data = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            rows = [[_cell(v) for v in row] for row in data]
            if any(any(c for c in r) for r in rows):
                return rows
    except Exception as exc:  # calamine raises many types for corrupt or encrypted workbooks
        why = "工作簿已加密（请先取消密码保护）" if encrypted_hint else "工作簿已损坏、加密或格式不受支持"
        raise InputError(f"无法读取 {p.name}：{why}（{type(exc).__name__}）") from exc
    raise InputError(f"工作簿没有任何数据：{p.name}")


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
