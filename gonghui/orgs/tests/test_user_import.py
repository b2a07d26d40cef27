"""Importing cadres' accounts from Excel (issue 8 §2): the `users` kind of the one import path — preview, confirm,
error workbook, the console's grant rules per row, and the one-time passwords delivered once to the confirmer."""

from __future__ import annotations

import io
from typing import Any

import pytest
import xlsxwriter
from auditlog.models import LogEntry
from django.urls import reverse
from openpyxl import load_workbook

from gonghui.accounts.models import RoleAssignment, User
from gonghui.orgs.models import ImportJob

pytestmark = pytest.mark.django_db
HEADER = ("姓名", "手机号码", "用户名", "角色", "授权组织")


def _xlsx(rows: list[tuple[str, ...]], header: tuple[str, ...] = HEADER) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet("用户")
    for j, h in enumerate(header):
        ws.write_string(0, j, h)
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            ws.write_string(i, j, v)
    wb.close()
    return buf.getvalue()


def _post_file(client: Any, data: bytes, name: str = "用户.xlsx") -> Any:
    f = io.BytesIO(data)
    f.name = name
    return client.post(reverse("orgs:import", args=["users"]), {"file": f})


def test_a_township_admin_imports_users_and_downloads_their_passwords_once(client_as: Any, settings: Any,
                                                                          tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    client = client_as("dongcheng")
    data = _xlsx([("王丽", "13800000001", "wangli", "联合会/基层工会管理员", "东城街道总工会"),
                  ("赵强", "", "zhaoqiang", "只读", "东城街道总工会")])
    # when dongcheng uploads the list, the preview says two users will be added and nothing is written yet
    response = _post_file(client, data)
    assert response.status_code == 302
    job = ImportJob.objects.filter(kind="users").latest("pk")
    assert job.status == "checked" and job.result["created"] == 2
    assert not User.objects.filter(username__in=["wangli", "zhaoqiang"]).exists()
    # when they confirm, both exist with the role on the node and must change their password first
    client.post(reverse("orgs:import_confirm", args=["users"]), {"job": job.pk})
    job.refresh_from_db()
    assert job.status == "done" and job.result["deliverable"] == "初始密码.xlsx"
    wangli = User.objects.get(username="wangli")
    assert wangli.must_change_password and wangli.phone == "13800000001"
    assert RoleAssignment.objects.get(user=wangli).union.name == "东城街道总工会"
    page = client.get(reverse("orgs:import_job", args=["users", job.pk])).content.decode()
    assert 'data-testid="deliverable-download"' in page
    # the passwords come once, in a workbook a user's Excel opens, and each one signs its user in
    url = reverse("orgs:import_deliverable", args=["users", job.pk])
    got = client.post(url)
    assert got.status_code == 200 and got["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(b"".join(got.streaming_content))).active
    rows = [r for r in sheet.iter_rows(min_row=3, values_only=True)]
    creds = {r[2]: r[3] for r in rows}
    assert set(creds) == {"wangli", "zhaoqiang"}
    assert User.objects.get(username="wangli").check_password(creds["wangli"])
    assert client.post(url).status_code == 404  # gone from the server
    assert any("初始密码.xlsx" in str(e.changes) for e in LogEntry.objects.filter(action=LogEntry.Action.ACCESS))
    page = client.get(reverse("orgs:import_job", args=["users", job.pk])).content.decode()
    assert 'data-testid="deliverable-taken"' in page
    # re-importing the same file changes nothing
    _post_file(client, data)
    again = ImportJob.objects.filter(kind="users").latest("pk")
    assert again.result["unchanged"] == 2 and again.result["created"] == 0


def test_rows_are_refused_with_the_console_rules_and_nothing_is_written(client_as: Any, settings: Any,
                                                                       tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    client = client_as("dongcheng")
    data = _xlsx([
        ("王丽", "13800000001", "wangli", "联合会/基层工会管理员", "东城街道总工会"),  # fine
        ("钱一", "", "qianyi", "区总管理员", "东城街道总工会"),  # more than dongcheng holds
        ("孙二", "", "sun er", "只读", "东城街道总工会"),  # a space in the username
        ("李三", "1380000", "lisan", "只读", "东城街道总工会"),  # a short mobile
        ("周四", "", "zhousi", "只读", "院桥镇总工会"),  # a sibling township: out of sight
        ("吴五", "", "huangyan", "只读", "东城街道总工会"),  # an existing account is never taken over
        ("郑六", "", "wangli", "只读", "东城街道总工会"),  # the same username twice in the file
        ("冯七", "", "fengqi", "超级管理员", "东城街道总工会"),  # no such role
    ])
    _post_file(client, data)
    job = ImportJob.objects.filter(kind="users").latest("pk")
    assert job.status == "rejected"
    errors = {row: (column, reason) for row, column, _value, reason in job.result["errors"]}
    assert set(errors) == {2, 3, 4, 5, 6, 7, 8, 9}  # row 2 is fine alone, but shares its username with row 8
    assert errors[3][0] == "角色" and "无权" in errors[3][1]
    assert errors[4][0] == "用户名"
    assert errors[5][0] == "手机号码"
    assert errors[6][0] == "授权组织"
    assert errors[7][0] == "用户名" and "已被使用" in errors[7][1]
    assert errors[2][0] == errors[8][0] == "用户名" and "重复" in errors[8][1]
    assert errors[9][0] == "角色"
    # strict by default: the confirm is refused and no user exists
    client.post(reverse("orgs:import_confirm", args=["users"]), {"job": job.pk})
    assert not User.objects.filter(username__in=["wangli", "qianyi", "lisan", "zhousi", "fengqi"]).exists()
    # the error workbook carries the rows with their reasons, to correct and upload again
    response = client.get(reverse("orgs:import_errors", args=["users"]), {"job": job.pk})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row >= 9


def test_the_users_import_needs_manage_users(client_as: Any) -> None:
    # kuaidi (a federation's admin) changes members but manages no users; chakan reads only
    for username in ("kuaidi", "chakan", "renshe"):
        assert client_as(username).get(reverse("orgs:import", args=["users"])).status_code == 403


def test_only_the_confirming_cadre_downloads_the_passwords(client_as: Any, settings: Any, tmp_path: Any,
                                                          client: Any, huangyan: Any) -> None:
    settings.VAR_DIR = tmp_path
    dc = client_as("dongcheng")
    _post_file(dc, _xlsx([("王丽", "", "wangli", "只读", "东城街道总工会")]))
    job = ImportJob.objects.filter(kind="users").latest("pk")
    dc.post(reverse("orgs:import_confirm", args=["users"]), {"job": job.pk})
    client.force_login(huangyan)  # the district sees the job but did not confirm it
    assert client.post(reverse("orgs:import_deliverable", args=["users", job.pk])).status_code == 404
