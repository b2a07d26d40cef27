"""What the generic scope suite (tests/test_scope_matrix.py) needs from demands: its cast objects, written out."""

from __future__ import annotations

from typing import Any

PUBLIC_PAGES: set[str] = {
    # the worker's phone pages: their own session (members' SMS login), their own demands only (else 404)
    "phone:demands",
    "phone:demand_new",
    "phone:demand",
}

PUBLIC_API: set[str] = {
    "gonghui_demands_api_calendar_year",  # the working-day calendar: the State Council's published 放假安排
}

NOT_TREE_WRITES: dict[str, str] = {
    "demands:export": "an export is a read through the download centre (rows in the user's sight only)",
}
NO_OBJECT_LINKS: dict[str, str] = {
    "demands:export": "POST only (a download-centre job)",
    "demands:new": "a form",
    "demands:dashboard": "figures only (ECharts)",
}

# Lists whose rows may be routed to a unit off the tree: renshe (人社局) sees exactly the cast objects written out
# for it below, nothing else (tests/test_scope_matrix.py test_unit_lists_show_exactly_what_is_routed_to_the_unit).
UNIT_LISTS: dict[str, str] = {
    "gonghui_demands_api_demand_list": "demands.Demand",
    "demands:queue": "demands.Demand",
}


def objects(cast: Any) -> list[tuple[Any, set[str]]]:
    from tests import factories as f

    dc_point = f.service_point(cast.dongcheng_town)
    renshe = f.department()
    own = f.demand(union=cast.dc_union, title="东城：本地诉求")
    yq_own = f.demand(union=cast.yq_union, title="院桥：本地诉求")
    kd_own = f.demand(union=cast.kd_union, title="快递：本地诉求")
    to_renshe = f.demand(union=cast.yq_union, unit=renshe, status="assigned", title="院桥：派至人社局")
    to_dongcheng = f.demand(union=cast.yq_union, unit=dc_point, status="in_progress", title="院桥：东城站点承办")
    from gonghui.core.importing import write_private
    from gonghui.demands.models import DemandPhoto
    from gonghui.demands.photos import photo_root

    name = f"{to_renshe.pk}-scope-matrix.png"
    write_private(photo_root() / name, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    photo = DemandPhoto.objects.create(demand=to_renshe, path=name, content_type="image/png", size=72)
    return [
        (photo, {"yuanqiao", "renshe"}),
        (own, {"dongcheng"}), (yq_own, {"yuanqiao"}), (kd_own, {"kuaidi"}),
        (to_renshe, {"yuanqiao", "renshe"}),
        (to_dongcheng, {"yuanqiao", "dongcheng"}),  # a township sees what is routed to its units
    ]
