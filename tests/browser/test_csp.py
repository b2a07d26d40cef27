"""Content-Security-Policy: the pages run under `script-src 'self'` with no violation.

Given the policy of config/settings.py (scripts only from our static files), when a real chromium loads the main
pages, works them a little (expands a tree node, types an employer, joins and opens the e-card), then not one
`securitypolicyviolation` event fires and the console logs no error. A template check beside it keeps inline
<script> blocks, on*= handlers and javascript: URLs out of every template, including ones no browser test opens.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from gonghui.core import crypto
from gonghui.core.identifiers import make_id_number
from gonghui.members.models import FunnelEvent, Person
from gonghui.orgs.models import Union

ELEME = "黄岩区饿了么网约送餐员联合工会"
NUMBER = make_id_number("330103", dt.date(1993, 4, 9), 318)

# Violations are reported from inside the page to Python; an init script is injected by the browser itself, so
# the policy it watches does not block it.
WATCH = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolation([e.violatedDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber].join(" "));
});
"""


class Watcher:
    def __init__(self, page: Any) -> None:
        self.violations: list[str] = []
        self.errors: list[str] = []
        page.expose_function("__cspViolation", lambda text: self.violations.append(f"{page.url}: {text}"))
        page.add_init_script(WATCH)
        page.on("console", self._console)
        # a failed resource is named by its response (the console says only "Failed to load resource"); the browser's
        # own /favicon.ico probe is not a page's resource
        page.on("response", lambda r: r.status >= 400 and not r.url.endswith("/favicon.ico")
                and self.errors.append(f"{page.url}: {r.status} {r.url}"))
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        self.page = page

    def _console(self, msg: Any) -> None:
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.errors.append(f"{self.page.url}: {msg.text}")

    def visit(self, page: Any, url: str) -> None:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        policy = response.header_value("content-security-policy") or ""
        assert "script-src 'self'" in policy, (url, policy)
        page.wait_for_load_state("load")

    def assert_clean(self, page: Any) -> None:
        page.wait_for_timeout(300)  # a violation event is dispatched asynchronously
        assert self.violations == [] and self.errors == [], self.violations + self.errors


@pytest.fixture
def cleanup_person() -> Generator[None]:
    index = crypto.blind_index(NUMBER)
    Person.objects.filter(id_index=index).delete()
    before = FunnelEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    yield
    Person.objects.filter(id_index=index).delete()
    FunnelEvent.objects.filter(pk__gt=before).delete()


@pytest.mark.browser
def test_the_watcher_catches_a_blocked_inline_script(page: Any, live_server: Any, login: Any) -> None:
    """The detector itself: an inline script added to a page is refused by the policy and reported."""
    watcher = Watcher(page)
    login(page, live_server, "dongcheng")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
                  " document.body.appendChild(s); }")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.x") is None  # it did not run
    assert any("script-src" in v for v in watcher.violations), watcher.violations


@pytest.mark.browser
def test_console_pages_pass_the_policy(page: Any, live_server: Any, login: Any, shot: Any) -> None:
    watcher = Watcher(page)
    login(page, live_server, "huangyan")
    # 工作台 with the township chart (ECharts from static files, data from json_script)
    watcher.visit(page, f"{live_server.url}/")
    page.wait_for_selector("#chart-township-coverage canvas")
    # 组织树: a federation node expands (htmx loads its children) and folds again (tree.js)
    union = Union.objects.get(name="东城商圈联合工会委员会")
    watcher.visit(page, f"{live_server.url}/orgs/tree/?q=东城商圈")
    watcher.visit(page, f"{live_server.url}/orgs/tree/")
    toggle = page.locator(f"li[data-union-id='{union.pk}'] > button.gh-toggle")
    if toggle.count() == 0:  # the district's tree shows townships first: open 东城 to reach the federation
        page.locator("li[data-testid=tree-node]:has(> a:text-is('东城街道总工会')) > button.gh-toggle").click()
    toggle.click()
    page.wait_for_selector(f"#children-{union.pk} li[data-testid=tree-node]")
    assert toggle.get_attribute("aria-expanded") == "true"
    toggle.click()
    assert page.locator(f"#children-{union.pk}").is_hidden()
    # a union's detail page (with the move form's confirmation), the enterprise list with a filter applied (htmx)
    watcher.visit(page, f"{live_server.url}/orgs/unions/{union.pk}/")
    watcher.visit(page, f"{live_server.url}/orgs/enterprises/")
    page.select_option("#id_covered", "no")
    page.wait_for_url(re.compile(r"covered=no"))
    watcher.visit(page, f"{live_server.url}/members/")
    watcher.visit(page, f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info")
    shot(page, "csp-api-docs")
    watcher.assert_clean(page)


@pytest.mark.browser
def test_confirmation_without_an_inline_handler(page: Any, live_server: Any, login: Any) -> None:
    """Cancelling the move's confirmation (confirm.js, data-confirm) keeps the form from being submitted."""
    watcher = Watcher(page)
    login(page, live_server, "huangyan")
    union = Union.objects.get(name=ELEME)
    watcher.visit(page, f"{live_server.url}/orgs/unions/{union.pk}/")
    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.click("[data-testid=move-form] button[type=submit]")
    page.wait_for_timeout(300)
    assert asked == [f"确定移动“{union.name}”吗？"]
    assert page.url == f"{live_server.url}/orgs/unions/{union.pk}/"
    watcher.assert_clean(page)


@pytest.mark.browser
def test_phone_pages_pass_the_policy(phone_page: Any, live_server: Any, shot: Any, cleanup_person: None) -> None:
    page = phone_page
    watcher = Watcher(page)
    union = Union.objects.get(name=ELEME)
    watcher.visit(page, f"{live_server.url}/join/{union.code}/")
    # the employer search (join-employers.js) fetches suggestions into the datalist
    with page.expect_response(re.compile(r"/employers/\?q=")):
        page.fill("#f-emp", "黄岩")
    page.fill("#f-name", "周静怡")
    page.fill("#f-id", NUMBER)
    page.fill("#f-phone", "13957600002")
    page.check("input[name=consent_privacy]")
    page.check("input[name=consent_sensitive]")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=e-card]")  # the e-card, with its verification QR
    assert page.locator("[data-testid=verify-qr] svg").count() == 1
    shot(page, "csp-e-card")
    watcher.visit(page, f"{live_server.url}/card/login/")
    watcher.assert_clean(page)


@pytest.mark.browser
def test_poster_and_admin_pass_the_policy(page: Any, live_server: Any, login: Any) -> None:
    from django.contrib.auth import get_user_model

    watcher = Watcher(page)
    login(page, live_server, "dongcheng")
    union = Union.objects.get(name=ELEME)
    watcher.visit(page, f"{live_server.url}/join/{union.code}/poster/")
    page.evaluate("() => { window.print = () => { window.__printed = true; }; }")
    page.click("[data-print]")
    assert page.evaluate("() => window.__printed") is True
    # the Django admin, as a superuser (made here and removed after)
    user_model = get_user_model()
    user_model.objects.filter(username="csp_root").delete()
    user_model.objects.create_superuser("csp_root", password="csp-Root-12345")
    try:
        page.context.clear_cookies()
        login_page = f"{live_server.url}/admin/login/"
        watcher.visit(page, login_page)
        page.fill("#id_username", "csp_root")
        page.fill("#id_password", "csp-Root-12345")
        page.click("input[type=submit]")
        page.wait_for_selector("#site-name")
        watcher.visit(page, f"{live_server.url}/admin/members/membership/")
        watcher.assert_clean(page)
    finally:
        user_model.objects.filter(username="csp_root").delete()


TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "gonghui"]
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def test_no_template_has_an_inline_script_or_handler() -> None:
    found = []
    templates = [p for d in TEMPLATE_DIRS for p in d.rglob("*.html")]
    assert len(templates) > 20
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, HANDLER, JS_URL):
            found += [f"{path.relative_to(settings.BASE_DIR)}: {m.group(0)[:80]}" for m in pattern.finditer(text)]
    assert found == []


def test_the_policy_header_forbids_inline_scripts(client: Any, db: Any) -> None:
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if " " in part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in directives["default-src"]
