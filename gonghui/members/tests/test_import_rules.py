"""The import's promises: all-or-nothing per file, duplicates collapse, idempotent, members land only in the
union named, a member of another union is a transfer (rejected, not moved), and the CLI's JSON contract."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command

from gonghui.core import crypto
from gonghui.members.imports import roster_import
from gonghui.members.models import Membership, MembershipEvent, Person

from .rosters import people, write_csv, write_xlsx


def _counts() -> tuple[int, int, int]:
    return Person.objects.count(), Membership.objects.count(), MembershipEvent.objects.count()


def test_one_bad_row_writes_nothing(tmp_path: Path, union: Any) -> None:
    # given 20 good rows and one with a wrong check digit
    rows = people(21)
    rows[10][2] = rows[10][2][:17] + ("0" if rows[10][2][17] != "0" else "1")
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    before = _counts()
    # when it is imported
    result = roster_import(path=path, union=union)
    # then nothing is written, the result says what would have happened, and the report names row 12
    assert _counts() == before
    assert (result.created, result.rejected, result.written) == (20, 1, False)
    assert result.errors[0].row == 12 and "校验位" in result.errors[0].reason
    assert Path(result.error_report).is_file()


def test_duplicates_collapse_and_are_reported(tmp_path: Path, union: Any) -> None:
    # given a roster where the same person appears three times (once with a lower-case x and spaces)
    rows = people(4)
    twin = list(rows[1])
    twin[0] = 99
    spaced = list(rows[1])
    spaced[2] = " ".join(spaced[2][i:i + 6] for i in range(0, 18, 6)).lower()
    path = write_xlsx(tmp_path / "d.xlsx", [*rows, twin, spaced])
    # when it is imported
    result = roster_import(path=path, union=union)
    # then four people, two duplicate rows reported against their first row
    assert (result.created, result.duplicates, result.rejected) == (4, 2, 0)
    assert result.duplicate_rows == [(6, 3), (7, 3)]
    assert Person.objects.filter(id_index=crypto.blind_index(rows[1][2])).count() == 1


def test_same_file_twice_changes_nothing(tmp_path: Path, union: Any) -> None:
    # given a roster already imported
    path = write_xlsx(tmp_path / "i.xlsx", people(30))
    first = roster_import(path=path, union=union)
    counts = _counts()
    audit = LogEntry.objects.count()
    # when the same file is imported again
    again = roster_import(path=path, union=union)
    # then everyone is unchanged and no row anywhere was created or updated (only the import's audit line)
    assert first.created == 30
    assert again.as_json() == {"created": 0, "updated": 0, "unchanged": 30, "rejected": 0, "duplicates": 0,
                               "error_report": None}
    assert _counts() == counts
    assert LogEntry.objects.count() == audit + 1


def test_changed_fields_are_updates_and_blank_cells_keep_values(tmp_path: Path, union: Any) -> None:
    # given members imported, then a new roster with one new phone, one blank phone and one new employer
    rows = people(3)
    roster_import(path=write_xlsx(tmp_path / "a.xlsx", rows), union=union)
    rows[0][3] = "13911112222"
    old_phone = rows[1][3]
    rows[1][3] = ""
    rows[2][5] = "台州市黄岩另一家物流有限公司"
    # when it is imported
    result = roster_import(path=write_xlsx(tmp_path / "b.xlsx", rows), union=union)
    # then two updates, one unchanged (a blank cell keeps what is stored)
    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    p0, p1, p2 = (Person.objects.get(id_index=crypto.blind_index(r[2])) for r in rows)
    assert p0.phone == "13911112222" and p1.phone == old_phone
    assert p2.employer_name == "台州市黄岩另一家物流有限公司"


def test_member_of_another_union_is_rejected_as_transfer(tmp_path: Path, union: Any, other_union: Any) -> None:
    # given a person already a member of a 院桥 union
    rows = people(2)
    roster_import(path=write_xlsx(tmp_path / "o.xlsx", rows[:1]), union=other_union)
    # when the 东城 union imports a roster including them
    result = roster_import(path=write_xlsx(tmp_path / "t.xlsx", rows), union=union)
    # then that row is rejected with "请办理转会", and nothing moves
    assert result.rejected == 1 and result.errors[0].reason == f"已是{other_union.name}会员，请办理转会"
    assert Person.objects.get(id_index=crypto.blind_index(rows[0][2])).current_union_id == other_union.pk
    assert not Person.objects.filter(id_index=crypto.blind_index(rows[1][2])).exists()


def test_former_member_rejoins_as_created(tmp_path: Path, union: Any, huangyan: Any) -> None:
    # given a member who left
    from gonghui.members import services

    rows = people(1)
    roster_import(path=write_xlsx(tmp_path / "a.xlsx", rows), union=union)
    p = Person.objects.get(id_index=crypto.blind_index(rows[0][2]))
    services.membership_change(actor=huangyan, membership=p.memberships.get(), kind="leave", reason="离职")
    # when a roster lists them again
    result = roster_import(path=write_xlsx(tmp_path / "b.xlsx", rows), union=union)
    # then they get a new membership, history whole, same card number
    assert result.created == 1
    p.refresh_from_db()
    assert p.current_union_id == union.pk and p.memberships.count() == 2
    assert list(p.events.values_list("kind", flat=True)) == ["join", "leave", "join"]


def _cli(*args: str) -> tuple[int, dict[str, Any] | None, str]:
    out, err = StringIO(), StringIO()
    code = 0
    import sys

    real = sys.stderr
    sys.stderr = err
    try:
        call_command("import_members", *args, stdout=out)
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.stderr = real
    lines = out.getvalue().strip().splitlines()
    assert len(lines) <= 1
    return code, (json.loads(lines[0]) if lines else None), err.getvalue()


def test_cli_contract(tmp_path: Path, union: Any) -> None:
    # given a CSV roster with a repeated person
    rows = people(5)
    path = write_csv(tmp_path / "c.csv", [*rows, rows[0]])
    # when it is dry-run, run, and run again
    dry = _cli(str(path), "--union", union.code, "--dry-run")
    run = _cli(str(path), "--union", union.code)
    again = _cli(str(path), "--union", union.code)
    # then one JSON line each with exactly the contract's keys
    assert dry == (0, {"created": 5, "updated": 0, "unchanged": 0, "rejected": 0, "duplicates": 1,
                       "error_report": None}, "")
    assert run[1] == dry[1] and run[0] == 0
    assert again[1] == {"created": 0, "updated": 0, "unchanged": 5, "rejected": 0, "duplicates": 1,
                        "error_report": None}
    assert Person.objects.filter(current_union=union, id_index__in=[crypto.blind_index(r[2]) for r in rows]).count() == 5


def test_cli_dry_run_writes_nothing(tmp_path: Path, union: Any) -> None:
    before = _counts()
    code, data, _ = _cli(str(write_csv(tmp_path / "c.csv", people(3))), "--union", union.code, "--dry-run")
    assert code == 0 and data and data["created"] == 3 and _counts() == before


def test_cli_rejected_rows_exit_1(tmp_path: Path, union: Any) -> None:
    rows = people(3)
    rows[2][2] = "12345"
    code, data, _ = _cli(str(write_csv(tmp_path / "c.csv", rows)), "--union", union.code)
    assert code == 1 and data is not None
    assert (data["created"], data["rejected"]) == (2, 1) and Path(data["error_report"]).is_file()


@pytest.mark.parametrize("case", ["unknown_union", "missing_file", "garbage", "district"])
def test_cli_exit_2(tmp_path: Path, union: Any, case: str) -> None:
    from gonghui.orgs.models import Union

    path = tmp_path / "g.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    code_arg = union.code
    if case == "unknown_union":
        code_arg = "91331003MA2AAAAAAA"
        write_csv(path, people(1))
    elif case == "missing_file":
        path = tmp_path / "nope.csv"
    elif case == "district":
        code_arg = Union.objects.get(depth=1).code
        write_csv(path, people(1))
    code, data, err = _cli(str(path), "--union", code_arg)
    assert code == 2 and data is None and err.strip()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err)
