"""Member search and export in a real browser: a full ID number searched through the form never shows in the
address bar; an unmasked export asks for a reason and a confirmation; a large export goes to the download centre
and comes back as a file — at 1280 px and on a 360 px phone."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import openpyxl
import pytest

from gonghui.core import crypto
from gonghui.downloads.models import ExportJob
from gonghui.members import exports
from gonghui.members.models import Person
from gonghui.orgs.models import Union

pytestmark = pytest.mark.browser


def _rows(data: bytes) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))


def _cleanup(usernames: tuple[str, ...]) -> None:
    for job in ExportJob.objects.filter(created_by__username__in=usernames):
        if job.file_path:
            shutil.rmtree(Path(job.file_path).parent, ignore_errors=True)
        job.delete()


def test_search_by_id_stays_out_of_the_url_and_unmasked_export_asks_why(page, live_server, login, shot):
    town = Union.objects.get(name="院桥镇总工会")
    p = Person.objects.filter(current_union__path__startswith=town.path).order_by("pk").first()
    number = crypto.decrypt(p.id_cipher)
    login(page, live_server, "huangyan")
    page.goto(f"{live_server.url}/members/")
    # when a full ID number is searched through the form
    page.fill("#id_q", number)
    page.click("[data-testid=member-filters] button[type=submit]")
    page.wait_for_url("**/members/?qk=*")
    # then the address bar holds an opaque key, and the table the one person, mobile in full for huangyan
    assert number not in page.url
    assert page.locator("[data-testid=member-table] tbody tr").count() == 1
    assert page.locator("[data-testid=member-status]").inner_text() == "在会"
    shot(page, "members-search-id")
    # when they ask for the unmasked export, the dialog wants a reason and a confirmation
    page.click("[data-testid=export-unmasked]")
    page.wait_for_selector("[data-testid=export-form]")
    assert number not in page.url
    assert page.inner_text("[data-testid=export-count]") == "1"
    page.click("[data-testid=export-submit]")
    page.wait_for_selector("text=导出完整身份证号码须填写原因")
    page.fill("#id_reason", "医疗互助理赔核对")
    page.check("#id_confirm")
    with page.expect_download() as info:
        page.click("[data-testid=export-submit]")
    rows = _rows(Path(info.value.path()).read_bytes())
    assert rows[1][2] == number and rows[1][1] == p.name


def test_large_export_through_the_download_centre(page, phone_page, live_server, login, shot, settings,
                                                  monkeypatch):
    # given the task worker runs at once, and a small threshold so 东城's roster is "large"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr(exports, "SYNC_LIMIT", 50)
    _cleanup(("dongcheng",))
    try:
        login(page, live_server, "dongcheng")
        page.goto(f"{live_server.url}/members/")
        page.click("[data-testid=export]")
        page.wait_for_selector("[data-testid=export-form]")
        count = int(page.inner_text("[data-testid=export-count]").replace(",", ""))
        assert count > 50 and "后台生成" in page.inner_text("[data-testid=export-form]")
        assert page.locator("#id_unmasked").count() == 0  # dongcheng may not export full numbers
        page.click("[data-testid=export-submit]")
        # then the download centre lists the job, finished, with its size, and the file holds every row
        page.wait_for_url("**/downloads/")
        job = page.locator("[data-testid=export-job]").first
        job.wait_for()
        assert job.get_attribute("data-status") == "done"
        shot(page, "downloads")
        with page.expect_download() as info:
            page.click("[data-testid=export-download]")
        rows = _rows(Path(info.value.path()).read_bytes())
        assert len(rows) - 1 == count and all("*" in r[2] for r in rows[1:])
        # and on a phone the list and its download button are there too
        login(phone_page, live_server, "dongcheng")
        phone_page.goto(f"{live_server.url}/downloads/")
        assert phone_page.locator("[data-testid=export-download]").first.is_visible()
        shot(phone_page, "downloads")
        # and nobody else sees it
        page.context.clear_cookies()
        login(page, live_server, "yuanqiao")
        page.goto(f"{live_server.url}/downloads/")
        assert page.locator("[data-testid=export-job]").count() == 0
    finally:
        _cleanup(("dongcheng",))
