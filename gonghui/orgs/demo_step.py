from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import get_user_model

from gonghui.accounts.models import Role, RoleAssignment, Unit

from .demo import build_demo
from .models import Union

DEMO_PASSWORD = "demo12345"
DEMO_USERS = (
    ("huangyan", "黄岩区总工会管理员", Role.DISTRICT_ADMIN, "台州市黄岩区总工会"),
    ("dongcheng", "东城街道总工会管理员", Role.TOWNSHIP_ADMIN, "东城街道总工会"),
    ("yuanqiao", "院桥镇总工会管理员", Role.TOWNSHIP_ADMIN, "院桥镇总工会"),
    ("kuaidi", "快递行业工会联合会主席", Role.UNION_ADMIN, "快递行业工会联合会"),
    ("chakan", "区总工会只读查看员", Role.READONLY, "台州市黄岩区总工会"),
)
# Assignments on units off the tree: (username, display name, role, unit name, unit kind).
DEMO_UNIT_USERS = (
    ("renshe", "区人社局经办人", Role.DEPARTMENT, "台州市黄岩区人力资源和社会保障局", Unit.Kind.DEPARTMENT),
)
DEMO_UNITS = (
    ("台州市黄岩区人力资源和社会保障局", Unit.Kind.DEPARTMENT),
    ("台州市黄岩区司法局", Unit.Kind.DEPARTMENT),
    ("浙江黄岩农村商业银行", Unit.Kind.BANK),
)


def _demo_user(username: str, display: str) -> Any:
    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"display_name": display})
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def run(*, scale: str, stdout: Any) -> None:
    """The district's unions and enterprises (skipped when already there) and the four demo users."""
    if Union.objects.filter(depth=1, name="台州市黄岩区总工会").exists():
        stdout.write("组织与企业：已存在，跳过")
    else:
        t = time.perf_counter()
        counts = build_demo(scale_name=scale)
        stdout.write(
            f"组织与企业：工会 {counts['unions']}，企业 {counts['enterprises']}，覆盖关系 {counts['coverages']}"
            f"（{time.perf_counter() - t:.1f} 秒）"
        )
    for username, display, role, union_name in DEMO_USERS:
        user = _demo_user(username, display)
        RoleAssignment.objects.get_or_create(user=user, role=role, union=Union.objects.get(name=union_name))
    for name, kind in DEMO_UNITS:
        Unit.objects.get_or_create(name=name, defaults={"kind": kind})
    for username, display, role, unit_name, _kind in DEMO_UNIT_USERS:
        user = _demo_user(username, display)
        RoleAssignment.objects.get_or_create(user=user, role=role, unit=Unit.objects.get(name=unit_name))
    names = " / ".join(u[0] for u in (*DEMO_USERS, *DEMO_UNIT_USERS))
    stdout.write(f"演示账号：{names}（密码 demo12345）")
