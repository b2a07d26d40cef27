"""Importing enterprise and union lists: given a cadre's spreadsheet, when they preview and confirm, then every
good file lands whole, every bad one lands not at all, and the reasons name row, column and value."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gonghui.core.identifiers import make_org_body, make_uscc
from gonghui.core.importing import RowError
from gonghui.orgs import imports
from gonghui.orgs.models import Coverage, Enterprise, ImportJob, Union

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Any) -> None:
    """Uploads go to VAR_DIR/imports: keep the tests' files out of the checkout's var/."""
    settings.VAR_DIR = tmp_path

ENT_HEADERS = ["统一社会信用代码*", "单位名称*", "所在镇街*", "单位地址", "所属行业", "参保人数", "经营状态",
               "覆盖工会统一社会信用代码"]
UNION_HEADERS = ["工会名称*", "统一社会信用代码", "类型*", "上级工会*", "所在镇街", "工会主席", "联系电话", "成立日期", "状态"]


def uscc(n: int, authority: str = "91") -> str:
    return make_uscc(f"{authority}331003" + make_org_body(f"{77000000 + n:08d}"))


def xlsx(headers: list[str], rows: list[list[Any]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def ent_rows(n: int, town: str = "东城街道", start: int = 0) -> list[list[Any]]:
    return [[uscc(start + i), f"台州市黄岩测试{start + i}号模具有限公司", town, f"东城街道劳动北路{i}号", "制造业", 30 + i, "存续", ""]
            for i in range(n)]


def upload(client: Any, kind: str, data: bytes, name: str = "名录.xlsx") -> Any:
    """Upload; a small file is checked at once and the job page (the preview) follows."""
    return client.post(reverse("orgs:import", args=[kind]), {"file": SimpleUploadedFile(name, data)}, follow=True)


def latest_job(kind: str) -> ImportJob:
    return ImportJob.objects.filter(kind=kind).latest("pk")


def confirm(client: Any, kind: str, **extra: str) -> Any:
    return client.post(reverse("orgs:import_confirm", args=[kind]), {"job": latest_job(kind).pk, **extra})


def counts(response: Any) -> tuple[int, int, int, int]:
    r = response.context["r"]
    return r["created"], r["updated"], r["unchanged"], r["rejected"]


def preview_errors(response: Any) -> list[RowError]:
    return [RowError(*e) for e in response.context["r"]["errors"]]


# ---------------------------------------------------------------- the happy path


def test_enterprise_import_preview_confirm_and_reimport_is_idempotent(client_as, dongcheng, tmp_path):
    c = client_as("dongcheng")
    data = xlsx(ENT_HEADERS, ent_rows(5))
    # when previewed, then counts show and nothing is written yet
    r = upload(c, "enterprises", data)
    assert r.status_code == 200 and counts(r) == (5, 0, 0, 0)
    assert not Enterprise.objects.filter(uscc=uscc(0)).exists()
    job = latest_job("enterprises")
    stored = Path(job.folder) / job.file_name
    assert stored.read_bytes() == data and stored.parent.parent == tmp_path / "imports"
    assert stored.stat().st_mode & 0o777 == 0o600 and stored.parent.stat().st_mode & 0o777 == 0o700
    # when confirmed, then all five are written (audited, as the cadre who confirmed)
    r = confirm(c, "enterprises")
    assert r.status_code == 302
    ents = Enterprise.objects.filter(uscc__in=[uscc(i) for i in range(5)])
    assert ents.count() == 5 and {e.territory.name for e in ents} == {"东城街道总工会"}
    job.refresh_from_db()
    assert job.status == "done" and job.confirmed_by == dongcheng
    assert LogEntry.objects.filter(actor=dongcheng, object_pk=str(ents[0].pk)).exists()
    assert "导入企业名录：新增 5 条" in str(LogEntry.objects.filter(actor=dongcheng, action=3).latest("pk").changes)
    # when the same file comes again, then every row is 不变
    r = upload(c, "enterprises", data)
    assert counts(r) == (0, 0, 5, 0)
    confirm(c, "enterprises")
    assert Enterprise.objects.filter(uscc__in=[uscc(i) for i in range(5)]).count() == 5


def test_enterprise_import_synonym_headers_update_and_coverage(dongcheng):
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    existing = Enterprise.objects.filter(territory__name="东城街道总工会", covering_union__isnull=True).first()
    data = xlsx(["信用代码", "企业名称", "所属镇街", "从业人数", "覆盖工会统一社会信用代码"],
                [[existing.uscc, existing.name, "东城街道", 999, union.code],
                 [uscc(50), "台州市黄岩同义词测试有限公司", "东城街道总工会", "12", ""]])
    report = imports.import_enterprises(actor=dongcheng, source=data, commit=True)
    assert (report.created, report.updated, report.errors) == (1, 1, [])
    existing.refresh_from_db()
    assert existing.headcount == 999 and existing.covering_union_id == union.pk
    assert Coverage.objects.filter(enterprise=existing, union=union, ended_on__isnull=True).exists()


def test_union_import_creates_under_parents_and_is_idempotent(client_as):
    c = client_as("dongcheng")
    fed = Union.objects.get(name="东城商圈联合工会委员会")
    rows = [
        ["东城街道测试楼宇工会联合会", uscc(1, "81"), "工会联合会", "东城街道总工会", "东城街道", "张三", "13800000000",
         "2024-05-01", "正常"],
        ["台州市黄岩测试甲有限公司工会", uscc(2, "81"), "单独建会", "东城街道测试楼宇工会联合会", "东城街道", "李四", "",
         "2024年6月1日", ""],
        ["东城街道测试联合工会", "", "联合工会", fed.code, "", "", "", "", "疑似空壳"],
    ]
    data = xlsx(UNION_HEADERS, rows)
    r = upload(c, "unions", data)
    assert counts(r) == (3, 0, 0, 0), r.context["r"]["errors"]
    assert confirm(c, "unions").status_code == 302
    new_fed = Union.objects.get(name="东城街道测试楼宇工会联合会")
    child = Union.objects.get(name="台州市黄岩测试甲有限公司工会")
    assert child.path.startswith(new_fed.path) and child.kind == "single"
    assert str(child.founded_on) == "2024-06-01"
    assert Union.objects.get(name="东城街道测试联合工会").path.startswith(fed.path)
    assert counts(upload(c, "unions", data)) == (0, 0, 3, 0)


def test_union_import_updates_fields(dongcheng):
    u = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    data = xlsx(UNION_HEADERS, [[u.name, u.code, "联合工会", "东城街道总工会", "", "王新主席", "", "", "疑似空壳"]])
    report = imports.import_unions(actor=dongcheng, source=data, commit=True)
    assert (report.updated, report.errors) == (1, [])
    u.refresh_from_db()
    assert u.chair == "王新主席" and u.status == "shell"


# ---------------------------------------------------------------- all-or-nothing


def test_one_bad_row_writes_nothing_and_the_error_workbook_names_it(client_as):
    c = client_as("dongcheng")
    rows = ent_rows(4)
    bad = uscc(3)
    rows[2][0] = bad[:-1] + ("0" if bad[-1] != "0" else "1")  # a wrong check character
    r = upload(c, "enterprises", xlsx(ENT_HEADERS, rows))
    assert counts(r) == (3, 0, 0, 1)
    err = preview_errors(r)[0]
    assert err.row == 4 and err.column == "统一社会信用代码" and f"应为{bad[-1]}" in err.message
    assert f"末位应为{bad[-1]}" in r.content.decode()
    # confirming anyway (strict, the default) writes nothing
    r = confirm(c, "enterprises")
    assert "不能导入" in c.get(r["Location"]).content.decode()
    assert not Enterprise.objects.filter(uscc__in=[uscc(i) for i in range(4)]).exists()
    # the rejected rows come back in the template's columns with 错误原因 and 原行号
    r = c.get(reverse("orgs:import_errors", args=["enterprises"]))
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).worksheets[0]
    values = [list(row) for row in ws.iter_rows(values_only=True)]
    assert values[0][:2] == ["统一社会信用代码*", "单位名称*"] and values[0][-2:] == ["错误原因", "原行号"]
    assert len(values) == 2 and values[1][-1] == 4 and "校验位错误" in values[1][-2]


def test_service_level_error_rolls_back_earlier_rows(dongcheng):
    # a single union (单独建会) may cover one firm: the second row fails inside coverage_start, after row 2 wrote
    single = Union.objects.filter(path__startswith=Union.objects.get(name="东城街道总工会").path, kind="single").first()
    rows = ent_rows(2, start=60)
    rows[0][7] = single.code
    rows[1][7] = single.code
    report = imports.import_enterprises(actor=dongcheng, source=xlsx(ENT_HEADERS, rows), commit=True)
    assert not report.written and report.error_count >= 1
    assert not Enterprise.objects.filter(uscc__in=[uscc(60), uscc(61)]).exists()


# ---------------------------------------------------------------- scope and roles


def test_rows_outside_the_township_are_errors(client_as):
    c = client_as("dongcheng")
    rows = ent_rows(2)
    rows[1][2] = "院桥镇"
    r = upload(c, "enterprises", xlsx(ENT_HEADERS, rows))
    errs = preview_errors(r)
    assert counts(r) == (1, 0, 0, 1) and errs[0].row == 3 and "不在您的管辖范围" in errs[0].message
    # an existing firm of another township cannot be overwritten either
    other = Enterprise.objects.filter(territory__name="院桥镇总工会", covering_union__isnull=True).first()
    r = upload(c, "enterprises", xlsx(ENT_HEADERS, [[other.uscc, "改名", "东城街道", "", "", "", "", ""]]))
    assert "不在您的管辖范围" in preview_errors(r)[0].message


def test_union_parent_outside_scope_is_an_error(dongcheng):
    data = xlsx(UNION_HEADERS, [["东城街道越界工会", "", "联合工会", "院桥镇总工会", "", "", "", "", ""]])
    report = imports.import_unions(actor=dongcheng, source=data, commit=False)
    assert report.errors[0].column == "上级工会" and "不在您的管辖范围" in report.errors[0].message


def test_readonly_users_cannot_import(client, django_user_model):
    from gonghui.accounts.models import Role, RoleAssignment

    reader = django_user_model.objects.create_user("reader", password="x-12345678")
    RoleAssignment.objects.create(user=reader, role=Role.READONLY, union=Union.objects.get(name="东城街道总工会"))
    client.force_login(reader)
    # a reader sees the tree, so an import is "visible but not permitted": 403, like every write (issue 8)
    assert client.get(reverse("orgs:import", args=["enterprises"])).status_code == 403
    assert client.get(reverse("orgs:import_template", args=["unions"])).status_code == 403
    assert upload(client, "enterprises", xlsx(ENT_HEADERS, ent_rows(1))).status_code == 403


def test_template_has_headers_and_dropdowns_from_scope(client_as):
    r = client_as("dongcheng").get(reverse("orgs:import_template", args=["enterprises"]))
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[2]]
    assert headers[:3] == ["统一社会信用代码*", "单位名称*", "所在镇街*"]
    formulas = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert any("东城街道" in f and "院桥镇" not in f for f in formulas)
    r = client_as("huangyan").get(reverse("orgs:import_template", args=["unions"]))
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    formulas = [dv.formula1 for dv in wb.worksheets[0].data_validations.dataValidation]
    assert any("单独建会" in f for f in formulas)
    assert any("东城街道总工会" in f and "快递行业工会联合会" in f for f in formulas)


def test_long_dropdowns_live_on_a_hidden_sheet():
    # Excel refuses an inline list longer than 255 characters: a district's 上级工会 list easily is
    from gonghui.core.excel import Column, template_bytes

    parents = tuple(f"第{i}片区工会联合会" for i in range(60))
    data = template_bytes([Column("name", "工会名称"), Column("parent", "上级工会", choices=parents)], sheet="工会名录")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    hidden = wb.worksheets[1]
    assert hidden.sheet_state == "hidden" and [c.value for c in hidden["B"]] == list(parents)
    (dv,) = wb.worksheets[0].data_validations.dataValidation
    assert dv.formula1 == "'下拉选项'!$B$1:$B$60"


def test_template_round_trip_reads_back(dongcheng):
    columns = imports.template_columns("enterprises", user=dongcheng)
    from gonghui.core.excel import template_bytes

    wb = openpyxl.load_workbook(io.BytesIO(template_bytes(columns, sheet="企业名录")))
    ws = wb.worksheets[0]
    for row in ent_rows(2, start=80):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    report = imports.import_enterprises(actor=dongcheng, source=buf.getvalue(), commit=False)
    assert (report.created, report.errors) == (2, [])


# ---------------------------------------------------------------- bad input: a clear message, nothing written


def _refused(client: Any, data: bytes, name: str = "名录.xlsx", kind: str = "enterprises") -> str:
    from django.conf import settings

    before = Enterprise.objects.count(), Union.objects.count()
    r = upload(client, kind, data, name)
    assert r.status_code == 400
    assert (Enterprise.objects.count(), Union.objects.count()) == before
    # refused at the door (or found unreadable at once): nothing pending, no stored file
    assert not ImportJob.objects.filter(kind=kind).exclude(status="failed").exists()
    assert not any((Path(settings.VAR_DIR) / "imports").glob("*/upload"))
    return r.context["error"]


def test_docx_renamed_xlsx_is_refused(client_as):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    assert "Word" in _refused(client_as("dongcheng"), buf.getvalue())


def test_png_renamed_xlsx_is_refused(client_as):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00" + b"\x00" * 64
    assert "无法识别的文件类型" in _refused(client_as("dongcheng"), png)


def test_empty_file_is_refused(client_as):
    assert "文件是空的" in _refused(client_as("dongcheng"), b"")


def test_fifty_megabytes_are_refused_before_reading(client_as):
    big = b"PK\x03\x04" + b"\x00" * (50 * 1024 * 1024)
    message = _refused(client_as("dongcheng"), big)
    assert "超过上限 20 MB" in message


def test_zip_bomb_is_refused(client_as):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        zeros = b"0" * (1024 * 1024)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for _ in range(300):
                sheet.write(zeros)
    data = buf.getvalue()
    assert len(data) < 1024 * 1024
    assert "压缩炸弹" in _refused(client_as("dongcheng"), data)


def test_encrypted_workbook_is_refused(client_as):
    # Office wraps an encrypted xlsx in an OLE2 compound file with EncryptionInfo/EncryptedPackage streams
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = b"".join(name.encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 64
                         for name in ("Root Entry", "EncryptionInfo", "EncryptedPackage"))
    data = header + directory + b"\x00" * 4096
    assert "已加密" in _refused(client_as("dongcheng"), data)


def test_missing_required_column_is_refused(client_as):
    data = xlsx(["单位名称", "所在镇街"], [["台州市黄岩缺列有限公司", "东城街道"]])
    assert "统一社会信用代码" in _refused(client_as("dongcheng"), data)


def test_duplicate_usccs_name_both_rows(client_as):
    c = client_as("dongcheng")
    rows = ent_rows(3, start=90)
    rows[2][0] = rows[0][0]
    r = upload(c, "enterprises", xlsx(ENT_HEADERS, rows))
    errs = preview_errors(r)
    assert counts(r) == (1, 0, 0, 2)
    assert {e.row for e in errs} == {2, 4}
    assert all("第2、4行" in e.message for e in errs)
    assert not Enterprise.objects.filter(uscc=uscc(91)).exists()


def test_unknown_township_is_a_row_error(client_as):
    rows = ent_rows(1, start=95)
    rows[0][2] = "火星街道"
    r = upload(client_as("dongcheng"), "enterprises", xlsx(ENT_HEADERS, rows))
    err = preview_errors(r)[0]
    assert (err.row, err.column, err.value) == (2, "所在镇街", "火星街道") and "没有这个镇街" in err.message


def test_bad_values_name_row_column_and_value(dongcheng):
    rows = ent_rows(3, start=100)
    rows[0][5] = "很多"
    rows[1][6] = "倒闭"
    rows[2][1] = ""
    report = imports.import_enterprises(actor=dongcheng, source=xlsx(ENT_HEADERS, rows), commit=False)
    got = {(e.row, e.column, e.value) for e in report.errors}
    assert got == {(2, "参保人数", "很多"), (3, "经营状态", "倒闭"), (4, "单位名称", "")}
    assert str(report.errors[0]).startswith("第2行【参保人数】“很多”")


def test_stale_job_is_refused(client_as):
    c = client_as("dongcheng")
    upload(c, "enterprises", xlsx(ENT_HEADERS, ent_rows(1, start=120)))
    r = c.post(reverse("orgs:import_confirm", args=["enterprises"]), {"job": "999999"})
    assert r.status_code == 404 and not Enterprise.objects.filter(uscc=uscc(120)).exists()
