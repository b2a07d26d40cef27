"""The members app's registrations with the generic scope suite (tests/test_scope_matrix.py)."""

from __future__ import annotations

from typing import Any


def objects(cast: Any) -> list[tuple[Any, set[str]]]:
    from gonghui.members.models import IdentityClaim

    # a 身份核实申请 at 东城's union by its own member: seen by 东城 (and the district)
    claim = IdentityClaim.objects.create(union=cast.dc_union, person=cast.worker, id_index=cast.worker.id_index,
                                         name=cast.worker.name, phone="13600000009")
    return [(claim, {"dongcheng"})]


NO_OBJECT_LINKS = {
    "members:new": "a form (新增会员; the union is chosen with the picker)",
}
