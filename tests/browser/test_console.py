"""The organisation console in a real browser: given dongcheng logs in through the form, when they work the tree,
the enterprise list, an export and an import, then they see 东城 only and every file comes back readable."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

from gonghui.core.identifiers import make_org_body, make_uscc
from gonghui.orgs.models import Enterprise, Union

pytestmark = pytest.mark.browser


def _download(page, click_selector: str) -> bytes:
    with page.expect_download() as info:
        page.click(click_selector)
    download = info.value
    return Path(download.path()).read_bytes()


def test_tree_shows_only_dongcheng_and_expands(page, live_server, login, shot):
    login(page, live_server, "dongcheng")
    page.goto(f"{live_server.url}/orgs/tree/")
    top = page.locator("[data-testid=org-tree] > ul > li[data-testid=tree-node]")
    assert top.count() == 1
    assert top.locator("> a.gh-node-name").inner_text() == "东城街道总工会"
    body = page.inner_text("body")
    assert "院桥镇总工会" not in body and "台州市黄岩区总工会" not in body
    # when a federation node is expanded, then its children load (htmx) and show
    fed = Union.objects.get(name="东城商圈联合工会委员会")
    node = page.locator(f"li[data-union-id='{fed.pk}']")
    node.locator("> button.gh-toggle").click()
    first_child = Union.objects.filter(path__startswith=fed.path, depth=fed.depth + 1).order_by("path").first()
    page.wait_for_selector(f"#children-{fed.pk} li[data-union-id='{first_child.pk}']")
    assert node.locator("> button.gh-toggle").get_attribute("aria-expanded") == "true"
    shot(page, "orgs-tree")
    # and a second click folds it again
    node.locator("> button.gh-toggle").click()
    assert page.locator(f"#children-{fed.pk}").is_hidden()


def test_filter_enterprises_and_export_what_is_shown(page, live_server, login, shot):
    login(page, live_server, "dongcheng")
    page.goto(f"{live_server.url}/orgs/enterprises/")
    page.select_option("#id_covered", "no")
    page.wait_for_url(re.compile(r"covered=no"))
    page.check("#id_ge25")
    page.wait_for_url(re.compile(r"ge25=1"))
    page.wait_for_selector("[data-testid=export][href*='ge25=1']")
    shown = int(page.inner_text("[data-testid=result-count]"))
    root = Union.objects.get(name="东城街道总工会")
    expected = Enterprise.objects.filter(territory=root, covering_union__isnull=True, headcount__gte=25).count()
    assert shown == expected > 0
    badges = page.locator("[data-testid=enterprise-row] .badge").all_inner_texts()
    assert badges and set(badges) == {"未建会"}
    shot(page, "orgs-enterprises")
    # when exported, then the workbook holds exactly the filtered rows
    data = _download(page, "[data-testid=export]")
    ws = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "统一社会信用代码"
    assert len(rows) - 1 == shown
    assert {r[7] for r in rows[1:]} == {"未建会"} and min(r[5] for r in rows[1:]) >= 25


def test_import_with_one_bad_row_shows_the_error_and_the_error_workbook(page, live_server, login, shot, tmp_path,
                                                                        settings):
    settings.VAR_DIR = tmp_path  # the upload waits in tmp_path/imports, not in the checkout's var/
    login(page, live_server, "dongcheng")
    page.goto(f"{live_server.url}/orgs/import/enterprises/")
    template = _download(page, "[data-testid=download-template]")
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    codes = [make_uscc("91331003" + make_org_body(f"{66000000 + i:08d}")) for i in range(3)]
    bad = codes[1][:-1] + ("0" if codes[1][-1] != "0" else "1")
    ws.append([codes[0], "台州市黄岩浏览器测试甲有限公司", "东城街道", "", "", 30, "存续", ""])
    ws.append([bad, "台州市黄岩浏览器测试乙有限公司", "东城街道", "", "", 12, "存续", ""])
    ws.append([codes[2], "台州市黄岩浏览器测试丙有限公司", "东城街道", "", "", 8, "存续", ""])
    path = tmp_path / "企业名录.xlsx"
    wb.save(path)
    page.set_input_files("#id_file", str(path))
    page.click("[data-testid=upload]")
    page.wait_for_selector("[data-testid=import-preview]")
    assert page.inner_text("[data-testid=n-created]") == "2"
    assert page.inner_text("[data-testid=n-rejected]") == "1"
    errors = page.inner_text("[data-testid=import-errors]")
    assert "第4行" in errors and "校验位错误" in errors and f"应为{codes[1][-1]}" in errors
    assert page.locator("[data-testid=confirm-import]").count() == 0
    shot(page, "orgs-import-preview")
    data = _download(page, "[data-testid=error-report]")
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][-2:] == ("错误原因", "原行号") and len(rows) == 2 and rows[1][-1] == 4
    assert "校验位错误" in rows[1][-2]
    # nothing was written
    assert not Enterprise.objects.filter(uscc__in=codes).exists()
    # when the cadre chooses to import the valid rows now, then the two good firms are in
    page.click("[data-testid=confirm-skip-invalid]")
    page.wait_for_selector("[data-testid=import-done]")
    assert set(Enterprise.objects.filter(uscc__in=codes).values_list("uscc", flat=True)) == {codes[0], codes[2]}
    shot(page, "orgs-import-done-skip-invalid")


def test_pages_at_desktop_and_phone_widths(page, phone_page, live_server, login, shot):
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    ent = Enterprise.objects.filter(covering_union=union).first()
    pages = {"orgs-dashboard": "/", "orgs-tree": "/orgs/tree/", "orgs-unions": "/orgs/unions/",
             "orgs-union-detail": f"/orgs/unions/{union.pk}/", "orgs-enterprises": "/orgs/enterprises/",
             "orgs-enterprise-detail": f"/orgs/enterprises/{ent.pk}/", "orgs-import": "/orgs/import/enterprises/"}
    for p in (page, phone_page):
        login(p, live_server, "dongcheng")
        for name, url in pages.items():
            response = p.goto(live_server.url + url)
            assert response.status == 200, url
            p.wait_for_load_state("load")
            shot(p, name)
            width = p.evaluate("document.documentElement.scrollWidth")
            assert width <= p.viewport_size["width"] + 1, f"{url} overflows at {p.viewport_size['width']} px: {width}"
