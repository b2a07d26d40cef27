"""建会入会 in a real browser: huangyan opens a campaign and uploads a list; dongcheng screens its firms through the
three rounds, founds a union and sees the task complete; huangyan downloads the month's bulletin, which the test
opens with python-docx and checks against the database. Everything written is removed afterwards."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.utils import timezone
from docx import Document

from gonghui.campaigns.models import Campaign, CampaignFirm, Founding
from gonghui.core.identifiers import make_uscc
from gonghui.orgs.models import Coverage, Enterprise, Union

pytestmark = pytest.mark.browser
NAME = "浏览器测试集中建会入会行动"


def _firms() -> tuple[Enterprise, Enterprise]:
    town = Union.objects.get(name="东城街道总工会")
    open_firms = Enterprise.objects.filter(territory=town, covering_union__isnull=True, status="active").order_by("pk")
    return open_firms.filter(headcount__gte=40).first(), open_firms.filter(headcount__lt=20).first()  # type: ignore[return-value]


def _cleanup(ents: list[Enterprise]) -> None:
    for f in Founding.objects.filter(firm__campaign__name=NAME).select_related("union"):
        if f.union is not None:
            Union.objects.get(pk=f.union.pk).delete()
    Campaign.objects.filter(name=NAME).delete()
    today = timezone.localdate()
    Coverage.objects.filter(enterprise__in=ents, started_on__gte=today - timezone.timedelta(days=2)).delete()
    Enterprise.objects.filter(pk__in=[e.pk for e in ents]).update(covering_union=None)


def test_campaign_month_from_upload_to_printed_bulletin(page, live_server, login, shot, tmp_path):
    big, small = _firms()
    _cleanup([big, small])
    page.on("dialog", lambda d: d.accept())
    try:
        # huangyan opens a campaign and uploads the month's 社保 list
        login(page, live_server, "huangyan")
        page.goto(f"{live_server.url}/campaigns/")
        page.fill("#c-name", NAME)
        page.click("[data-testid=campaign-new] button[type=submit]")
        page.wait_for_selector("[data-testid=list-upload]")
        campaign = Campaign.objects.get(name=NAME)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["单位名称", "统一社会信用代码", "参保人数", "所在镇街"])
        for e in (big, small):
            w.writerow([e.name.replace("台州市黄岩", "黄岩"), e.uscc.lower(), e.headcount, "东城街道"])
        path = tmp_path / "社保参保名单.csv"
        path.write_bytes(buf.getvalue().encode("gbk"))
        page.set_input_files("#l-file", str(path))
        page.click("[data-testid=list-upload] button[type=submit]")
        page.wait_for_selector("[data-testid=list-status]")
        assert page.locator("[data-testid=row-table] tbody tr[data-match=uncovered]").count() == 2
        page.click("[data-testid=apply]")
        page.wait_for_selector("text=名单已应用")
        shot(page, "campaign-list-applied")

        # dongcheng screens: the big firm round 1 → round 2 (须单独建会), the small one round 1 → round 3 (联合工会)
        page.context.clear_cookies()
        login(page, live_server, "dongcheng")
        firm_big = CampaignFirm.objects.get(campaign=campaign, enterprise=big)
        firm_small = CampaignFirm.objects.get(campaign=campaign, enterprise=small)
        page.goto(f"{live_server.url}/campaigns/{campaign.pk}/firms/")
        page.click(f"text={big.name}")
        for decision, reason in (("keep", "正常经营"), ("single", "参保人数达到标准")):
            page.select_option("#s-d", decision)
            page.fill("#s-r", reason)
            page.click("[data-testid=screen-submit]")
            page.wait_for_load_state()
        assert page.inner_text("[data-testid=firm-stage]") == "须单独建会"
        page.goto(f"{live_server.url}/campaigns/{campaign.pk}/firms/{firm_small.pk}/")
        page.select_option("#s-d", "keep")
        page.fill("#s-r", "正常经营")
        page.click("[data-testid=screen-submit]")
        page.wait_for_selector("text=第3轮筛查")
        page.select_option("#s-d", "joint")
        page.select_option("#s-u", index=1)
        page.fill("#s-co", "同意加入")
        page.fill("#s-r", "人数不足，电话核实同意加入")
        page.click("[data-testid=screen-submit]")
        page.wait_for_load_state()
        assert page.inner_text("[data-testid=firm-stage]") == "纳入联合工会"
        assert page.locator("[data-testid=history] tbody tr").count() == 2

        # … and founds the big firm's union: 筹备 → 会员大会 → 上级批复 → 成立
        page.goto(f"{live_server.url}/campaigns/{campaign.pk}/firms/{firm_big.pk}/")
        page.fill("#fs-p", "张伟、李娜、王芳")
        page.click("[data-testid=found-start]")
        page.wait_for_selector("[data-testid=found-congress]")
        today = timezone.localdate().isoformat()
        page.fill("#fc-d", today)
        page.fill("#fc-c", "张伟 主席\n刘洋")
        page.fill("#fc-a", "王芳 主任")
        page.fill("#fc-w", "李娜 主任")
        page.click("[data-testid=found-congress]")
        page.wait_for_selector("[data-testid=found-approve]")
        page.fill("#fa-n", "东工〔2026〕8号")
        page.fill("#fa-d", today)
        page.click("[data-testid=found-approve]")
        page.wait_for_selector("[data-testid=found-establish]")
        page.fill("#fe-c", make_uscc("81331003MA2P7Q6R5"))
        page.click("[data-testid=found-establish]")
        page.wait_for_selector("[data-testid=join-qr]")
        assert "已建会" in page.inner_text("[data-testid=task-status]")
        shot(page, "campaign-founded")
        union = Founding.objects.get(firm=firm_big).union
        assert union is not None and Enterprise.objects.get(pk=big.pk).covering_union_id == union.pk

        # huangyan downloads the month's bulletin; its figures are the database's
        page.context.clear_cookies()
        login(page, live_server, "huangyan")
        month = timezone.localdate().strftime("%Y-%m")
        page.goto(f"{live_server.url}/campaigns/{campaign.pk}/bulletin/?month={month}")
        with page.expect_download() as info:
            page.click("[data-testid=bulletin-docx]")
        doc = Document(io.BytesIO(Path(info.value.path()).read_bytes()))
        assert doc.paragraphs[0].text.startswith("关于") and "通报" in doc.paragraphs[0].text
        row = next(r for r in doc.tables[0].rows if r.cells[1].text == "东城街道总工会")
        cells = [c.text for c in row.cells[2:]]
        tasks = CampaignFirm.objects.filter(campaign=campaign, stage__in=["single", "joint"]).count()
        founded = Founding.objects.filter(firm__campaign=campaign, step="founded").count()
        assert cells[:4] == ["2", "0", "2", "0"]  # listed, covered, uncovered, new (the uploaded list)
        assert cells[4:6] == [str(tasks), "1"] and cells[7] == str(founded) == "1"
        assert cells[6] == f"{100 / tasks:.1f}%"
    finally:
        _cleanup([big, small])
