"""gonghui's enterprise-list linkage engine: a pure library (no Django), Polars + rapidfuzz + pypinyin,
with an optional PySpark backend (``linkage.spark``) and the ``gonghui-link`` CLI (``linkage.cli``).

``linkage.match(left, right, **options)`` is the entry point the campaign feature calls."""

from linkage.engine import Options, match
from linkage.schema import InputError

__all__ = ["InputError", "Options", "match"]
