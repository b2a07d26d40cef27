"""Applying a classified list writes it in bounded batches: a large list goes to the worker with progress on the
list, and an apply that stops half-way resumes where it stopped and counts every row once."""

from __future__ import annotations

from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from gonghui.campaigns import services, tasks
from gonghui.campaigns.models import CampaignFirm, SourceList
from gonghui.campaigns.services import lists
from gonghui.core.identifiers import make_uscc
from gonghui.orgs.models import Enterprise

from .helpers import csv_bytes, make_campaign, upload

pytestmark = pytest.mark.django_db


def _new_firms(n: int) -> list[list[Any]]:
    return [[f"台州市黄岩东城第{i}号新兴科技有限公司", make_uscc(f"91331003MA2K{i:05d}"), f"东城街道新村路{i}号", 30, "东城街道"]
            for i in range(n)]


def test_a_large_list_is_applied_by_the_worker_in_batches_with_progress(cast: Any, client_as: Any,
                                                                       monkeypatch: Any) -> None:
    # given a list of 9 new firms, batches of 2, and more than 4 rows left to the worker
    monkeypatch.setattr(lists, "APPLY_BATCH", 2)
    monkeypatch.setattr(lists, "INLINE_APPLY_ROWS", 4)
    campaign = make_campaign(cast.huangyan, cast.district)
    sl = upload(cast.huangyan, campaign, csv_bytes(_new_firms(9)))
    assert sl.counts["new"] == 9
    c = client_as("huangyan")
    # when the cadre applies it, the page answers at once and shows the progress
    r = c.post(f"/campaigns/{campaign.pk}/lists/{sl.pk}/", follow=True)
    assert "正在后台应用" in r.content.decode() and 'data-testid="list-progress"' in r.content.decode()
    sl.refresh_from_db()
    assert sl.status == SourceList.Status.APPLYING and not CampaignFirm.objects.filter(campaign=campaign).exists()
    assert c.post(f"/api/v1/campaigns/{campaign.pk}/lists/{sl.pk}/apply").status_code == 409  # one apply at a time
    # then the worker applies it (the task it was given, run here: the worker process would close the test database)
    queued = DBTaskResult.objects.get(task_path="gonghui.campaigns.tasks.apply_list", status="READY")
    assert queued.args_kwargs["args"] == [sl.pk]
    tasks.apply_list.call(*queued.args_kwargs["args"])
    sl.refresh_from_db()
    assert (sl.status, sl.progress, sl.movement["created"]) == (SourceList.Status.APPLIED, 1.0, 9)
    assert CampaignFirm.objects.filter(campaign=campaign).count() == 9
    assert Enterprise.objects.filter(name__contains="新兴科技", listed_on=sl.as_of).count() == 9


def test_an_interrupted_apply_resumes_and_counts_each_row_once(cast: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(lists, "APPLY_BATCH", 3)
    campaign = make_campaign(cast.huangyan, cast.district)
    sl = upload(cast.huangyan, campaign, csv_bytes(_new_firms(8)))
    real = lists._apply_rows
    calls = {"n": 0}

    def failing_second_batch(*args: Any, **kwargs: Any) -> dict[str, int]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(lists, "_apply_rows", failing_second_batch)
    with pytest.raises(RuntimeError):
        services.list_apply(actor=cast.huangyan, source_list=sl)
    sl.refresh_from_db()
    # the first batch stays written, the list is classified again and says so
    assert sl.status == SourceList.Status.CLASSIFIED and "重新" in sl.detail
    assert CampaignFirm.objects.filter(campaign=campaign).count() == 3 and sl.movement["created"] == 3
    moved = services.list_apply(actor=cast.huangyan, source_list=sl)
    assert moved is not None and moved["created"] == 8
    sl.refresh_from_db()
    assert sl.status == SourceList.Status.APPLIED
    assert CampaignFirm.objects.filter(campaign=campaign).count() == 8
    assert Enterprise.objects.filter(name__contains="新兴科技", listed_on=sl.as_of).count() == 8
