"""Member list → Excel. The ID is masked unless the user holds `export_unmasked` and asks; every export
is written to the audit log (who, how many rows, masked or not, which filters)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gonghui.accounts.permissions import Action
from gonghui.core import crypto
from gonghui.core.audit import audit_access
from gonghui.core.excel import xlsx_bytes
from gonghui.orgs.scope import scope_q

from .models import Person
from .selectors import MemberFilters, member_list

EXPORT_COLUMNS = (("会员卡号", 16), ("姓名", 10), ("身份证号码", 22), ("性别", 6), ("出生日期", 12), ("手机号码", 14),
                  ("所在工会", 30), ("工作单位", 30), ("职业群体", 12), ("政治面貌", 10), ("学历", 10))


def member_export(*, user: Any, filters: MemberFilters, unmasked: bool = False) -> tuple[bytes, int]:
    """The filtered member list as xlsx bytes and its row count. Scope-checked (member_list); an unmasked
    export keeps only the rows on which the user holds `export_unmasked`. Audited."""
    qs = member_list(user=user, filters=filters)
    if unmasked:
        # only the rows the user may export in clear; the caller required export_unmasked somewhere (403)
        clear = scope_q(user, Person, action=Action.EXPORT_UNMASKED, via=("current_union",))
        qs = qs if clear is None else qs.filter(clear)
    n = qs.count()
    audit_access(actor=user, obj=None, model=Person,
                 what=f"导出会员名册{n}条（{'完整身份证号码' if unmasked else '身份证号码已打码'}），条件：{_describe(filters)}")

    def rows() -> Iterator[list[Any]]:
        for p in qs.iterator(chunk_size=2000):
            ident = crypto.decrypt(p.id_cipher) if unmasked else p.id_masked
            yield [p.member_no or "", p.name, ident, p.sex, p.birth_date, p.phone,
                   p.current_union.name if p.current_union else "", p.employer_name, p.get_occupation_display(),
                   p.get_political_display(), p.get_education_display()]

    return xlsx_bytes(EXPORT_COLUMNS, rows(), sheet="会员名册"), n


def _describe(f: MemberFilters) -> str:
    from gonghui.core.identifiers import parse_id_number

    parts = []
    for key, value in vars(f).items():
        if value in ("", None):
            continue
        if key == "q":  # a searched ID number never lands in the log in clear
            try:
                value = parse_id_number(value).masked
            except ValueError:
                pass
        parts.append(f"{key}={value}")
    return "；".join(parts) or "全部"
