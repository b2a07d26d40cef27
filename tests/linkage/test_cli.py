"""End to end: gonghui-link on generated files in CSV, xlsx and xls, and on bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from linkage.cli import main
from linkage.engine import match
from linkage.synth import generate
from tests.linkage.xlswriter import write_xls

DATA = generate(500, 150, seed=5)
EXPECTED = match(DATA.registry, DATA.source)


def _rows(df: pl.DataFrame) -> list[list[str]]:
    return [list(df.columns)] + [[v or "" for v in r] for r in df.iter_rows()]


def _write(df: pl.DataFrame, path: Path, kind: str) -> Path:
    if kind == "csv-utf8":
        df.write_csv(path)
    elif kind == "csv-gbk":
        path.write_bytes(df.write_csv().encode("gb18030"))
    elif kind == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.append(["2021年参保单位名单"])  # a title row above the header, as cadres make them
        for r in _rows(df):
            ws.append(r)
        wb.save(path)
    elif kind == "xls":
        write_xls(path, _rows(df))
    return path


def _read_out(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(
    ("kind", "suffix"), [("csv-utf8", ".csv"), ("csv-gbk", ".csv"), ("xlsx", ".xlsx"), ("xls", ".xls")]
)
def test_cli_matches_generated_files(tmp_path: Path, kind: str, suffix: str) -> None:
    left = _write(DATA.registry, tmp_path / f"registry{suffix}", kind)
    right = _write(DATA.source, tmp_path / f"source{suffix}", kind)
    out = tmp_path / "out.csv"
    assert main(["--left", str(left), "--right", str(right), "--out", str(out)]) == 0
    got = _read_out(out)
    # the contract is extended, never renamed: the first four columns stay where they were
    assert list(got[0]) == ["right_row", "left_row", "score", "rule", "decision", "candidate_row"]
    assert len(got) == DATA.source.height
    assert [int(r["right_row"]) for r in got] == list(range(1, DATA.source.height + 1))
    assert [int(r["left_row"]) if r["left_row"] else None for r in got] == EXPECTED["left_row"].to_list()
    assert {r["rule"] for r in got} <= {"uscc", "org_code", "name", "fuzzy", "none"}
    assert [r["decision"] for r in got] == EXPECTED["decision"].to_list()
    for r in got:
        assert r["decision"] in {"match", "review", "none"}
        if r["decision"] == "match":
            assert r["left_row"] == r["candidate_row"] != ""
        elif r["decision"] == "review":
            assert r["left_row"] == "" and r["candidate_row"] != ""
        else:
            assert r["left_row"] == r["candidate_row"] == ""


def test_cli_explain_adds_evidence(tmp_path: Path) -> None:
    left = _write(DATA.registry, tmp_path / "l.csv", "csv-utf8")
    right = _write(DATA.source, tmp_path / "r.csv", "csv-utf8")
    out = tmp_path / "out.csv"
    assert main(["--left", str(left), "--right", str(right), "--out", str(out), "--explain", "--threshold", "0.9"]) == 0
    got = _read_out(out)
    assert {"right_name", "left_name", "agreed", "vetoed"} <= set(got[0])
    assert any(r["vetoed"] for r in got)


def _bad_inputs(tmp: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    (tmp / "empty.csv").write_bytes(b"")
    files["empty"] = tmp / "empty.csv"
    (tmp / "header_only_blank.csv").write_text("\n\n  \n", encoding="utf-8")
    files["blank"] = tmp / "header_only_blank.csv"
    (tmp / "dup.csv").write_text("单位名称,地址,单位名称\n甲,乙,丙\n", encoding="utf-8")
    files["duplicate headers"] = tmp / "dup.csv"
    (tmp / "noname.csv").write_text("地址,人数\n甲,3\n", encoding="utf-8")
    files["no name column"] = tmp / "noname.csv"
    import random

    rnd = random.Random(1)
    (tmp / "garbage.csv").write_bytes(bytes(rnd.randrange(256) for _ in range(2_000_000)))
    files["garbage"] = tmp / "garbage.csv"
    (tmp / "mixed.csv").write_bytes("单位名称,地址\n宏达电子,黄岩\n".encode() + "鸿达电子,路桥\n".encode("gbk"))
    files["mixed encodings"] = tmp / "mixed.csv"
    # an encrypted xlsx is an OLE2 container holding EncryptionInfo; a damaged one is just bytes
    (tmp / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)
    files["encrypted workbook"] = tmp / "locked.xlsx"
    (tmp / "broken.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    files["unreadable workbook"] = tmp / "broken.xlsx"
    files["missing file"] = tmp / "nope.csv"
    return files


def test_bad_input_exits_2_with_a_message_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _write(DATA.registry, tmp_path / "registry.csv", "csv-utf8")
    for label, bad in _bad_inputs(tmp_path).items():
        out = tmp_path / f"out-{label}.csv"
        assert main(["--left", str(good), "--right", str(bad), "--out", str(out)]) == 2, label
        err = capsys.readouterr().err
        assert err.startswith("错误："), (label, err)
        assert not out.exists(), label
        assert not list(tmp_path.glob(".gonghui-link-*")), label


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    assert main(["--left", "x.csv"]) == 2
    assert main(["--left", "a", "--right", "b", "--out", str(tmp_path / "o.csv"), "--threshold", "7"]) == 2


def test_large_garbage_csv_fails_fast(tmp_path: Path) -> None:
    # 50 MB of printable noise: decodes as text, has no name column
    import time

    junk = tmp_path / "junk.csv"
    line = ('噪声,abc,123,"x"\n' * 4).encode("utf-8")
    junk.write_bytes(line * (50_000_000 // len(line)))
    started = time.perf_counter()
    assert main(["--left", str(junk), "--right", str(junk), "--out", str(tmp_path / "o.csv")]) == 2
    assert time.perf_counter() - started < 30
