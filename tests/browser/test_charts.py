"""The 工作台's and 入会率 page's charts at 1280 and 360 px: every label (township names under the bars, the
percentages beside them) is drawn inside the chart, none cut off at an edge and no name over another.
Screenshots of the charts in var/screens/chart-*.png."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

# the bounding box of every text ECharts drew, in the chart's own pixels (zrender's display list)
LABEL_BOXES = """el => {
  const chart = window.echarts.getInstanceByDom(el);
  const boxes = [];
  chart.getZr().storage.getDisplayList().forEach(d => {
    const text = d.style && d.style.text;
    if (!text || d.invisible || d.ignore) return;
    const r = d.getBoundingRect().clone();
    if (d.transform) r.applyTransform(d.transform);
    boxes.push({text: String(text), x: r.x, y: r.y, w: r.width, h: r.height});
  });
  return {width: chart.getWidth(), height: chart.getHeight(), boxes: boxes};
}"""


def clipped_labels(page: Any, selector: str) -> tuple[int, list[str]]:
    el = page.wait_for_selector(f"{selector} canvas")
    drawn = page.evaluate(LABEL_BOXES, page.query_selector(selector))
    assert el is not None and drawn["boxes"], "the chart drew no labels"
    w, h = drawn["width"], drawn["height"]
    boxes = drawn["boxes"]
    out = [b["text"] for b in boxes
           if b["x"] < -0.5 or b["y"] < -0.5 or b["x"] + b["w"] > w + 0.5 or b["y"] + b["h"] > h + 0.5]
    names = [b for b in boxes if not b["text"].endswith("%")]  # the townships' names (values end in %)
    out += [f"{a['text']} × {b['text']}" for i, a in enumerate(names) for b in names[i + 1:]
            if min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"]) > 1
            and min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"]) > 1]  # one name drawn over another
    return len(boxes), out


@pytest.mark.parametrize("fixture", ["page", "phone_page"])
def test_dashboard_chart_labels_are_not_clipped(request: Any, fixture: str, live_server: Any, login: Any,
                                                shot: Any) -> None:
    p = request.getfixturevalue(fixture)
    login(p, live_server, "huangyan")
    p.goto(f"{live_server.url}/")
    n, clipped = clipped_labels(p, "#chart-township-coverage")
    assert n >= 19 and clipped == []  # 19 townships' names, at least
    p.locator("#chart-township-coverage").scroll_into_view_if_needed()
    p.locator("#chart-township-coverage").screenshot(path=str(shot(p, "dashboard").with_name(
        f"chart-dashboard-{p.viewport_size['width']}.png")))


@pytest.mark.parametrize("fixture", ["page", "phone_page"])
def test_rates_chart_labels_are_not_clipped(request: Any, fixture: str, live_server: Any, login: Any,
                                            shot: Any) -> None:
    p = request.getfixturevalue(fixture)
    login(p, live_server, "huangyan")
    p.goto(f"{live_server.url}/members/rates/")
    n, clipped = clipped_labels(p, "#chart-township-rates")
    assert n >= 19 and clipped == []
    p.locator("#chart-township-rates").screenshot(path=str(shot(p, "rates").with_name(
        f"chart-rates-{p.viewport_size['width']}.png")))
