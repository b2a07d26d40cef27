"""The campaigns app's registrations in the generic scope suite (tests/test_scope_matrix.py).

Cast objects: a campaign of 东城 and one of 院桥 (each seen by its own township only; a township campaign is not
seen by a sibling), each with a classified list, a row and a firm with a task. The district's
demo campaign is seen by every township (upward visibility), which is why the campaign lists are shared lists;
it is no cast object because a township reads it but does not change it (the matrix takes "sees it and holds
the action somewhere" as "may"), and its firms and rows — the township's part — are scoped by territory."""

from __future__ import annotations

import datetime as dt
from typing import Any

NOT_TREE_WRITES = {
    "campaigns:tasks_import_job": "the job's status page only reads (the imports' view)",
    "campaigns:tasks_import_errors": "the error workbook download (the imports' view)",
}
NO_OBJECT_LINKS = {
    "campaigns:tasks_import": "an upload form; recent jobs only",
    "campaigns:tasks_import_template": "a download",
}
SHARED_LISTS = {
    "campaigns:list": "the district's campaign is seen by every township inside it (its firms are each township's own)",
    "gonghui_campaigns_api_campaign_list": "the district's campaign is seen by every township inside it",
}
ABSENT_OK = {
    "campaigns:tasks_import_job": "the cast's job is a roster (kind members); a task import shows under its own page",
}
TEMPLATES = {"campaigns:tasks_import_template"}


def objects(cast: Any) -> list[tuple[Any, set[str]]]:
    from gonghui.campaigns import services
    from gonghui.campaigns.models import CampaignFirm, ListRow, SourceList, Stage, TaskStatus

    out: list[tuple[Any, set[str]]] = []
    for town, firm, who in ((cast.dongcheng_town, cast.dc_firm, "dongcheng"),
                            (cast.yuanqiao_town, cast.yq_firm, "yuanqiao")):
        campaign = services.campaign_create(actor=cast.huangyan, owner=town, name=f"{town.name}建会入会行动",
                                            starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 12, 31))
        sl = SourceList.objects.create(campaign=campaign, source="social_security", as_of=dt.date(2026, 10, 31),
                                       status=SourceList.Status.CLASSIFIED, original_name="社保.csv", rows=1,
                                       counts={"covered": 1})
        row = ListRow.objects.create(source_list=sl, campaign=campaign, row=1, name=firm.name, uscc=firm.uscc,
                                     match="covered", enterprise=firm, township=town)
        cf = CampaignFirm.objects.create(campaign=campaign, enterprise=firm, township=town, match="uncovered",
                                         stage=Stage.SINGLE, task_status=TaskStatus.TODO, added_on=dt.date(2026, 10, 31),
                                         first_list=sl, last_list=sl)
        out += [(campaign, {who}), (sl, {who}), (row, {who}), (cf, {who})]
    return out
