"""The one import path's front door and store: one reader (bomb checked before any entry is read, hidden sheets
ignored), one synonym table, one USCC rule, values written as they are, private files that expire."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from gonghui.core import importing
from gonghui.core.excel import Column, SpreadsheetError, error_workbook_bytes, read_table, xlsx_bytes
from gonghui.core.identifiers import make_org_body, make_uscc, uscc_check_char, uscc_error
from linkage.io import read_table as linkage_read_table
from linkage.io import sniff
from linkage.schema import HEADERS, InputError


def _bomb_zip(entry: str, *, megabytes: int = 300, extra: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in (extra or {}).items():
            z.writestr(name, text)
        zeros = b"0" * (1024 * 1024)
        with z.open(entry, "w", force_zip64=True) as fh:
            for _ in range(megabytes):
                fh.write(zeros)
    return buf.getvalue()


def test_sniff_checks_the_zip_before_reading_the_mimetype_entry() -> None:
    # given a 300 KB upload whose `mimetype` entry unpacks to 300 MB
    data = _bomb_zip("mimetype")
    assert len(data) < 1024 * 1024
    # when its type is sniffed
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="压缩炸弹"):
            sniff(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # then it is refused without unpacking anything (the old sniff read all 300 MB first)
    assert peak < 20 * 1024 * 1024, peak


def test_linkage_reader_refuses_a_zip_bomb_and_ignores_hidden_sheets(tmp_path: Path) -> None:
    # given a workbook whose first sheet is hidden (an old list) and whose visible sheet is the real one
    wb = openpyxl.Workbook()
    old = wb.active
    old.title = "旧名单"
    old.append(["单位名称", "统一社会信用代码"])
    old.append(["作废的旧企业有限公司", ""])
    old.sheet_state = "hidden"
    new = wb.create_sheet("名单")
    new.append(["企业名称", "地址"])
    new.append(["台州市黄岩新企业有限公司", "黄岩"])
    path = tmp_path / "名单.xlsx"
    wb.save(path)
    # when the linkage engine reads it, then it reads the visible sheet
    frame = linkage_read_table(path)
    assert frame.columns == ["企业名称", "地址"] and frame["企业名称"].to_list() == ["台州市黄岩新企业有限公司"]
    # and a bomb disguised as an xlsx is refused
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(_bomb_zip("xl/worksheets/sheet1.xml", extra={"[Content_Types].xml": "<Types/>"}))
    with pytest.raises(InputError, match="压缩炸弹"):
        linkage_read_table(bomb)


def test_one_synonym_table_serves_every_import() -> None:
    # given an enterprise list headed the way the linkage engine accepts ("企业全称", "统一信用代码")
    cols = (Column("uscc", "统一社会信用代码", field="uscc", required=True),
            Column("name", "单位名称", field="enterprise_name", required=True))
    data = xlsx_bytes([("统一信用代码", 20), ("企业全称", 30)], [["91331003MA2AAAAAA0", "甲有限公司"]])
    # when the platform reads it, then both columns are found
    table = read_table(data, cols)
    assert table.mapping == {"uscc": 0, "name": 1}
    assert "企业全称" in HEADERS["enterprise_name"] and "统一信用代码" in HEADERS["uscc"]


def test_uscc_rule_is_linkage_codes() -> None:
    code = make_uscc("91331003" + make_org_body("MA2AAAAA"))
    # a code written with dots, as registries print it, is the same code
    assert uscc_error(code[:8] + "." + code[8:]) is None
    # letters in positions 3-8 are named as such, never as a check character "expected" to be what is there
    body = "91ABCDEF" + make_org_body("12345678")
    bad = body + uscc_check_char(body)
    message = uscc_error(bad) or ""
    assert "3–8" in message and f"应为{bad[-1]}" not in message


def test_text_that_looks_like_a_formula_round_trips_unchanged() -> None:
    # given values Excel would take for formulas if typed in
    values = ["-", "+8613800000000", "=1+1", "@who", "普通文字"]
    cols = (Column("v", "值"),)
    # when written (an export, an error workbook) and read back through the one reader
    for data in (xlsx_bytes([("值", 10)], [[v] for v in values]),
                 error_workbook_bytes(cols, [(i + 2, {"v": v}, "原因") for i, v in enumerate(values)])):
        table = read_table(data, cols)
        # then every value is exactly what was written, and no cell is a formula
        assert [r.values["v"] for r in table.rows] == values
        ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
        assert all(c.data_type == "s" for row in ws.iter_rows(min_row=2, max_col=1) for c in row)


def test_error_workbook_name_never_doubles_the_extension() -> None:
    assert importing.error_report_name("名册.xlsx") == "错误行-名册.xlsx"
    assert importing.error_report_name("..") == "错误行-导入文件.xlsx"


@pytest.mark.django_db
def test_uploads_are_private_and_expire(settings: Any, tmp_path: Path, dongcheng: Any) -> None:
    from gonghui.orgs import import_jobs
    from gonghui.orgs.models import ImportJob, Union

    settings.VAR_DIR = tmp_path
    settings.GONGHUI_IMPORT_TTL_HOURS = 24
    union = Union.objects.get(name="东城街道总工会")
    # given an upload stored by the import path
    job = import_jobs.job_create(actor=dongcheng, kind="enterprises", union=union, chunks=[b"a,b\n1,2\n"], size=8,
                                 original_name="名录.csv")
    stored = import_jobs.job_path(job)
    # then only the service account can read it
    assert stored.stat().st_mode & 0o777 == 0o600 and stored.parent.stat().st_mode & 0o777 == 0o700
    # when a day has not passed, the sweep leaves it; when it has, the folder goes and the job says so
    call_command("sweep_imports", stdout=io.StringIO())
    assert stored.exists()
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    out = io.StringIO()
    call_command("sweep_imports", stdout=out)
    job.refresh_from_db()
    assert not stored.parent.exists() and job.status == "expired" and "已删除 1 个" in out.getvalue()


def test_spreadsheet_error_is_the_reader_error() -> None:
    assert SpreadsheetError is InputError
