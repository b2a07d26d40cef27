"""列清单: a list uploaded, matched with linkage.match, classified, reviewed and applied; the API and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from gonghui.campaigns import services
from gonghui.campaigns.models import CampaignFirm, ListRow, PairDecision, SourceList
from gonghui.core.errors import WrongState
from gonghui.core.identifiers import make_uscc
from gonghui.orgs.models import Enterprise
from tests import factories as f

from .helpers import csv_bytes, make_campaign, upload

pytestmark = pytest.mark.django_db

NEW_CODE = make_uscc("91331003" + "MA2K3L4P5")


@pytest.fixture
def firms(cast: Any) -> dict[str, Any]:
    return {
        "dc_open": f.EnterpriseFactory(name="台州市黄岩东城宏达五金有限公司", territory=cast.dongcheng_town, headcount=40),
        "yq_open": f.EnterpriseFactory(name="台州市黄岩院桥华盛塑业有限公司", territory=cast.yuanqiao_town, headcount=8,
                                       address="院桥镇院桥路8号"),
    }


def _rows(cast: Any, firms: dict[str, Any]) -> list[list[Any]]:
    return [
        [cast.dc_firm.name, cast.dc_firm.uscc, "东城街道劳动北路1号", 30, "东城街道"],  # covered
        # another department's spelling: no region prefix, 有限责任公司, lower-case code
        ["黄岩东城宏达五金有限责任公司", firms["dc_open"].uscc.lower(), "", 42, "东城街道"],  # uncovered
        [firms["yq_open"].name, "", "院桥镇院桥路8号", 9, "院桥镇"],  # uncovered, code missing
        ["台州市黄岩东城新创电子商务有限公司", NEW_CODE, "东城街道青年路9号", 12, "东城街道"],  # new
        ["某某无名商行", "", "", 3, ""],  # not in the registry, no code: cannot be registered
    ]


def test_list_is_classified_with_the_engine_and_rows_are_scoped_by_township(cast: Any, firms: Any,
                                                                            client_as: Any) -> None:
    campaign = make_campaign(cast.huangyan, cast.district)
    sl = upload(cast.huangyan, campaign, csv_bytes(_rows(cast, firms)))
    assert sl.status == SourceList.Status.CLASSIFIED
    assert sl.counts == {"covered": 1, "uncovered": 2, "new": 1, "review": 0, "rejected": 1}
    by_row = {r.row: r for r in ListRow.objects.filter(source_list=sl)}
    assert by_row[1].covering_union_id == cast.dc_union.pk and by_row[1].enterprise_id == cast.dc_firm.pk
    assert by_row[2].enterprise_id == firms["dc_open"].pk and by_row[2].evidence["registry_name"]
    assert by_row[4].enterprise_id is None and by_row[4].township_id == cast.dongcheng_town.pk
    assert "统一社会信用代码" in by_row[5].reason

    dc = client_as("dongcheng").get(f"/api/v1/campaigns/{campaign.pk}/lists/{sl.pk}/rows").json()
    assert {i["row"] for i in dc["items"]} == {1, 2, 4}
    assert {i["township_union_id"] for i in dc["items"]} == {cast.dongcheng_town.pk}
    yq = client_as("yuanqiao").get(f"/api/v1/campaigns/{campaign.pk}/lists/{sl.pk}/rows?match=uncovered").json()
    assert [i["row"] for i in yq["items"]] == [3] and yq["items"][0]["enterprise_id"] == firms["yq_open"].pk


def test_apply_registers_new_firms_and_adds_uncovered_and_new_to_the_campaign(cast: Any, firms: Any) -> None:
    campaign = make_campaign(cast.huangyan, cast.district)
    sl = upload(cast.huangyan, campaign, csv_bytes(_rows(cast, firms)))
    services.list_apply(actor=cast.huangyan, source_list=sl)
    new = Enterprise.objects.get(uscc=NEW_CODE)
    assert (new.listed_source, new.listed_on, new.territory_id) == ("social_security", dt.date(2026, 10, 31),
                                                                    cast.dongcheng_town.pk)
    assert set(CampaignFirm.objects.filter(campaign=campaign).values_list("enterprise_id", flat=True)) == {
        firms["dc_open"].pk, firms["yq_open"].pk, new.pk}
    assert Enterprise.objects.get(pk=firms["dc_open"].pk).headcount == 42
    assert ListRow.objects.get(source_list=sl, row=4).enterprise_id == new.pk
    with pytest.raises(WrongState):
        services.list_apply(actor=cast.huangyan, source_list=sl)

    # the next month: the 院桥 firm is gone, a new one appears
    later = make_uscc("91331003" + "MA2K3L4Q6")
    rows = [r for r in _rows(cast, firms) if r[0] != firms["yq_open"].name] + [
        ["台州市黄岩东城远航物流有限公司", later, "东城街道东环大道2号", 30, "东城街道"]]
    sl2 = upload(cast.huangyan, campaign, csv_bytes(rows), as_of=dt.date(2026, 11, 30))
    moved = services.list_apply(actor=cast.huangyan, source_list=sl2)
    assert (moved["new"], moved["gone"]) == (1, 1)
    assert CampaignFirm.objects.get(campaign=campaign, enterprise=firms["yq_open"]).movement == "gone"
    assert CampaignFirm.objects.get(campaign=campaign, enterprise__uscc=later).movement == "new"


def test_review_decision_is_remembered_for_the_same_pair(cast: Any, firms: Any) -> None:
    campaign = make_campaign(cast.huangyan, cast.district)
    sl = upload(cast.huangyan, campaign, csv_bytes(_rows(cast, firms)))
    row = ListRow.objects.get(source_list=sl, row=3)
    # make it a review row (as the engine's band would), then settle it
    ListRow.objects.filter(pk=row.pk).update(match="review", candidate=firms["yq_open"], enterprise=None)
    row.refresh_from_db()
    services.row_decide(actor=cast.yuanqiao, row=row, same=False)
    assert PairDecision.objects.filter(enterprise=firms["yq_open"], same=False).exists()
    row.refresh_from_db()
    assert row.match == "rejected"  # no code: it is no registry firm, and cannot enter the registry
    with pytest.raises(Exception, match="权限"):
        other = ListRow.objects.get(source_list=sl, row=2)
        ListRow.objects.filter(pk=other.pk).update(match="review", candidate=firms["dc_open"])
        other.refresh_from_db()
        services.row_decide(actor=cast.yuanqiao, row=other, same=True)


def test_a_review_decision_can_be_undone_with_a_reason_until_the_list_is_applied(cast: Any, firms: Any,
                                                                                client_as: Any) -> None:
    campaign = make_campaign(cast.huangyan, cast.district)
    sl = upload(cast.huangyan, campaign, csv_bytes(_rows(cast, firms)))
    row = ListRow.objects.get(source_list=sl, row=3)
    ListRow.objects.filter(pk=row.pk).update(match="review", candidate=firms["yq_open"], enterprise=None)
    services.row_decide(actor=cast.yuanqiao, row=ListRow.objects.get(pk=row.pk), same=True)
    c = client_as("yuanqiao")
    page = c.get(f"/campaigns/{campaign.pk}/lists/{sl.pk}/review/").content.decode()
    assert 'data-testid="decided-table"' in page and 'data-testid="undo-decision"' in page
    # no reason: refused, nothing changed
    c.post(f"/campaigns/{campaign.pk}/lists/{sl.pk}/review/", {"undo": row.pk, "reason": " "})
    assert ListRow.objects.get(pk=row.pk).match == "uncovered"
    # another township's cadre cannot reach the row
    r = client_as("dongcheng").post(f"/campaigns/{campaign.pk}/lists/{sl.pk}/review/", {"undo": row.pk, "reason": "x"})
    assert r.status_code == 404 and ListRow.objects.get(pk=row.pk).match == "uncovered"
    # with a reason: the row is 待核对 again, its township restored and the remembered pair forgotten
    client_as("yuanqiao").post(f"/campaigns/{campaign.pk}/lists/{sl.pk}/review/", {"undo": row.pk, "reason": "看错了地址"})
    back = ListRow.objects.get(pk=row.pk)
    assert (back.match, back.enterprise_id, back.decided_by_id) == ("review", None, None)
    assert back.township_id == cast.yuanqiao_town.pk and "看错了地址" in back.reason
    assert not PairDecision.objects.filter(enterprise=firms["yq_open"]).exists()
    assert SourceList.objects.get(pk=sl.pk).counts["review"] == 1
    api = f"/api/v1/campaigns/{campaign.pk}/rows/{row.pk}/undo"
    assert client_as("yuanqiao").post(api, {"reason": "再撤一次"}, content_type="application/json").status_code == 409
    with pytest.raises(WrongState):  # nothing left to undo
        services.row_decision_undo(actor=cast.yuanqiao, row=back, reason="再撤一次")
    # once the list is applied, the decision has taken effect and is corrected elsewhere
    services.row_decide(actor=cast.yuanqiao, row=back, same=True)
    assert client_as("yuanqiao").post(api, {}, content_type="application/json").status_code == 422  # no reason
    services.list_apply(actor=cast.huangyan, source_list=sl)
    with pytest.raises(WrongState, match="已应用"):
        services.row_decision_undo(actor=cast.yuanqiao, row=ListRow.objects.get(pk=row.pk), reason="晚了")


def test_api_upload_status_apply_and_conflict(cast: Any, firms: Any, client_as: Any) -> None:
    c = client_as("huangyan")
    r = c.post("/api/v1/campaigns", {"name": "2026年集中建会入会行动", "starts_on": "2026-09-01",
                                     "ends_on": "2027-03-31", "threshold": 25, "trades": []},
               content_type="application/json")
    assert r.status_code == 201 and r.json()["owner_union_id"] == cast.district.pk
    cid = r.json()["id"]
    up = SimpleUploadedFile("名单.csv", csv_bytes(_rows(cast, firms)), content_type="text/csv")
    r = c.post(f"/api/v1/campaigns/{cid}/lists", {"file": up, "source": "social_security", "as_of": "2026-10-31"})
    assert r.status_code == 202, r.content
    lid = r.json()["id"]
    body = c.get(f"/api/v1/campaigns/{cid}/lists/{lid}").json()
    assert body["status"] == "classified" and body["progress"] == 1.0 and body["counts"]["new"] == 1
    assert c.post(f"/api/v1/campaigns/{cid}/lists/{lid}/apply").status_code == 200
    assert c.post(f"/api/v1/campaigns/{cid}/lists/{lid}/apply").json()["detail"].startswith("名单状态")
    # a queued list answers 409
    queued = SourceList.objects.create(campaign_id=cid, source="census", as_of=dt.date(2026, 11, 1),
                                       original_name="x.csv")
    assert c.post(f"/api/v1/campaigns/{cid}/lists/{queued.pk}/apply").status_code == 409
    firms_api = client_as("dongcheng").get(f"/api/v1/campaigns/{cid}/firms").json()
    assert firms_api["count"] == 2 and {i["match"] for i in firms_api["items"]} == {"uncovered", "new"}


def test_bad_file_gets_the_import_error_and_nothing_is_written(cast: Any, client_as: Any) -> None:
    campaign = make_campaign(cast.huangyan, cast.district)
    c = client_as("huangyan")
    junk = SimpleUploadedFile("名单.xlsx", b"PK\x03\x04 not really a workbook", content_type="application/zip")
    r = c.post(f"/api/v1/campaigns/{campaign.pk}/lists", {"file": junk, "source": "market", "as_of": "2026-10-31"})
    assert r.status_code == 422 and r.json()["detail"]
    no_name = csv_bytes([["x", "y"]], header=["地址", "人数"])
    sl = upload(cast.huangyan, campaign, no_name)
    assert sl.status == SourceList.Status.FAILED and "单位名称" in sl.detail
    assert not ListRow.objects.filter(source_list=sl).exists()
    assert client_as("dongcheng").post(f"/api/v1/campaigns/{campaign.pk}/lists", {}).status_code == 403


def test_cli_prints_one_json_line(cast: Any, firms: Any, tmp_path: Any) -> None:
    campaign = make_campaign(cast.huangyan, cast.district)
    path = tmp_path / "社保.csv"
    path.write_bytes(csv_bytes(_rows(cast, firms)))
    out = StringIO()
    call_command("campaign_list", str(campaign.pk), str(path), "--source", "social_security", "--as-of",
                 "2026-10-31", "--apply", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    body = json.loads(lines[0])
    assert body["status"] == "applied" and body["counts"]["uncovered"] == 2 and body["movement"]["created"] == 1
