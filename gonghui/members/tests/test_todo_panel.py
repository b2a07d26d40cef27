"""The to-do panel counts the imports waiting on the one import path (orgs.ImportJob), for every kind, in scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from gonghui.members.panels import todo_context
from gonghui.orgs.models import ImportJob, Union


def _imports(ctx: dict[str, Any]) -> dict[str, Any]:
    return next(i for i in ctx["items"] if i["key"] == "imports")


def test_imports_to_confirm_come_from_the_one_import_path(dongcheng: Any, yuanqiao: Any) -> None:
    # given a checked roster waiting in 东城
    union = Union.objects.get(name="东城街道总工会")
    job = ImportJob.objects.create(kind="members", union=union, folder="/nonexistent", file_name="upload",
                                   original_name="名册.xlsx", status=ImportJob.Status.CHECKED)
    # then dongcheng's to-do shows it and links to its page; yuanqiao's does not
    mine = _imports(todo_context(dongcheng))
    assert mine["n"] == 1 and mine["url"] == reverse("members:import_job", args=[job.pk])
    assert _imports(todo_context(yuanqiao))["n"] == 0
    # and a registry import waiting too makes two, linking to the imports' page
    ImportJob.objects.create(kind="enterprises", union=union, folder="/nonexistent", file_name="upload",
                             original_name="企业.xlsx", status=ImportJob.Status.CHECKED)
    assert _imports(todo_context(dongcheng))["n"] == 2


def _counts(user: Any) -> dict[str, int]:
    return {i["key"]: i["n"] for i in todo_context(user)["items"]}


def test_todo_counts_what_the_user_may_act_on_not_what_they_see(cast: Any) -> None:
    # given, in 东城: a join application waiting in dc_union, a transfer out of dc_union into 院桥 and a checked import
    from django.utils import timezone

    from gonghui.members import selectors
    from gonghui.members.models import Membership, TransferRequest
    from tests import factories as f

    applicant = f.PersonFactory(name="孙丽", current_union=cast.dc_union)
    f.MembershipFactory(person=applicant, union=cast.dc_union, status=Membership.Status.PENDING)
    other = f.PersonFactory(name="周强", current_union=cast.dc_union2)
    f.MembershipFactory(person=other, union=cast.dc_union2, status=Membership.Status.PENDING)
    TransferRequest.objects.create(
        person=cast.worker, from_membership=Membership.objects.get(person=cast.worker), from_union=cast.dc_union,
        to_union=cast.yq_union, due_at=timezone.now() + dt.timedelta(days=7))
    ImportJob.objects.create(kind="members", union=cast.dc_union, folder="/nonexistent", file_name="upload",
                             original_name="名册.xlsx", status=ImportJob.Status.CHECKED)
    # then the readers see all of it (view) ...
    assert selectors.pending_joins(user=cast.chakan).filter(person=applicant).exists()
    assert selectors.transfer_inbox(user=cast.chakan).filter(person=cast.worker).exists()
    # ... but 只读 and 部门经办人 have nothing to do
    for reader in (cast.chakan, cast.renshe):
        ctx = todo_context(reader)
        assert ctx["total"] == 0, (reader.username, _counts(reader))
    # while the district and the township see theirs: dongcheng decides the join and the transfer out ...
    dc = _counts(cast.dongcheng)
    assert dc["joins"] >= 1 and dc["transfers_out"] >= 1 and dc["imports"] >= 1
    assert dc["joins"] == selectors.pending_joins(user=cast.dongcheng).count()  # a writer over all he sees
    hy = _counts(cast.huangyan)
    assert hy["joins"] >= dc["joins"] and hy["transfers_out"] >= dc["transfers_out"] and hy["imports"] >= 1
    # ... and 院桥, the destination, waits on the transfer in (not out: it is 东城's to decide)
    yq = _counts(cast.yuanqiao)
    assert yq["transfers_in"] >= 1
    # the mixed user (只读 over 东城, admin of dc_union) counts the applications of dc_union only
    mixed = _counts(cast.mixed)
    assert mixed["joins"] == Membership.objects.filter(status="pending", union=cast.dc_union).count()
    assert mixed["joins"] < selectors.pending_joins(user=cast.mixed).count()  # he sees dc_union2's applicant too


def test_the_panels_member_count_is_the_member_lists_count(cast: Any) -> None:
    """member_count counts by subtraction (fast at city scale); it must equal the list it links to, with pending
    applicants (apart from members), retained members and people who left all present."""
    from gonghui.members.models import Membership
    from gonghui.members.selectors import MemberFilters, member_count, member_list
    from tests import factories as f

    applicant = f.PersonFactory(current_union=cast.dc_union)
    f.MembershipFactory(person=applicant, union=cast.dc_union, status=Membership.Status.PENDING)
    retained = f.PersonFactory(current_union=cast.yq_union)
    f.MembershipFactory(person=retained, union=cast.yq_union, status=Membership.Status.RETAINED)
    for user in (cast.huangyan, cast.dongcheng, cast.yuanqiao, cast.kuaidi, cast.chakan):
        assert member_count(user=user) == member_list(user=user).count(), user.username
        assert applicant not in member_list(user=user)
    assert member_list(user=cast.dongcheng, filters=MemberFilters(status="pending")).filter(pk=applicant.pk).exists()
