"""Shared browser fixtures: Debian's chromium through Playwright, against pytest-django's `live_server`.

Use them in any browser test:

    @pytest.mark.browser
    def test_something(page, live_server):
        login(page, live_server, "dongcheng")
        page.goto(live_server.url + "/orgs/tree/")
        shot(page, "tree")                      # var/screens/tree-1280.png

- `browser` (module-scoped) launches /usr/bin/chromium (never a downloaded browser). When chromium is
  missing the test is skipped, unless REQUIRE_BROWSER=1, when it fails.
- `page` is a fresh context (1280×900, downloads accepted); `phone_page` is 360×780 with touch.
- `live_server` here does NOT flush the database after the test. pytest-django would wrap a live_server test
  in `transactional_db`, whose teardown truncates every table, wiping the demo data that conftest.py loads
  once per worker for every later test. Instead the test runs with plain (autocommit) database access: it
  sees the committed demo data, and whatever the browser writes stays, so a browser test must only write
  what is harmless to keep (a login, an audit entry, an import it leaves unconfirmed) or clean up itself.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("GONGHUI_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
PASSWORD = "demo12345"
SCREENS = Path(settings.BASE_DIR) / "var" / "screens"


def _no_browser(reason: str) -> None:
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Generator[Any]:
    if not os.path.exists(CHROMIUM):
        _no_browser(f"chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the playwright package is not installed")
    # Playwright's sync API keeps an asyncio loop registered on this thread; Django would then refuse the test's
    # own (synchronous) database queries. They are safe: nothing here is actually async.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any) -> Generator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="zh-CN")
    context.set_default_timeout(15000)
    p = context.new_page()
    yield p
    _close(p, context)


@pytest.fixture
def phone_page(browser: Any) -> Generator[Any]:
    context = browser.new_context(viewport={"width": 360, "height": 780}, accept_downloads=True, locale="zh-CN",
                                  has_touch=True, is_mobile=True)
    context.set_default_timeout(15000)
    p = context.new_page()
    yield p
    _close(p, context)


def _close(p: Any, context: Any) -> None:
    # Leave the live server idle before closing, so no request thread still holds a database connection when
    # the test database is dropped at the end of the session.
    try:
        p.goto("about:blank")
    finally:
        context.close()


@pytest.fixture(autouse=True)
def _live_server_helper(request: pytest.FixtureRequest) -> Generator[None]:
    """Overrides pytest-django's helper of the same name for tests in this folder (see the module docstring):
    database access without the flushing `transactional_db`."""
    if "live_server" not in request.fixturenames:
        yield
        return
    from django.db import connections

    request.getfixturevalue("django_db_setup")
    blocker = request.getfixturevalue("django_db_blocker")
    server = request.getfixturevalue("live_server")
    # The server's request threads must not keep persistent connections (CONN_MAX_AGE): one left open would stop
    # PostgreSQL from dropping the test database at the end of the session.
    db_settings = connections["default"].settings_dict
    max_age = db_settings.get("CONN_MAX_AGE", 0)
    db_settings["CONN_MAX_AGE"] = 0
    with blocker.unblock():
        server._live_server_modified_settings.enable()
        try:
            yield
        finally:
            server._live_server_modified_settings.disable()
            db_settings["CONN_MAX_AGE"] = max_age


def login(page: Any, live_server: Any, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a user would, and wait for the 工作台."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=whoami]", state="attached")


def shot(page: Any, name: str) -> Path:
    """A full-page screenshot in var/screens/ (gitignored), named with the viewport width."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    path = SCREENS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(name="login")
def login_fixture() -> Any:
    """The `login(page, live_server, username)` helper as a fixture (no import from a conftest needed)."""
    return login


@pytest.fixture(name="shot")
def shot_fixture() -> Any:
    """The `shot(page, name)` screenshot helper as a fixture."""
    return shot
