"""Console pages: query counts pinned on the rows, review and firm pages; the dashboard, the quarterly summary and
the 工作台 panel read through scope."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from docx import Document

from gonghui.campaigns.models import CampaignFirm, ListRow, SourceList
from tests import factories as f

from .helpers import make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(cast: Any) -> Any:
    campaign = make_campaign(cast.huangyan, cast.district)
    sl = SourceList.objects.create(campaign=campaign, source="social_security", as_of=dt.date(2026, 10, 31),
                                   status=SourceList.Status.CLASSIFIED, original_name="x.csv")
    for i in range(30):
        town = cast.dongcheng_town if i % 2 else cast.yuanqiao_town
        ent = f.EnterpriseFactory(territory=town, headcount=10 + i)
        match = ("review", "uncovered", "new")[i % 3]
        ListRow.objects.create(source_list=sl, campaign=campaign, row=i + 1, name=ent.name, match=match,
                               enterprise=ent if match == "uncovered" else None,
                               candidate=ent if match == "review" else None, township=town, score=0.6)
        CampaignFirm.objects.create(campaign=campaign, enterprise=ent, township=town, match="uncovered",
                                    added_on=dt.date(2026, 10, 31))
    return campaign, sl


@pytest.mark.parametrize("path", ["lists/{sl}/", "lists/{sl}/review/", "firms/", "tasks/", "bulletin/", "dashboard/"])
def test_pages_have_pinned_query_counts(path: str, many: Any, client_as: Any, django_assert_max_num_queries: Any
                                        ) -> None:
    campaign, sl = many
    c = client_as("dongcheng")
    url = f"/campaigns/{campaign.pk}/" + path.format(sl=sl.pk)
    c.get(url)  # warm the per-process caches (session, menu)
    with django_assert_max_num_queries(40 if path != "dashboard/" else 80):
        r = c.get(url)
    assert r.status_code == 200


def test_rows_page_shows_only_the_townships_rows(many: Any, client_as: Any, cast: Any) -> None:
    campaign, sl = many
    html = client_as("dongcheng").get(f"/campaigns/{campaign.pk}/lists/{sl.pk}/").content.decode()
    dc = ListRow.objects.filter(source_list=sl, township=cast.dongcheng_town).values_list("name", flat=True)
    yq = ListRow.objects.filter(source_list=sl, township=cast.yuanqiao_town).values_list("name", flat=True)
    assert all(n in html for n in dc) and not any(n in html for n in yq)


def test_quarterly_summary_and_panel(many: Any, client_as: Any) -> None:
    campaign, _ = many
    c = client_as("huangyan")
    doc = Document(io.BytesIO(c.get(f"/campaigns/{campaign.pk}/bulletin/?quarter=2026-Q4&format=docx").content))
    assert doc.paragraphs[0].text == "关于2026年第四季度建会入会工作情况的总结"
    assert c.get(f"/api/v1/campaigns/{campaign.pk}/bulletin?quarter=2026-Q5").status_code == 422
    panel = client_as("dongcheng").get("/panels/campaigns/").content.decode()
    assert "建会入会进展" in panel


def test_a_large_list_goes_to_the_worker_and_the_page_shows_its_progress(cast: Any, client_as: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gonghui.campaigns.services import list_classify

    from .helpers import csv_bytes

    campaign = make_campaign(cast.huangyan, cast.district)
    rows = [[f"台州市黄岩东城测试{i:05d}贸易有限公司", "", f"东城街道测试路{i}号", 5, "东城街道"] for i in range(4000)]
    body = csv_bytes(rows)
    assert len(body) > 256 * 1024
    c = client_as("huangyan")
    r = c.post(f"/api/v1/campaigns/{campaign.pk}/lists",
               {"file": SimpleUploadedFile("大名单.csv", body), "source": "census", "as_of": "2026-10-31"})
    assert r.status_code == 202 and r.json()["status"] == "queued"
    lid = r.json()["id"]
    page = c.get(f"/campaigns/{campaign.pk}/lists/{lid}/")
    assert 'role="progressbar"' in page.content.decode()
    list_classify(lid)  # what the worker runs
    done = c.get(f"/campaigns/{campaign.pk}/lists/{lid}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="list-progress")
    assert done["HX-Refresh"] == "true"
    body = c.get(f"/api/v1/campaigns/{campaign.pk}/lists/{lid}").json()
    assert body["status"] == "classified" and body["rows"] == 4000 and body["counts"]["rejected"] == 4000
