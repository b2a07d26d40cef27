"""Overdue transfers complete on a clock (run_periodic → the worker), as the system — never because a cadre
opened a page, and one that cannot complete does not stop the others."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

from auditlog.models import LogEntry
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from gonghui.core.schedule import PERIODIC
from gonghui.members.models import Membership, TransferRequest
from gonghui.orgs.models import Union


def _overdue(n: int) -> list[TransferRequest]:
    pending = list(TransferRequest.objects.filter(status="pending").order_by("pk")[:n])
    assert len(pending) == n, "the demo holds pending transfers"
    TransferRequest.objects.filter(pk__in=[t.pk for t in pending]).update(
        due_at=timezone.now() - dt.timedelta(minutes=1))
    return pending


def test_opening_the_inbox_completes_nothing(db: Any, client_as: Any) -> None:
    # given an overdue transfer
    (t,) = _overdue(1)
    # when the district admin opens the transfer inbox
    r = client_as("huangyan").get(reverse("members:transfers"))
    # then the page shows, and the transfer is still pending: a GET writes nothing
    assert r.status_code == 200
    t.refresh_from_db()
    assert t.status == "pending"


def test_the_scheduler_completes_overdue_transfers_as_the_system(settings: Any, huangyan: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    cache.delete("gonghui:periodic:complete_due_transfers")
    assert any(j.name == "complete_due_transfers" for j in PERIODIC)
    # given an overdue transfer
    (t,) = _overdue(1)
    since = timezone.now()
    # when the scheduler runs once
    out = StringIO()
    call_command("run_periodic", "--once", stdout=out)
    # then the transfer completed automatically, and its audit entries name no user
    t.refresh_from_db()
    assert t.status == "auto"
    assert "complete_due_transfers" in out.getvalue()
    entries = LogEntry.objects.filter(timestamp__gte=since, content_type__model__in=["transferrequest", "membership"])
    assert entries.exists() and not entries.exclude(actor__isnull=True).exists()
    # and a second run within the period enqueues nothing again
    again = StringIO()
    call_command("run_periodic", "--once", stdout=again)
    assert "complete_due_transfers" not in again.getvalue()


def test_one_transfer_that_cannot_complete_does_not_stop_the_rest(db: Any) -> None:
    from gonghui.members.services import transfer_complete_due

    # given two overdue transfers, the first of whose people has meanwhile been given another open membership
    first, second = _overdue(2)
    old = Membership.objects.get(pk=first.from_membership_id)
    Membership.objects.filter(pk=old.pk).update(status="left")
    elsewhere = Union.objects.exclude(pk__in=[first.to_union_id, old.union_id]).filter(kind="single").first()
    Membership.objects.create(person=first.person, union=elsewhere, status="active", joined_on=timezone.localdate())
    # when the due transfers are completed
    done = transfer_complete_due()
    # then the second completed, the first stayed pending (its IntegrityError rolled back alone)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, done) == ("pending", "auto", 1)
