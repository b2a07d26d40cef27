"""新增会员 one at a time, and a reason (with a confirmation on the page) for every reject, revoke or removal: given
the cast, when a cadre adds a member or rejects something, then the services' rules hold whatever the browser sent."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from gonghui.core import crypto
from gonghui.core.identifiers import make_id_number
from gonghui.members import services
from gonghui.members.models import IdentityClaim, Membership, MembershipEvent, Person, TransferRequest
from tests import factories as f

pytestmark = pytest.mark.django_db

NEW_ID = make_id_number("331003", dt.date(1990, 5, 17), 371)


def _form(cast, **over):
    data = {"name": "周晓梅", "id_number": NEW_ID, "phone": "13905761234", "union": cast.dc_union.pk,
            "employer": cast.dc_firm.name, "occupation": "其他", "joined_on": "2026/11/30"}
    data.update(over)
    return data


# ---------------------------------------------------------------- services


def test_member_add_requires_change_on_the_union(cast):
    for actor, union in ((cast.yuanqiao, cast.dc_union), (cast.chakan, cast.dc_union), (cast.mixed, cast.dc_union2)):
        with pytest.raises(PermissionDenied):
            services.member_add(actor=actor, union=union, name="周晓梅", id_number=NEW_ID, phone="13905761234")


def test_member_add_names_every_bad_field_at_once(cast):
    with pytest.raises(ValidationError) as exc:
        services.member_add(actor=cast.dongcheng, union=cast.dc_union, name="", id_number="33100319900517371X",
                            phone="1234", joined_on=timezone.localdate() + dt.timedelta(days=1))
    assert set(exc.value.message_dict) == {"name", "id_number", "phone", "joined_on"}


def test_member_add_joins_through_member_join_and_is_audited(cast):
    result = services.member_add(actor=cast.dongcheng, union=cast.dc_union, name="周晓梅", id_number=NEW_ID,
                                 phone="13905761234", employer_text=cast.dc_firm.name, joined_on=dt.date(2026, 11, 30))
    person = result.person
    assert result.outcome == "created" and person.employer_id == cast.dc_firm.pk and person.member_no
    m = Membership.objects.get(person=person)
    assert m.source == Membership.Source.MANUAL and m.status == Membership.Status.ACTIVE
    assert m.joined_on == dt.date(2026, 11, 30)
    assert person.events.get().kind == MembershipEvent.Kind.JOIN
    assert LogEntry.objects.get_for_object(person).filter(actor=cast.dongcheng).exists()


def test_member_add_of_a_known_id_writes_nothing_and_says_who(cast):
    number = crypto.decrypt(cast.yq_member.id_cipher)
    before = (Person.objects.count(), Membership.objects.count(), TransferRequest.objects.count())
    with pytest.raises(services.MemberExists) as exc:
        services.member_add(actor=cast.dongcheng, union=cast.dc_union, name="李秀英", id_number=number,
                            phone="13905761234")
    assert exc.value.person.pk == cast.yq_member.pk
    assert (Person.objects.count(), Membership.objects.count(), TransferRequest.objects.count()) == before
    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_pk=str(cast.yq_member.pk)).latest("pk")
    assert "已登记" in entry.changes["访问"] and entry.actor == cast.dongcheng


@pytest.mark.parametrize("reason", ["", " ", "x"])
def test_rejects_need_a_reason_in_the_service(cast, reason):
    pending = f.MembershipFactory(person=f.PersonFactory(), union=cast.dc_union, status=Membership.Status.PENDING)
    with pytest.raises(ValidationError, match="原因"):
        services.join_decide(actor=cast.dongcheng, membership=pending, approve=False, reason=reason)
    pending.refresh_from_db()
    assert pending.status == Membership.Status.PENDING
    t = services.transfer_request(actor=cast.yuanqiao, person=cast.worker, to_union=cast.yq_union)
    with pytest.raises(ValidationError, match="原因"):
        services.transfer_decide(actor=cast.dongcheng, transfer=t, approve=False, reason=reason)
    t.refresh_from_db()
    assert t.status == TransferRequest.Status.PENDING
    claim = IdentityClaim.objects.create(union=cast.dc_union, person=cast.worker, id_index=cast.worker.id_index,
                                         name=cast.worker.name, phone="13600000009")
    with pytest.raises(ValidationError, match="原因"):
        services.identity_claim_decide(actor=cast.dongcheng, claim=claim, approve=False, reason=reason)
    membership = Membership.objects.get(person=cast.worker, status=Membership.Status.ACTIVE)
    with pytest.raises(ValidationError, match="原因"):
        services.membership_change(actor=cast.dongcheng, membership=membership, kind=MembershipEvent.Kind.EXPEL,
                                   reason=reason)


def test_unmasked_export_needs_a_reason_in_the_service(cast):
    from gonghui.members import exports
    from gonghui.members.selectors import MemberFilters

    with pytest.raises(ValidationError, match="原因"):
        exports.member_export(user=cast.huangyan, filters=MemberFilters(), unmasked=True, reason="")


def test_a_rejected_transfer_keeps_its_reason(cast):
    t = services.transfer_request(actor=cast.yuanqiao, person=cast.worker, to_union=cast.yq_union, reason="工作调动")
    services.transfer_decide(actor=cast.dongcheng, transfer=t, approve=False, reason="劳动合同未解除")
    t.refresh_from_db()
    assert t.status == TransferRequest.Status.REJECTED and "劳动合同未解除" in t.reason


# ---------------------------------------------------------------- views


def test_member_new_shows_every_error_then_saves(client_as, cast):
    c = client_as("dongcheng")
    r = c.post(reverse("members:new"), _form(cast, name="", id_number="123", phone="99", joined_on="2026-02-30"))
    assert r.status_code == 400
    html = r.content.decode()
    for name in ("name", "id_number", "phone", "joined_on"):
        assert f'aria-describedby="id_{name}_error"' in html, name
    r = c.post(reverse("members:new"), _form(cast))
    person = Person.objects.get(name="周晓梅")
    assert r.status_code == 302 and r["Location"] == reverse("members:detail", args=[person.pk])


def test_member_new_existing_links_when_visible_only(client_as, cast):
    r = client_as("dongcheng").post(reverse("members:new"), _form(cast, id_number=crypto.decrypt(cast.worker.id_cipher),
                                                                  name=cast.worker.name))
    assert r.status_code == 400
    assert reverse("members:detail", args=[cast.worker.pk]).encode() in r.content
    r = client_as("dongcheng").post(reverse("members:new"), _form(
        cast, id_number=crypto.decrypt(cast.yq_member.id_cipher), name=cast.yq_member.name))
    assert r.status_code == 400
    html = r.content.decode()
    assert "该身份证号码已登记" in html and "不在您的管辖范围" in html
    assert reverse("members:detail", args=[cast.yq_member.pk]) not in html


def test_member_new_button_and_crafted_posts(client_as, cast):
    assert b'data-testid="member-new"' in client_as("dongcheng").get(reverse("members:list")).content
    chakan = client_as("chakan")
    assert b'data-testid="member-new"' not in chakan.get(reverse("members:list")).content
    assert chakan.post(reverse("members:new"), _form(cast)).status_code == 403
    # a union outside the cadre's change scope is refused like a bad choice
    r = client_as("yuanqiao").post(reverse("members:new"), _form(cast))
    assert r.status_code == 400 and not Person.objects.filter(name="周晓梅").exists()


def test_transfer_reject_without_reason_is_refused_with_a_message(client_as, cast):
    t = services.transfer_request(actor=cast.yuanqiao, person=cast.worker, to_union=cast.yq_union)
    c = client_as("dongcheng")
    r = c.post(reverse("members:transfer_decide", args=[t.pk]), {"approve": "0", "reason": ""}, follow=True)
    assert "拒绝转会申请须填写原因" in r.content.decode()
    t.refresh_from_db()
    assert t.status == TransferRequest.Status.PENDING
    page = c.get(reverse("members:transfers")).content.decode()
    assert 'data-testid="transfer-reject"' in page and "required" in page and "data-confirm" in page


def test_member_new_query_count_is_pinned(client_as, cast, django_assert_max_num_queries):
    c = client_as("dongcheng")
    c.get(reverse("members:new"))
    with django_assert_max_num_queries(5):
        assert c.get(reverse("members:new")).status_code == 200


def test_decision_pages_keep_their_query_counts(client_as, cast, django_assert_max_num_queries):
    services.transfer_request(actor=cast.yuanqiao, person=cast.worker, to_union=cast.yq_union)
    f.MembershipFactory(person=f.PersonFactory(), union=cast.dc_union, status=Membership.Status.PENDING)
    c = client_as("dongcheng")
    c.get(reverse("members:list"))
    for url, n in ((reverse("members:transfers"), 9), (reverse("members:approvals"), 7), (reverse("members:list"), 8)):
        with django_assert_max_num_queries(n):
            assert c.get(url).status_code == 200
