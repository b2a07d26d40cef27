"""身份核实申请 (issue 9 §1, "or the chair's approval"): a registered worker whose registered mobile is dead asks the
union's chair to verify them in person. The answer is the same whatever the name; only a cadre who may approve in
the union AND in the person's current union approves; the registered mobile then changes and the worker completes
the join with a code sent to the new number."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gonghui.members import sms
from gonghui.members.models import IdentityClaim, Membership, Person

from .test_join_identity import ATTACKER_PHONE, ELEME, VICTIM_PHONE, code_in, form, ident, union

pytestmark = pytest.mark.django_db
NEW_PHONE = "13655550003"


@pytest.fixture(autouse=True)
def outbox(settings: Any) -> list[sms.SentSms]:
    settings.GONGHUI_SMS_BACKEND = "gonghui.members.sms.LocmemSmsBackend"
    sms.outbox.clear()
    return sms.outbox


def _registered(n: int) -> Person:
    Client().post(f"/join/{union(ELEME).code}/", form(n))
    return Person.objects.get(id_masked__endswith=ident(n)[-4:], name="吴晓梅")


def _ask(n: int, **over: Any) -> tuple[Client, str]:
    worker = Client()
    u = union(ELEME)
    step = worker.post(f"/join/{u.code}/", form(n, phone=NEW_PHONE, **over))["Location"]
    page = worker.post(step, {"action": "ask_chair", "phone": NEW_PHONE})
    assert page.status_code == 200
    return worker, page.content.decode()


def test_the_chair_verifies_a_worker_whose_registered_mobile_is_dead(client_as: Any, outbox: list[sms.SentSms]
                                                                     ) -> None:
    # given a member whose registered mobile no longer works
    person = _registered(101)
    outbox.clear()
    # when she scans again with her new phone — the code goes to the dead number — and asks the chair instead
    worker, page = _ask(101)
    assert [m.phone for m in outbox] == [VICTIM_PHONE]
    outbox.clear()
    assert 'data-testid="claim-filed"' in page and person.member_no not in page
    claim = IdentityClaim.objects.get(person=person)
    assert claim.status == "pending" and claim.phone == NEW_PHONE
    # then 东城 (who approves joins there) sees it beside the pending joins, and approves after the ID check
    dongcheng = client_as("dongcheng")
    listed = dongcheng.get(reverse("members:approvals")).content.decode()
    assert 'data-testid="identity-claim"' in listed and "136****0003" in listed and NEW_PHONE not in listed
    dongcheng.post(reverse("members:identity_claim_decide", args=[claim.pk]), {"approve": "1", "reason": "已当面核验"})
    person.refresh_from_db()
    claim.refresh_from_db()
    assert claim.status == "approved" and person.phone == NEW_PHONE
    assert [m.phone for m in outbox] == [NEW_PHONE] and "已核实" in outbox[0].text
    # and scanning again now sends the code to the new phone, which completes the join
    outbox.clear()
    u = union(ELEME)
    step = worker.post(f"/join/{u.code}/", form(101, phone=NEW_PHONE))["Location"]
    assert [m.phone for m in outbox] == [NEW_PHONE]
    done = worker.post(step, {"action": "code", "code": code_in(outbox[0])})
    assert done.status_code == 302 and worker.get(reverse("join:card")).status_code == 200


def test_the_answer_is_the_same_whatever_the_name_and_a_mismatch_cannot_be_approved(client_as: Any) -> None:
    _registered(102)
    _, right = _ask(102)
    _, wrong_name = _ask(102, name="王小明")
    strip = lambda html: html.replace("csrfmiddlewaretoken", "")  # noqa: E731
    assert 'data-testid="claim-filed"' in wrong_name
    assert len(strip(right)) - len(strip(wrong_name)) in range(-80, 81)  # only the token differs
    claim = IdentityClaim.objects.get(id_index=Person.objects.get(name="吴晓梅", id_masked__endswith=ident(102)[-4:])
                                      .id_index)
    assert claim.person is None and claim.name == "王小明"  # the second filing replaced the first
    dongcheng = client_as("dongcheng")
    dongcheng.post(reverse("members:identity_claim_decide", args=[claim.pk]), {"approve": "1"})
    claim.refresh_from_db()
    assert claim.status == "pending"  # refused with a message: the name does not match
    assert Person.objects.filter(phone=NEW_PHONE).count() == 0


def test_only_the_chairs_of_both_unions_may_approve(client_as: Any, cast: Any) -> None:
    # given a claim filed at 东城's union by a member of 院桥's union
    person = cast.yq_member
    claim = IdentityClaim.objects.create(union=union(ELEME), person=person, id_index=person.id_index,
                                         name=person.name, phone=ATTACKER_PHONE)
    # when 东城 (approve at the union filed at, not at the member's own) tries, it is refused
    assert client_as("dongcheng").post(reverse("members:identity_claim_decide", args=[claim.pk]),
                                       {"approve": "1"}).status_code == 403
    person.refresh_from_db()
    assert person.phone != ATTACKER_PHONE
    # 院桥 does not even see a claim filed at 东城's union; chakan sees it but may not decide
    assert client_as("yuanqiao").post(reverse("members:identity_claim_decide", args=[claim.pk]),
                                      {"approve": "1"}).status_code == 404
    assert client_as("chakan").post(reverse("members:identity_claim_decide", args=[claim.pk]),
                                    {"approve": "0"}).status_code == 403
    # the district holds approve over both: it may
    client_as("huangyan").post(reverse("members:identity_claim_decide", args=[claim.pk]), {"approve": "1"})
    person.refresh_from_db()
    assert person.phone == ATTACKER_PHONE and Membership.objects.filter(person=person, status="active").exists()
