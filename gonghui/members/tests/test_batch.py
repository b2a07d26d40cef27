"""Batch approval from the member list (状态 = 待审核): ticked applicants decided one by one through join_decide,
only where the user holds `approve`; a reject needs a reason; readers cannot."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from gonghui.members.models import Membership, Person
from tests import factories as f


def _applicant(union: Any, name: str) -> Person:
    p = f.PersonFactory(name=name, current_union=union)
    f.MembershipFactory(person=p, union=union, status=Membership.Status.PENDING)
    return p


def _status(p: Person) -> str:
    return Membership.objects.filter(person=p).latest("pk").status


def test_batch_approve_decides_only_what_the_user_may_approve(cast: Any, client_as: Any) -> None:
    # given two applicants of dc_union, one of dc_union2 and one in 院桥
    a, b = _applicant(cast.dc_union, "孙丽"), _applicant(cast.dc_union, "周强")
    c2, yq = _applicant(cast.dc_union2, "吴芳"), _applicant(cast.yq_union, "郑军")
    # when the mixed user (只读 over 东城, admin of dc_union) ticks all four and approves
    r = client_as("mixed").post(reverse("members:join_batch"), {
        "ids": [a.pk, b.pk, c2.pk, yq.pk], "approve": "1", "back": "status=pending&sort=name"})
    # then only dc_union's two are members; the others wait, and he is told so; he goes back to his list
    assert r.status_code == 302 and r["Location"] == reverse("members:list") + "?status=pending&sort=name"
    assert [_status(p) for p in (a, b, c2, yq)] == ["active", "active", "pending", "pending"]
    msgs = [str(m) for m in r.wsgi_request._messages]
    assert msgs == ["已审核通过 2 人的入会申请；2 人未处理（已处理、不在待审核中或不属您审批）"]


def test_batch_reject_needs_a_reason_and_readers_cannot(cast: Any, client_as: Any) -> None:
    a = _applicant(cast.dc_union, "孙丽")
    c = client_as("dongcheng")
    c.post(reverse("members:join_batch"), {"ids": [a.pk], "approve": "0", "reject_reason": ""})
    assert _status(a) == "pending"
    assert client_as("chakan").post(reverse("members:join_batch"), {"ids": [a.pk], "approve": "1"}).status_code == 403
    assert _status(a) == "pending"
    c = client_as("dongcheng")
    c.post(reverse("members:join_batch"), {"ids": [a.pk], "approve": "0", "reject_reason": "非本单位职工"})
    assert _status(a) == "rejected"


def test_member_list_offers_the_batch_to_approvers_on_the_applicants_only(cast: Any, client_as: Any) -> None:
    _applicant(cast.dc_union, "孙丽")
    html = client_as("dongcheng").get(reverse("members:list"), {"status": "pending"}).content.decode()
    assert 'data-testid="batch-approve"' in html and 'name="ids"' in html and 'data-gh-check-all="ids"' in html
    assert '<input type="hidden" name="status" value="pending">' in html  # the filters ride along
    members = client_as("dongcheng").get(reverse("members:list")).content.decode()
    assert 'data-testid="batch-approve"' not in members and 'data-testid="batch-export"' in members
    reader = client_as("chakan").get(reverse("members:list"), {"status": "pending"}).content.decode()
    assert 'data-testid="batch-approve"' not in reader and 'data-testid="batch-export"' in reader


def test_export_the_ticked_rows_only_and_only_in_scope(cast: Any, client_as: Any) -> None:
    import io

    from auditlog.models import LogEntry
    from openpyxl import load_workbook

    extra = f.member(union=cast.dc_union, name="钱多多")
    # when dongcheng ticks two of his members and one of 院桥 (a forged id) and exports the selection
    r = client_as("dongcheng").post(reverse("members:export"), {"ids": [cast.worker.pk, extra.pk, cast.yq_member.pk]})
    # then the workbook holds his two, masked, and nothing of 院桥
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    head = next(i for i, row in enumerate(rows) if "姓名" in row)
    name, ident = rows[head].index("姓名"), rows[head].index("身份证号码")
    body = [row for row in rows[head + 1:] if row and row[name]]
    assert {row[name] for row in body} == {"王建国", "钱多多"}
    assert all("*" in str(row[ident]) for row in body)
    entry = LogEntry.objects.filter(actor=cast.dongcheng).order_by("-pk").first()
    assert entry is not None and "勾选的 3 人" in str(entry.additional_data or entry.changes or "")
    # a selection beyond a page is refused, nothing exported
    r = client_as("dongcheng").post(reverse("members:export"), {"ids": [str(i) for i in range(1, 103)]})
    assert r.status_code == 400 and "一次最多导出所勾选的 100 人" in r.content.decode()
