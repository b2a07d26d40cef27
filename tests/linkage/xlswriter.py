"""A minimal BIFF8 (.xls) writer for test fixtures: one sheet, string cells only.

No maintained Python library writes .xls any more, and the issue requires an end-to-end test on
.xls input, so the tests build their own: an OLE2 compound file holding a Workbook stream with
BOF, CODEPAGE, BOUNDSHEET8, SST, and per-cell LABELSST records.
"""

from __future__ import annotations

import struct
from pathlib import Path

_ENDOFCHAIN = 0xFFFFFFFE
_FREESECT = 0xFFFFFFFF
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF


def _record(rtype: int, data: bytes) -> bytes:
    return struct.pack("<HH", rtype, len(data)) + data


def _xl_string(s: str) -> bytes:
    return struct.pack("<HB", len(s), 1) + s.encode("utf-16-le")


def _sst(strings: list[str]) -> bytes:
    """SST plus CONTINUE records, split only at string boundaries (each string < 8 KB)."""
    head = struct.pack("<II", len(strings), len(strings))
    chunks: list[bytes] = []
    cur = head
    for s in strings:
        enc = _xl_string(s)
        if len(cur) + len(enc) > 8224:
            chunks.append(cur)
            cur = b""
        cur += enc
    chunks.append(cur)
    out = _record(0x00FC, chunks[0])
    for c in chunks[1:]:
        out += _record(0x003C, c)
    return out


def _workbook(rows: list[list[str]], sheet: str) -> bytes:
    strings: list[str] = []
    index: dict[str, int] = {}
    for row in rows:
        for v in row:
            if v not in index:
                index[v] = len(strings)
                strings.append(v)
    bof_globals = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 6))
    codepage = _record(0x0042, struct.pack("<H", 1200))
    name = struct.pack("<BB", len(sheet), 1) + sheet.encode("utf-16-le")
    boundsheet_len = 4 + 4 + 2 + len(name)
    sst = _sst(strings)
    eof = _record(0x000A, b"")
    sheet_offset = len(bof_globals) + len(codepage) + boundsheet_len + len(sst) + len(eof)
    boundsheet = _record(0x0085, struct.pack("<IBB", sheet_offset, 0, 0) + name)
    globals_ = bof_globals + codepage + boundsheet + sst + eof
    assert len(globals_) == sheet_offset
    ncols = max((len(r) for r in rows), default=0)
    body = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 6))
    body += _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, ncols, 0))
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            body += _record(0x00FD, struct.pack("<HHHI", r, c, 0, index[v]))
    body += eof
    return globals_ + body


def write_xls(path: str | Path, rows: list[list[str]], sheet: str = "Sheet1") -> None:
    """Write ``rows`` (first row the header) as a one-sheet .xls file readable by calamine and xlrd."""
    stream = _workbook(rows, sheet)
    size = len(stream)
    # stay above the 4096-byte mini-stream cutoff so only the regular FAT is needed
    padded = stream + b"\x00" * (max(4096, -(-size // 512) * 512) - size)
    n_ws = len(padded) // 512
    n_fat = 1
    while n_ws + 1 + n_fat > n_fat * 128:
        n_fat += 1
    dir_sector = n_ws
    fat_start = n_ws + 1
    fat = [_FREESECT] * (n_fat * 128)
    for i in range(n_ws):
        fat[i] = i + 1 if i + 1 < n_ws else _ENDOFCHAIN
    fat[dir_sector] = _ENDOFCHAIN
    for i in range(n_fat):
        fat[fat_start + i] = _FATSECT
    assert n_fat <= 109
    difat = [fat_start + i for i in range(n_fat)] + [_FREESECT] * (109 - n_fat)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, n_fat, dir_sector, 0, 4096, _ENDOFCHAIN, 0, _ENDOFCHAIN, 0)
        + struct.pack("<109I", *difat)
    )
    assert len(header) == 512

    def entry(name: str, etype: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00" if name else b""
        return (
            raw.ljust(64, b"\x00")
            + struct.pack("<HBB", len(raw), etype, 1)
            + struct.pack("<III", _NOSTREAM, _NOSTREAM, child)
            + b"\x00" * 16
            + struct.pack("<I", 0)
            + b"\x00" * 16
            + struct.pack("<III", start, size, 0)
        )

    directory = (
        entry("Root Entry", 5, 1, _ENDOFCHAIN, 0)
        + entry("Workbook", 2, _NOSTREAM, 0, len(padded))
        + entry("", 0, _NOSTREAM, 0, 0) * 2
    )
    assert len(directory) == 512
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    Path(path).write_bytes(header + padded + directory + fat_bytes)
