"""名册导入 from the files cadres really send: xlsx with title rows, merged cells, line-broken headers, hidden
sheets, 合计 and blank rows, dates in every format, numbers where Excel puts them; xls; ods; CSV in UTF-8,
UTF-8 with BOM and GBK."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from gonghui.core import crypto
from gonghui.core.identifiers import id_check_digit
from gonghui.members.imports import roster_import
from gonghui.members.models import Membership, Person

from .rosters import HEADERS, people, write_csv, write_ods, write_xls, write_xlsx


def _person(number: str) -> Person:
    return Person.objects.get(id_index=crypto.blind_index(number))


def test_xlsx_as_cadres_make_it(tmp_path: Path, union: Any) -> None:
    # given a roster under a merged title and a note, with a header broken over two lines, a hidden old sheet,
    # blank rows and a 合计 row; phones stored as numbers; dates in every accepted spelling
    rows = people(6)
    formats: list[Any] = [44378, "2021-07-01", "2021/7/1", "2021.7.1", "2021年7月1日", 20210701]
    for row, joined in zip(rows, formats, strict=True):
        row[3] = int(row[3])  # Excel keeps a typed-in phone as a number
        row[4] = joined
    headers = ["序号", "姓名", "公民身份\n号码", "联系电话", "入会\n时间", "单位名称", "工种", "政治面貌", "文化程度"]
    path = write_xlsx(tmp_path / "名册.xlsx", rows, headers=headers, title="2021年黄岩区饿了么联合工会会员名册",
                      notes=["填报单位（盖章）：", "说明：身份证号码请用文本格式"], hidden_first=[["旧表头"], ["作废"]],
                      total_row=True, blank_rows=2)

    # when it is imported
    result = roster_import(path=path, union=union)

    # then six people joined this union, dated 2021-07-01 whatever the spelling; notes, blank and 合计 rows
    # count nowhere; the hidden sheet was ignored
    assert result.as_json() == {"created": 6, "updated": 0, "unchanged": 0, "rejected": 0, "duplicates": 0,
                                "error_report": None}
    assert (result.header_row, result.rows) == (4, 6)
    for row in rows:
        p = _person(row[2])
        assert p.current_union_id == union.pk and p.phone == str(row[3])
        m = Membership.objects.get(person=p, status=Membership.Status.ACTIVE)
        assert m.joined_on == dt.date(2021, 7, 1) and m.union_id == union.pk and m.source == "import"
        assert p.member_no and p.member_no.startswith("3310") and p.id_masked == row[2][:6] + "*" * 8 + row[2][-4:]


def test_hidden_sheet_is_read_when_chosen(tmp_path: Path, union: Any) -> None:
    # given a workbook whose roster is on a hidden sheet
    path = write_xlsx(tmp_path / "h.xlsx", people(1, seed=3), hidden_first=[HEADERS, *people(2, seed=4)])
    # when the cadre names that sheet
    result = roster_import(path=path, union=union, sheet="旧名单", dry_run=True)
    # then its rows are the ones read
    assert result.created == 2


def test_id_turned_into_a_number_is_rejected_with_advice(tmp_path: Path, union: Any) -> None:
    # given a roster where Excel turned one ID number into 3.31003199001011E+17
    rows = people(3)
    rows[1][2] = float(rows[1][2])
    path = write_xlsx(tmp_path / "n.xlsx", rows)

    # when it is imported
    result = roster_import(path=path, union=union)

    # then that row is rejected with a message telling the cadre to set the column to text, nothing is written,
    # and the error workbook holds the row with its reason
    assert (result.rejected, result.created, result.written) == (1, 2, False)
    assert "文本" in result.errors[0].reason and result.errors[0].row == 3
    assert result.errors[0].column == "身份证号码"
    assert not Person.objects.filter(id_index=crypto.blind_index(rows[0][2])).exists()
    ws = load_workbook(result.error_report).active
    table = list(ws.values)
    # in the template's own columns, then 错误原因 and 原行号: the corrected file re-imports as it is
    assert table[0][:2] == ("姓名*", "身份证号码*") and table[0][-2:] == ("错误原因", "原行号")
    assert table[1][-1] == 3 and "文本" in table[1][-2] and table[1][0] == rows[1][1]


def test_fifteen_digit_id_is_upgraded(tmp_path: Path, union: Any) -> None:
    # given an old 15-digit ID number (born 1975-03-04 in 331003)
    row = people(1)[0]
    row[2] = "331003750304123"
    path = write_xlsx(tmp_path / "15.xlsx", [row])
    # when it is imported
    result = roster_import(path=path, union=union)
    # then the person is held under the 18-digit number and the preview notes the upgrade
    body = "33100319750304123"
    assert result.created == 1 and "15位" in result.notes[0][1]
    assert _person(body + id_check_digit(body)).birth_date == dt.date(1975, 3, 4)


def test_xls(tmp_path: Path, union: Any) -> None:
    # given a legacy .xls roster (BIFF8)
    rows = people(3)
    path = write_xls(tmp_path / "名册.xls", rows)
    # when it is imported
    result = roster_import(path=path, union=union)
    # then everyone is in
    assert result.created == 3 and result.written
    assert _person(rows[2][2]).name == rows[2][1]


def test_ods(tmp_path: Path, union: Any) -> None:
    # given an OpenDocument roster under a title row, with a phone stored as a number and a real date cell
    rows = people(2)
    rows[0][3] = int(rows[0][3])
    rows[1][4] = dt.date(2020, 5, 6)
    path = write_ods(tmp_path / "名册.ods", rows, title="会员名册")
    # when it is imported
    result = roster_import(path=path, union=union)
    # then both are members, with the number as a phone and the date as the joining date
    assert result.created == 2 and result.header_row == 2
    assert _person(rows[0][2]).phone == str(rows[0][3])
    assert Membership.objects.get(person=_person(rows[1][2])).joined_on == dt.date(2020, 5, 6)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings(tmp_path: Path, union: Any, encoding: str) -> None:
    # given a CSV saved as UTF-8, UTF-8 with BOM, or GBK (what Chinese Excel saves)
    rows = people(3, seed=hash(encoding) % 1000)
    path = write_csv(tmp_path / "名册.csv", rows, encoding=encoding)
    # when it is imported
    result = roster_import(path=path, union=union)
    # then the names come through intact
    assert result.created == 3
    assert _person(rows[0][2]).name == rows[0][1]


def test_unreadable_file_is_a_spreadsheet_error(tmp_path: Path, union: Any) -> None:
    from gonghui.core.excel import SpreadsheetError

    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SpreadsheetError):
        roster_import(path=path, union=union)


def test_missing_id_column_is_refused(tmp_path: Path, union: Any) -> None:
    from gonghui.core.excel import SpreadsheetError

    path = write_csv(tmp_path / "x.csv", [["张三", "13800000000"]], headers=["姓名", "手机"])
    with pytest.raises(SpreadsheetError, match="身份证号码"):
        roster_import(path=path, union=union)
