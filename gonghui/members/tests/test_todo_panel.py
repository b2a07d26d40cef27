"""The to-do panel counts the imports waiting on the one import path (orgs.ImportJob), for every kind, in scope."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from gonghui.members.panels import todo_context
from gonghui.orgs.models import ImportJob, Union


def _imports(ctx: dict[str, Any]) -> dict[str, Any]:
    return next(i for i in ctx["items"] if i["key"] == "imports")


def test_imports_to_confirm_come_from_the_one_import_path(dongcheng: Any, yuanqiao: Any) -> None:
    # given a checked roster waiting in 东城
    union = Union.objects.get(name="东城街道总工会")
    job = ImportJob.objects.create(kind="members", union=union, folder="/nonexistent", file_name="upload",
                                   original_name="名册.xlsx", status=ImportJob.Status.CHECKED)
    # then dongcheng's to-do shows it and links to its page; yuanqiao's does not
    mine = _imports(todo_context(dongcheng))
    assert mine["n"] == 1 and mine["url"] == reverse("members:import_job", args=[job.pk])
    assert _imports(todo_context(yuanqiao))["n"] == 0
    # and a registry import waiting too makes two, linking to the imports' page
    ImportJob.objects.create(kind="enterprises", union=union, folder="/nonexistent", file_name="upload",
                             original_name="企业.xlsx", status=ImportJob.Status.CHECKED)
    assert _imports(todo_context(dongcheng))["n"] == 2
