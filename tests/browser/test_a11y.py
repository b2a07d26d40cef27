"""Accessibility: axe-core (vendored, gonghui/static/vendor/axe/) run in chromium over the pages a cadre and a
worker use — the login, the 工作台, every list, the details, the import pages at 1280 px, and the join form and
e-card at phone width. A serious or critical violation fails the test, named with the elements it was found on."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from gonghui.members.models import Membership, Person
from gonghui.orgs.models import Enterprise, Union

pytestmark = pytest.mark.browser

AXE = "/static/vendor/axe/axe.min.js"
# WCAG 2.1 A and AA plus axe's best practices, as a cadre's screen reader or keyboard meets them
RUN_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
               "resultTypes": ["violations"]}


def axe_violations(page: Any, live_server: Any) -> list[str]:
    """Serious and critical violations on the page as it stands, one line each (rule, help, first targets)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=f"{live_server.url}{AXE}")  # script-src 'self': the vendored file, no inline
    result = page.evaluate("options => window.axe.run(document, options)", RUN_OPTIONS)
    return [f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(" ".join(n["target"]) for n in v["nodes"][:4])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def violations_on(page: Any, live_server: Any, path: str, *, wait: str | None = None) -> list[str]:
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status == 200, path
    if wait:
        page.wait_for_selector(wait)
    page.wait_for_load_state("networkidle")
    return [f"{path}: {v}" for v in axe_violations(page, live_server)]


def check(page: Any, live_server: Any, path: str, *, wait: str | None = None) -> None:
    found = violations_on(page, live_server, path, wait=wait)
    assert not found, "\n".join(found)


def test_axe_is_vendored_with_its_licence() -> None:
    root = settings.BASE_DIR / "gonghui" / "static" / "vendor" / "axe"
    assert (root / "LICENSE").read_text().startswith("Mozilla Public License")
    assert (root / "axe.min.js").read_text()[:20].startswith("/*! axe v4.")


def test_login_page(page: Any, live_server: Any) -> None:
    check(page, live_server, reverse("login"))


def test_console_pages(page: Any, live_server: Any, login: Any) -> None:
    login(page, live_server, "dongcheng")
    union = Union.objects.get(name="东城商圈联合工会委员会")
    person = Person.objects.filter(current_union__path__startswith=union.path).order_by("pk").first()
    firm = Enterprise.objects.filter(territory__name="东城街道总工会").order_by("pk").first()
    assert person is not None and firm is not None
    found = violations_on(page, live_server, "/", wait="[data-testid=todo]")
    for path in (reverse("members:list"), reverse("members:detail", args=[person.pk]), reverse("orgs:union_list"),
                 reverse("orgs:union_detail", args=[union.pk]), reverse("orgs:enterprise_list"),
                 reverse("orgs:enterprise_detail", args=[firm.pk]), reverse("members:approvals"),
                 reverse("members:transfers"), reverse("members:rates"), reverse("members:import"),
                 reverse("orgs:import_index"), reverse("orgs:import", args=["enterprises"]),
                 reverse("downloads:list")):
        found += violations_on(page, live_server, path)
    assert not found, "\n".join(found)


def test_phone_join_page_and_e_card(phone_page: Any, live_server: Any) -> None:
    union = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    check(phone_page, live_server, reverse("join:form", args=[union.code]))
    # the e-card of a member of that union, bound to this browser's session as joining or SMS login binds it
    from gonghui.members.join_views import SESSION_PERSON

    member = Membership.objects.filter(union=union, status=Membership.Status.ACTIVE).order_by("pk").first()
    assert member is not None
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_PERSON] = member.person_id
    store.save()
    phone_page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key,
                                     "url": live_server.url}])
    check(phone_page, live_server, reverse("join:card"), wait="[data-testid=e-card]")


def test_phone_cards_of_the_lists(phone_page: Any, live_server: Any, login: Any, shot: Any) -> None:
    login(phone_page, live_server, "dongcheng")
    found: list[str] = []
    for path, name in ((reverse("members:list"), "member-list"), (reverse("members:approvals"), "approvals"),
                       (reverse("members:transfers"), "transfers")):
        found += violations_on(phone_page, live_server, path)
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 361, path  # cards, no sideways scroll
        shot(phone_page, f"cards-{name}")
    assert not found, "\n".join(found)


def test_service_menu_and_visit_pages(page: Any, live_server: Any, login: Any) -> None:
    """demands: the service menu, the orders, the teams with their counts, the visits and their forms."""
    from gonghui.demands.models import CircuitVisit, ServiceOrder

    login(page, live_server, "dongcheng")
    town = Union.objects.get(name="东城街道总工会")
    order = ServiceOrder.objects.filter(union__path__startswith=town.path).order_by("pk").first()
    visit = CircuitVisit.objects.filter(union__path__startswith=town.path, status="planned").order_by("pk").first()
    assert order is not None and visit is not None
    found: list[str] = []
    for path in (reverse("demands:services"), reverse("demands:orders"), reverse("demands:order", args=[order.pk]),
                 reverse("demands:order_new"), reverse("demands:teams"), reverse("demands:visits"),
                 reverse("demands:visit", args=[visit.pk]), reverse("demands:visit_new"), reverse("demands:team_new")):
        found += violations_on(page, live_server, path)
    assert not found, "\n".join(found)


def test_dialogs_and_reason_steps(page: Any, live_server: Any, login: Any) -> None:
    """The add/edit dialogs as pages (no script) and open in their modal, with errors shown; the reject step open."""
    login(page, live_server, "dongcheng")
    union = Union.objects.get(name="东城商圈联合工会委员会")
    firm = Enterprise.objects.filter(territory__name="东城街道总工会").order_by("pk").first()
    assert firm is not None
    found: list[str] = []
    for path in (reverse("orgs:union_new"), reverse("orgs:union_edit", args=[union.pk]),
                 reverse("orgs:enterprise_new"), reverse("orgs:enterprise_edit", args=[firm.pk]),
                 reverse("members:new")):
        found += violations_on(page, live_server, path)
    # the modal, open, after a save with errors (every field marked)
    for list_path, button, form in ((reverse("orgs:union_list"), "union-new", "union-form"),
                                    (reverse("orgs:enterprise_list"), "enterprise-new", "enterprise-form"),
                                    (reverse("members:list"), "member-new", "member-form")):
        page.goto(f"{live_server.url}{list_path}")
        page.click(f"[data-testid={button}]")
        page.wait_for_selector(f"#gh-dialog.show [data-testid={form}]")
        page.click("#gh-dialog [data-testid=save]")
        page.wait_for_selector("#gh-dialog [data-testid=form-errors]")
        # htmx settles the swapped fields' attributes (is-invalid) a moment after the new content is in
        page.wait_for_selector("#gh-dialog .is-invalid")
        page.wait_for_timeout(400)  # the modal's fade
        found += [f"{list_path} (dialog): {v}" for v in axe_violations(page, live_server)]
    assert not found, "\n".join(found)
