"""A new kind (a `user` list, a campaign's list) plugs into the one import path with one registration: the job,
its preview, the confirm by a cadre, the error workbook and the pages come with it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from gonghui.core.excel import Column, read_table
from gonghui.core.importing import ImportKind, ImportRequest, Outcome, get_kind, kinds, register
from gonghui.orgs import import_jobs
from gonghui.orgs.models import ImportJob, Union

pytestmark = pytest.mark.django_db
COLUMNS = (Column("username", "用户名", field="username", required=True), Column("role", "角色", field="role"))
seen: dict[str, Any] = {}


def _run(req: ImportRequest, *, write: bool) -> Outcome:
    table = read_table(req.path, COLUMNS)
    out = Outcome(sheet=table.sheet, header_row=table.header_row, rows=len(table.rows))
    for row in table.rows:
        if row.values["role"] not in ("只读", "镇街管理员"):
            out.reject(row.number, "角色", row.values["role"], "角色无法识别", row.values)
        else:
            out.count("created", row=row.number, label=str(row.values["username"]))
    if write:
        seen["actor"] = req.actor
        out.written = True
    return out


@pytest.fixture
def user_kind() -> Any:
    real = kinds().get("users")  # the platform's own users kind (gonghui/orgs/user_imports.py) comes back after
    kind = register(ImportKind(name="users", label="用户", columns=lambda user: COLUMNS,
                               check=lambda req: _run(req, write=False), write=lambda req: _run(req, write=True)))
    yield kind
    kinds().pop("users", None)
    if real is not None:
        register(real)


def test_a_user_kind_runs_on_the_job_with_one_registration(settings: Any, tmp_path: Any, user_kind: Any,
                                                           dongcheng: Any, huangyan: Any) -> None:
    settings.VAR_DIR = tmp_path
    assert get_kind("users") is user_kind
    union = Union.objects.get(name="东城街道总工会")
    data = "账号,角色\nzhangsan,只读\nlisi,超级管理员\n".encode()
    # when a list is uploaded and checked
    job = import_jobs.job_create(actor=dongcheng, kind="users", union=union, chunks=[data], size=len(data),
                                 original_name="用户.csv")
    import_jobs.job_start_check(job)
    # then the preview lists the row to add and the rejected one, with an error workbook in its columns
    assert job.status == "rejected" and job.result["changes"] == [[2, "created", "zhangsan", ""]]
    assert job.result["errors"] == [[3, "角色", "超级管理员", "角色无法识别"]]
    assert import_jobs.error_report_file(job) is not None
    # and when another cadre imports the valid rows, the kind's write acts as that cadre
    assert import_jobs.job_confirm(actor=huangyan, job=job, skip_invalid=True)
    assert job.status == ImportJob.Status.DONE and seen["actor"] == huangyan and job.confirmed_by == huangyan


def test_unknown_kind_pages_are_404(client_as: Any) -> None:
    assert client_as("dongcheng").get(reverse("orgs:import", args=["nope"])).status_code == 404
