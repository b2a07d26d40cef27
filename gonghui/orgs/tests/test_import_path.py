"""Union and enterprise lists on the one import path: the preview reads only, lists what will be added and
changed; the cadre may import the valid rows now; an industry federation cannot move a firm to another
township."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from gonghui.orgs import imports
from gonghui.orgs.models import Enterprise, ImportJob, Union

from .test_import import ENT_HEADERS, UNION_HEADERS, confirm, ent_rows, upload, uscc, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path


def _writes(fn: Any) -> list[str]:
    """The SQL statements that would change the database, issued while `fn` runs."""
    seen: list[str] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        head = sql.lstrip().split(None, 1)[0].upper()
        if head in ("INSERT", "UPDATE", "DELETE", "SAVEPOINT", "BEGIN"):
            seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        fn()
    return seen


def test_preview_of_both_lists_writes_nothing(dongcheng: Any) -> None:
    # given a union list whose second row hangs under a federation the first row creates, and an enterprise list
    unions = xlsx(UNION_HEADERS, [
        ["东城街道预览楼宇工会联合会", uscc(1, "81"), "工会联合会", "东城街道总工会", "", "", "", "", ""],
        ["台州市黄岩预览甲有限公司工会", "", "单独建会", "东城街道预览楼宇工会联合会", "", "", "", "", ""],
    ])
    firms = xlsx(ENT_HEADERS, ent_rows(3, start=300))
    # when both are previewed
    results: list[Any] = []
    sql = _writes(lambda: results.extend([imports.import_unions(actor=dongcheng, source=unions, commit=False),
                                          imports.import_enterprises(actor=dongcheng, source=firms, commit=False)]))
    # then the counts are what a confirm would do, and not one statement wrote (nor opened a savepoint)
    assert [(r.created, r.rejected) for r in results] == [(2, 0), (3, 0)]
    assert sql == []


def test_preview_lists_the_rows_added_and_changed(client_as: Any) -> None:
    existing = Enterprise.objects.filter(territory__name="东城街道总工会", covering_union__isnull=True).first()
    rows = ent_rows(1, start=310) + [[existing.uscc, existing.name, "东城街道", "", "", 4321, "", ""]]
    r = upload(client_as("dongcheng"), "enterprises", xlsx(ENT_HEADERS, rows))
    changes = r.context["r"]["changes"]
    assert changes[0][:2] == [2, "created"] and uscc(310) in changes[0][2]
    assert changes[1][:2] == [3, "updated"] and existing.name in changes[1][2] and changes[1][3] == "参保人数"
    page = r.content.decode()
    assert 'data-testid="import-changes"' in page and existing.name in page and "参保人数" in page


def test_console_imports_the_valid_rows_when_the_cadre_chooses(client_as: Any, dongcheng: Any) -> None:
    # given a list with one bad row
    rows = ent_rows(3, start=320)
    rows[1][2] = "火星街道"
    c = client_as("dongcheng")
    r = upload(c, "enterprises", xlsx(ENT_HEADERS, rows))
    assert r.context["job"].status == "rejected" and 'data-testid="confirm-skip-invalid"' in r.content.decode()
    # when the cadre chooses "先导入正确的行"
    confirm(c, "enterprises", mode="skip_invalid")
    job = ImportJob.objects.filter(kind="enterprises").latest("pk")
    # then the two good firms are in, the bad one is left out and waits in the error workbook
    assert job.status == "done" and (job.result["created"], job.result["rejected"]) == (2, 1)
    assert set(Enterprise.objects.filter(uscc__in=[uscc(320 + i) for i in range(3)]).values_list("uscc", flat=True)) \
        == {uscc(320), uscc(322)}
    assert c.get(f"/orgs/import/enterprises/errors/?job={job.pk}").status_code == 200


def test_industry_federation_cannot_move_a_firm_to_another_township(client_as: Any) -> None:
    # given a firm covered by a union of the 快递 federation, on its township's ground
    union = Union.objects.get(name="黄岩区顺丰速运营业部工会")
    firm = Enterprise.objects.get(covering_union=union)
    town = firm.territory
    other = "院桥镇" if not town.name.startswith("院桥") else "东城街道"
    # when the federation's chair imports it with another township, naming their own covering union
    r = upload(client_as("kuaidi"), "enterprises",
               xlsx(ENT_HEADERS, [[firm.uscc, firm.name, other, "", "", "", "", union.code]]))
    # then the row is refused and the firm stays where it is
    (error,) = r.context["r"]["errors"]
    assert error[1] == "所在镇街" and "同时管辖原镇街和新镇街" in error[3]
    firm.refresh_from_db()
    assert firm.territory_id == town.pk
