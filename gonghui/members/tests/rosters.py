"""Roster files as cadres send them, written for tests: xlsx (openpyxl, with title rows, merged cells, hidden
sheets, numbers where Excel would put them), ods (a minimal hand-built OpenDocument zip), CSV in any encoding
and xls (the BIFF8 writer the linkage tests already use)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook

from gonghui.members.demo import IdMaker

HEADERS = ["序号", "姓名", "身份证号码", "手机号码", "入会日期", "工作单位", "职业", "政治面貌", "学历"]


def people(n: int, *, seed: int = 11) -> list[list[Any]]:
    """n roster rows (text cells), each a different valid person."""
    rng = random.Random(seed)
    maker = IdMaker(rng)
    rows = []
    for i in range(1, n + 1):
        ident = maker.make()
        rows.append([i, f"测试{chr(0x4E00 + rng.randrange(2000))}{chr(0x4E00 + rng.randrange(2000))}", ident.number,
                     f"13{rng.randrange(10**9):09d}", f"2021-07-{1 + i % 28:02d}", "台州市黄岩测试模具有限公司",
                     "快递员", "群众", "高中"])
    return rows


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], *, headers: Sequence[str] = HEADERS,
               title: str | None = None, notes: Sequence[str] = (), hidden_first: Sequence[Sequence[Any]] | None = None,
               total_row: bool = False, blank_rows: int = 0) -> Path:
    """A roster: optional hidden sheet before it, a merged title row, note rows, the header, the rows, blank
    rows and a 合计 row."""
    wb = Workbook()
    ws = wb.active
    if hidden_first is not None:
        ws.title = "旧名单"
        for r in hidden_first:
            ws.append(list(r))
        ws.sheet_state = "hidden"
        ws = wb.create_sheet("会员名册")
    else:
        ws.title = "会员名册"
    if title:
        ws.append([title])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=len(headers))
    for note in notes:
        ws.append([note])
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    for _ in range(blank_rows):
        ws.append([None] * len(headers))
    if total_row:
        ws.append(["合计", f"{len(rows)}人"])
    wb.save(path)
    return path


def write_csv(path: Path, rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8",
              headers: Sequence[str] = HEADERS) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    for r in rows:
        w.writerow(r)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xls(path: Path, rows: Sequence[Sequence[Any]], *, headers: Sequence[str] = HEADERS) -> Path:
    from tests.linkage.xlswriter import write_xls as _write

    _write(path, [list(map(str, headers))] + [[str(v) for v in r] for r in rows], sheet="会员名册")
    return path


def _ods_cell(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
    if isinstance(value, dt.date):
        return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                f"<text:p>{value.isoformat()}</text:p></table:table-cell>")
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def write_ods(path: Path, rows: Sequence[Sequence[Any]], *, headers: Sequence[str] = HEADERS,
              title: str | None = None) -> Path:
    """A minimal OpenDocument spreadsheet (no odfpy needed): mimetype stored first, manifest, content."""
    body = []
    if title:
        body.append(f"<table:table-row>{_ods_cell(title)}</table:table-row>")
    for r in [list(headers), *rows]:
        body.append("<table:table-row>" + "".join(_ods_cell(v) for v in r) + "</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="会员名册">'
        + "".join(body) + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                    compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path
