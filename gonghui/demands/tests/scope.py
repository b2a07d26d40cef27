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
    "demands:visit_export": "an export is a read through the download centre (rows in the user's sight only)",
}
NO_OBJECT_LINKS: dict[str, str] = {
    "demands:export": "POST only (a download-centre job)",
    "demands:new": "a form",
    "demands:dashboard": "figures only (ECharts)",
    "demands:visit_export": "POST only (a download-centre job)",
    "demands:services": "the menu: links to the order form, no object pages",
    "demands:order_new": "a form",
    "demands:visit_new": "a form",
    "demands:team_new": "a form",
    "demands:teams": "teams and counts: links to the visit list filtered by team",
}

# The menu is reference data shared by every township (the district's services and the partner departments' are
# orderable everywhere): siblings see the same entries (selectors.service_catalogue).
SHARED_LISTS: dict[str, str] = {
    "gonghui_demands_menu_api_service_list": "the service menu: the district's services are orderable everywhere",
}

# Lists whose rows may be routed to a unit off the tree: renshe (人社局) sees exactly the cast objects written out
# for it below, nothing else (tests/test_scope_matrix.py test_unit_lists_show_exactly_what_is_routed_to_the_unit).
UNIT_LISTS: dict[str, str] = {
    "gonghui_demands_api_demand_list": "demands.Demand",
    "demands:queue": "demands.Demand",
    "gonghui_demands_menu_api_order_list": "demands.ServiceOrder",
    "demands:orders": "demands.ServiceOrder",
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
    return [*_menu_objects(cast, dc_point, renshe),
        (photo, {"yuanqiao", "renshe"}),
        (own, {"dongcheng"}), (yq_own, {"yuanqiao"}), (kd_own, {"kuaidi"}),
        (to_renshe, {"yuanqiao", "renshe"}),
        (to_dongcheng, {"yuanqiao", "dongcheng"}),  # a township sees what is routed to its units
    ]


def _menu_objects(cast: Any, dc_point: Any, renshe: Any) -> list[tuple[Any, set[str]]]:
    """Orders (by place, by the providing unit and by its node), teams (by node), visits (by place and by the team's
    node) and a visit's photo."""
    import datetime as dt

    from django.utils import timezone

    from gonghui.core.importing import write_private
    from gonghui.demands.models import CircuitVisit, ServiceItem, ServiceOrder, ServiceTeam, VisitPhoto
    from gonghui.demands.photos import visit_photo_root
    from tests import factories as f

    yq_point = f.service_point(cast.yuanqiao_town)
    legal = ServiceItem.objects.get_or_create(unit=renshe, name="社保政策宣讲（矩阵）")[0]
    talk = ServiceItem.objects.get_or_create(unit=dc_point, name="送教入企（矩阵）")[0]
    yq_talk = ServiceItem.objects.get_or_create(unit=yq_point, name="心理咨询（矩阵）")[0]
    now = timezone.now()

    def order(union: Any, service: Any, title: str) -> ServiceOrder:
        return ServiceOrder.objects.create(number=f"FWM{ServiceOrder.objects.count():05d}{union.pk % 1000:03d}",
                                           service=service, unit=service.unit, union=union, contact_name=title,
                                           contact_phone="13905760000", created_at=now)

    dc_order = order(cast.dc_union, talk, "东城：本辖区订单")
    yq_order = order(cast.yq_union, yq_talk, "院桥：本辖区订单")
    yq_to_renshe = order(cast.yq_union, legal, "院桥：向人社局下单")
    yq_to_dongcheng = order(cast.yq_union, talk, "院桥：向东城站点下单")
    dc_team = ServiceTeam.objects.create(name="东城巡回队（矩阵）", node=cast.dongcheng_town, level="township")
    yq_team = ServiceTeam.objects.create(name="院桥巡回队（矩阵）", node=cast.yuanqiao_town, level="township")
    kd_team = ServiceTeam.objects.create(name="快递巡回队（矩阵）", node=cast.kuaidi_fed, level="community")
    day = timezone.localdate() - dt.timedelta(days=3)
    dc_visit = CircuitVisit.objects.create(team=dc_team, union=cast.dc_union, visit_date=day, status="held",
                                           attendance=30)
    yq_visit = CircuitVisit.objects.create(team=yq_team, union=cast.yq_union, visit_date=day)
    kd_visit = CircuitVisit.objects.create(team=kd_team, union=cast.kd_union, visit_date=day)
    district_team = ServiceTeam.objects.create(name="区级巡回队（矩阵）", node=cast.district, level="district")
    at_dongcheng = CircuitVisit.objects.create(team=district_team, union=cast.dc_union, visit_date=day)
    name = f"{yq_visit.pk}-scope-matrix.png"
    write_private(visit_photo_root() / name, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    photo = VisitPhoto.objects.create(visit=yq_visit, path=name, content_type="image/png", size=72)
    return [
        (dc_order, {"dongcheng"}), (yq_order, {"yuanqiao"}), (yq_to_renshe, {"yuanqiao", "renshe"}),
        (yq_to_dongcheng, {"yuanqiao", "dongcheng"}),  # a township sees what is ordered from its units
        (dc_team, {"dongcheng"}), (yq_team, {"yuanqiao"}), (kd_team, {"kuaidi"}), (district_team, set()),
        (dc_visit, {"dongcheng"}), (yq_visit, {"yuanqiao"}), (kd_visit, {"kuaidi"}),
        (at_dongcheng, {"dongcheng"}),  # the district's team at a 东城 union: 东城 sees the visit
        (photo, {"yuanqiao"}),
    ]
