"""The roster on the one import path: the cadre chooses strict or skip-invalid, the corrected error workbook
completes the roster, an import never renames anyone nor names another township's union, files are private,
the confirmer is the one audited, sizes are refused before the body is read."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from gonghui.core import crypto, importing
from gonghui.members import services
from gonghui.members.imports import roster_import
from gonghui.members.models import Person
from gonghui.orgs import import_jobs
from gonghui.orgs.models import ImportJob, Union

from .rosters import people, write_csv, write_xlsx


def _person(number: str) -> Person | None:
    return Person.objects.filter(id_index=crypto.blind_index(number)).first()


def _broken(rows: list[list[Any]], *indexes: int) -> list[str]:
    """Give rows a wrong check digit; returns their good numbers."""
    good = []
    for i in indexes:
        good.append(rows[i][2])
        rows[i][2] = rows[i][2][:17] + ("0" if rows[i][2][17] != "0" else "1")
    return good


def test_skip_invalid_then_the_corrected_error_workbook_completes_the_roster(tmp_path: Path, union: Any) -> None:
    # given a roster of 5 with two bad ID numbers
    rows = people(5, seed=501)
    good = _broken(rows, 1, 3)
    path = write_xlsx(tmp_path / "名册.xlsx", rows)
    # when the cadre imports the valid rows now
    first = roster_import(path=path, union=union, skip_invalid=True)
    # then three are members, the two are rejected (left out) and listed in the error workbook
    assert (first.created, first.rejected, first.written) == (3, 2, True)
    assert _person(rows[0][2]) is not None and _person(good[0]) is None
    report = Path(first.error_report)
    assert report.stat().st_mode & 0o777 == 0o600
    # when they correct the ID cells in that very workbook and upload it as it is
    wb = load_workbook(report)
    ws = wb.active
    assert [c.value for c in ws[1]][-2:] == ["错误原因", "原行号"]
    for r, number in zip(range(2, 4), good, strict=True):
        ws.cell(row=r, column=2).value = number
    fixed = tmp_path / "改正后.xlsx"
    wb.save(fixed)
    again = roster_import(path=fixed, union=union)
    # then the roster is complete: the two join, nobody is rejected or doubled
    assert (again.created, again.rejected, again.written) == (2, 0, True)
    assert all(_person(r[2] if i not in (1, 3) else good[(i - 1) // 2]) for i, r in enumerate(rows))


def test_import_never_renames_a_person_it_matched(tmp_path: Path, union: Any, other_union: Any, huangyan: Any) -> None:
    # given a former member of a 院桥 union (left), with a name and phone on file
    rows = people(2, seed=502)
    roster_import(path=write_xlsx(tmp_path / "a.xlsx", rows[:1]), union=other_union)
    p = _person(rows[0][2])
    services.membership_change(actor=huangyan, membership=p.memberships.get(), kind="leave", reason="离职")
    name, phone = p.name, p.phone
    # when a 东城 roster carries the same ID number under another name and phone
    rows[0][1], rows[0][3] = "冒名顶替", "13999999999"
    result = roster_import(path=write_xlsx(tmp_path / "b.xlsx", rows), union=union, skip_invalid=True)
    # then that row is rejected, and the person keeps their name, phone and (absent) membership
    assert result.rejected == 1 and result.errors[0].row == 2 and "姓名" in result.errors[0].reason
    assert name not in result.errors[0].reason
    p.refresh_from_db()
    assert (p.name, p.phone, p.current_union_id) == (name, phone, None)


def test_conflict_message_names_only_a_union_the_cadre_sees(tmp_path: Path, union: Any, other_union: Any,
                                                           dongcheng: Any, huangyan: Any) -> None:
    # given a member of a 院桥 union
    rows = people(1, seed=503)
    roster_import(path=write_xlsx(tmp_path / "a.xlsx", rows), union=other_union)
    path = write_xlsx(tmp_path / "b.xlsx", rows)
    # when 东城's cadre imports them, then the reason does not name 院桥's union
    seen_by_dongcheng = roster_import(path=path, union=union, actor=dongcheng, dry_run=True)
    assert seen_by_dongcheng.errors[0].reason == "已是其他工会的会员，请办理转会"
    assert other_union.name not in json.dumps(seen_by_dongcheng.as_dict(), ensure_ascii=False)
    # while the district, which sees both, is told which union
    seen_by_district = roster_import(path=path, union=union, actor=huangyan, dry_run=True)
    assert seen_by_district.errors[0].reason == f"已是{other_union.name}会员，请办理转会"


def test_cli_skip_invalid(tmp_path: Path, union: Any) -> None:
    rows = people(4, seed=504)
    _broken(rows, 2)
    out = io.StringIO()
    code = 0
    try:
        call_command("import_members", str(write_csv(tmp_path / "c.csv", rows)), "--union", union.code,
                     "--skip-invalid", stdout=out)
    except SystemExit as exc:
        code = int(exc.code or 0)
    data = json.loads(out.getvalue())
    assert set(data) == {"created", "updated", "unchanged", "rejected", "duplicates", "error_report"}
    assert (data["created"], data["rejected"], code) == (3, 1, 1)
    assert Path(data["error_report"]).is_file() and _person(rows[0][2]) is not None


def _writer(username: str, union_name: str) -> Any:
    from django.contrib.auth import get_user_model

    from gonghui.accounts.models import Role, RoleAssignment

    user = get_user_model().objects.create(username=username)
    RoleAssignment.objects.create(user=user, role=Role.TOWNSHIP_ADMIN, union=Union.objects.get(name=union_name))
    return user


def _upload(c: Client, union: Any, path: Path, name: str | None = None) -> Any:
    data = path.read_bytes()
    return c.post(reverse("members:import"), {"file": SimpleUploadedFile(name or path.name, data), "union": union.pk})


def test_console_choice_skip_invalid_and_the_audit_names_the_confirmer(client_as: Any, tmp_path: Path,
                                                                      union: Any) -> None:
    # given a roster with one bad row uploaded by dongcheng, previewed with the rows it would add
    rows = people(3, seed=505)
    _broken(rows, 1)
    c = client_as("dongcheng")
    r = _upload(c, union, write_xlsx(tmp_path / "名册.xlsx", rows))
    job = ImportJob.objects.get(kind="members")
    page = c.get(r["Location"]).content.decode()
    assert job.status == "rejected" and 'data-testid="confirm-skip-invalid"' in page
    assert [ch[0] for ch in job.result["changes"]] == [2, 4] and rows[0][1] in page and rows[0][2] not in page
    # when a colleague (another 东城 cadre) chooses to import the valid rows now
    colleague = Client()
    colleague.force_login(_writer("dongcheng2", "东城街道总工会"))
    colleague.post(reverse("members:import_confirm", args=[job.pk]), {"mode": "skip_invalid"})
    job.refresh_from_db()
    # then the two are in, the job says who confirmed, and the audit entry names the confirmer, not the uploader
    assert job.status == "done" and job.result["created"] == 2 and job.result["rejected"] == 1
    assert job.confirmed_by.username == "dongcheng2" and job.created_by.username == "dongcheng"
    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_pk=str(union.pk)).latest("pk")
    assert "名册导入" in str(entry.changes) and entry.actor.username == "dongcheng2"
    # and the error workbook, named without a doubled extension, is downloaded with an audit entry
    before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()
    r = colleague.get(reverse("members:import_errors", args=[job.pk]))
    assert r.status_code == 200 and "xlsx.xlsx" not in r["Content-Disposition"]
    assert "%E9%94%99%E8%AF%AF%E8%A1%8C-%E5%90%8D%E5%86%8C.xlsx" in r["Content-Disposition"]  # 错误行-名册.xlsx
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == before + 1


def test_error_workbook_only_for_writers(client_as: Any, tmp_path: Path, union: Any) -> None:
    from django.contrib.auth import get_user_model

    from gonghui.accounts.models import Role, RoleAssignment

    rows = people(2, seed=506)
    _broken(rows, 0)
    c = client_as("dongcheng")
    _upload(c, union, write_xlsx(tmp_path / "b.xlsx", rows))
    job = ImportJob.objects.get(kind="members")
    reader = get_user_model().objects.create(username="chakan2")
    RoleAssignment.objects.create(user=reader, role=Role.READONLY, union=Union.objects.get(name="东城街道总工会"))
    other = Client()
    other.force_login(reader)
    assert other.get(reverse("members:import_errors", args=[job.pk])).status_code == 403


def test_fifty_megabytes_are_refused_before_the_body_is_read(client_as: Any, union: Any) -> None:
    c = client_as("dongcheng")
    big = SimpleUploadedFile("big.csv", b"0" * (50 * 1024 * 1024))
    r = c.post(reverse("members:import"), {"file": big, "union": union.pk})
    assert r.status_code == 400 and "超过上限 20 MB" in r.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_named_dot_dot(client_as: Any, tmp_path: Path, union: Any, dongcheng: Any) -> None:
    data = write_csv(tmp_path / "x.csv", people(1, seed=507)).read_bytes()
    boundary = "gonghuiboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"union\"\r\n\r\n{union.pk}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"..\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    for url in (reverse("members:import"), reverse("orgs:import", args=["enterprises"])):
        # when a browser sends a file called "..", then the answer is a zh-hans form error, not a 500
        r = client_as("dongcheng").post(url, body, content_type=f"multipart/form-data; boundary={boundary}")
        assert r.status_code == 400 and "请选择要上传的 Excel 文件" in r.content.decode()
    # and whatever a file is called, it is stored under our own name
    job = import_jobs.job_create(actor=dongcheng, kind="members", union=union, chunks=[data], size=len(data),
                               original_name="..")
    assert import_jobs.job_path(job).name == "upload" and import_jobs.job_path(job).is_file()
    import_jobs.job_start_check(job)
    assert job.status == "checked" and importing.error_report_name(job.original_name) == "错误行-导入文件.xlsx"


def test_the_import_target_is_the_union_picker_and_starts_empty(client_as: Any, cast: Any) -> None:
    # given dongcheng on the roster import page
    c = client_as("dongcheng")
    html = c.get(reverse("members:import")).content.decode()
    form = html.split('data-testid="import-form"')[1].split("</form>")[0]
    # then the union is chosen with the picker (searching only where he may change), nothing pre-chosen
    assert '<select name="union"' not in form and 'data-gh-picker' in form and "action=change" in form
    assert re.search(r'<input type="hidden" name="union" value=""', form)
    # and a union he may only see, or not at all, is refused beside the field
    for who, outside in (("dongcheng", cast.yq_union), ("mixed", cast.dc_union2)):
        r = client_as(who).post(reverse("members:import"), {
            "union": outside.pk, "file": SimpleUploadedFile("名册.csv", "姓名\n".encode())})
        assert 'data-testid="union-error"' in r.content.decode(), who
        assert not ImportJob.objects.filter(union=outside).exists()
