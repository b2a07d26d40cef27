"""What can be exported in the background: each app registers its kinds in AppConfig.ready(), so the
download centre runs a members export without importing the members app (layering: core < … < members)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

# build(job=, params=, target=, progress=) writes the workbook to `target` and returns the rows written;
# progress(rows_done) may be called as often as it likes (the service throttles the writes).
Builder = Callable[..., int]


@dataclass(frozen=True)
class ExportKind:
    name: str
    build: Builder


KINDS: dict[str, ExportKind] = {}


def register_export_kind(kind: ExportKind) -> None:
    KINDS[kind.name] = kind


def builder(name: str) -> Builder:
    try:
        return KINDS[name].build
    except KeyError as exc:
        raise LookupError(f"未登记的导出类型：{name}") from exc


__all__ = ["IO", "Any", "ExportKind", "KINDS", "builder", "register_export_kind"]
