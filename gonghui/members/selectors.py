"""Every read of members starts from `visible_to(user)`; one filter definition serves console and API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from gonghui.core import crypto
from gonghui.core.identifiers import parse_id_number
from gonghui.orgs.models import Union

from .models import Membership, MembershipEvent, Person, TransferRequest


@dataclass(frozen=True)
class MemberFilters:
    q: str = ""  # a name, a mobile number, or a full ID number in any accepted spelling
    union: int | None = None  # a union id: members of that union's subtree
    occupation: str = ""
    political: str = ""
    joined_from: dt.date | None = None
    joined_to: dt.date | None = None
    enterprise: int | None = None


def _q_filter(q: str) -> Q:
    text = q.strip()
    try:
        ident = parse_id_number(text)
    except ValueError:
        ident = None
    if ident is not None:
        return Q(id_index=crypto.blind_index(ident.number))
    digits = text.replace(" ", "")
    if digits.isdigit() and len(digits) == 11:
        return Q(phone=digits)
    return Q(name__startswith=text) if len(text) == 1 else Q(name__contains=text)


def member_list(*, user: Any, filters: MemberFilters | None = None) -> QuerySet[Person]:
    """Members (people with an open membership) `user` may see, filtered. Scope-checked; ID never in clear."""
    f = filters or MemberFilters()
    qs = Person.objects.visible_to(user).filter(current_union__isnull=False)
    if f.q.strip():
        qs = qs.filter(_q_filter(f.q))
    if f.union:
        node = Union.objects.visible_to(user).filter(pk=f.union).first()
        if node is None:
            return qs.none()
        qs = qs.filter(current_union__in=Union.objects.filter(path__startswith=node.path).values("pk"))
    if f.occupation:
        qs = qs.filter(occupation=f.occupation)
    if f.political:
        qs = qs.filter(political=f.political)
    if f.enterprise:
        qs = qs.filter(employer_id=f.enterprise)
    if f.joined_from or f.joined_to:
        open_m = Membership.objects.filter(status__in=Membership.OPEN)
        if f.joined_from:
            open_m = open_m.filter(joined_on__gte=f.joined_from)
        if f.joined_to:
            open_m = open_m.filter(joined_on__lte=f.joined_to)
        qs = qs.filter(pk__in=open_m.values("person_id"))
    return qs.select_related("current_union", "employer").order_by("-pk")


def member_history(*, user: Any, person: Person) -> QuerySet[MembershipEvent]:
    """The whole membership history of a person the user may see (all unions, all events)."""
    return MembershipEvent.objects.filter(person=person).select_related("union", "actor").order_by("created_at", "pk")


def open_membership(*, person: Person) -> Membership | None:
    return (
        Membership.objects.filter(person=person, status__in=Membership.OPEN).select_related("union").first()
    )


def transfer_inbox(*, user: Any) -> QuerySet[TransferRequest]:
    """Pending transfers that leave or enter the user's subtree."""
    return (
        TransferRequest.objects.visible_to(user)
        .filter(status=TransferRequest.Status.PENDING)
        .select_related("person", "from_union", "to_union")
        .order_by("due_at")
    )


def pending_joins(*, user: Any) -> QuerySet[Membership]:
    return (
        Membership.objects.visible_to(user)
        .filter(status=Membership.Status.PENDING)
        .select_related("person", "union")
        .order_by("created_at")
    )
