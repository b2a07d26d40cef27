"""A township cadre (dongcheng) records a circuit visit on a phone (360 px): the team, the union with the picker,
the services, the attendance and a photo; the visit shows as held, and the teams page counts it."""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

import pytest

from gonghui.demands.models import CircuitVisit, ServiceTeam
from gonghui.orgs.models import Union

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
UNION = "东城商圈联合工会委员会"


@pytest.fixture
def team() -> Generator[ServiceTeam]:
    town = Union.objects.get(name="东城街道总工会")
    team = ServiceTeam.objects.filter(node=town, active=True).order_by("pk").first()
    assert team is not None, "load_demo gives 东城 its 巡回服务队"
    before = set(CircuitVisit.objects.filter(team=team).values_list("pk", flat=True))
    yield team
    CircuitVisit.objects.filter(team=team).exclude(pk__in=before).delete()  # the live server's writes stay


@pytest.mark.browser
def test_a_township_cadre_records_a_visit_at_phone_width_and_sees_it_counted(
        team: ServiceTeam, phone_page: Any, live_server: Any, login: Any, shot: Any) -> None:
    p = phone_page
    login(p, live_server, "dongcheng")
    p.goto(f"{live_server.url}/demands/teams/")
    counted = int(p.inner_text(f"[data-team='{team.pk}'] [data-testid=team-n]"))

    p.goto(f"{live_server.url}/demands/visits/")
    p.click("[data-testid=new-visit]")
    p.wait_for_selector("[data-testid=visit-form]")
    p.select_option("#f-team", str(team.pk))
    box = p.locator("#id_union")
    box.click()
    box.type("东城商圈")
    p.wait_for_selector("#id_union_list [role=option]")
    box.press("Enter")
    assert p.locator("input[name=union]").input_value() == str(Union.objects.get(name=UNION).pk)
    p.locator("input[name=services]").first.check()
    p.fill("#f-att", "36")
    p.fill("#f-fb", "现场解答加班费、社保咨询十余人次")
    p.set_input_files("#f-photos", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}])
    assert p.evaluate("document.documentElement.scrollWidth") <= 361  # no sideways scrolling
    shot(p, "visit-form")
    p.click("[data-testid=submit-visit]")
    p.wait_for_selector("[data-testid=status][data-status=held]")
    assert p.inner_text("[data-testid=attendance]") == "36"
    assert p.locator("[data-testid=photos] img").count() == 1
    shot(p, "visit-recorded")

    p.goto(f"{live_server.url}/demands/teams/")
    assert int(p.inner_text(f"[data-team='{team.pk}'] [data-testid=team-n]")) == counted + 1
    assert p.evaluate("document.documentElement.scrollWidth") <= 361
    p.goto(f"{live_server.url}/demands/visits/")
    p.wait_for_selector("[data-testid=visit-row]")
    assert re.search(r"36", p.inner_text("[data-testid=visit-list]"))
    visit = CircuitVisit.objects.filter(team=team, attendance=36).latest("pk")
    assert visit.status == "held" and visit.union.name == UNION and visit.photos.count() == 1
