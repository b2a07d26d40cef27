"""The Spark backend gives the same output as the Polars backend.

Skipped only when pyspark (or Java) is absent; with REQUIRE_SPARK=1 that absence is a failure."""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from linkage.engine import match
from linkage.synth import generate

_REQUIRED = os.environ.get("REQUIRE_SPARK") == "1"


def _missing() -> str:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "java is not on the PATH"
    return ""


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    why = _missing()
    if why:
        if _REQUIRED:
            pytest.fail(f"REQUIRE_SPARK=1 but {why}")
        pytest.skip(why)
    from linkage.spark import get_session

    session = get_session(partitions=2)
    yield session
    session.stop()


def test_spark_backend_equals_polars_backend(spark: Any) -> None:
    from linkage.spark import match_spark

    data = generate(300, 100, seed=9)
    expected = match(data.registry, data.source, explain=True)
    got = match_spark(data.registry, data.source, spark=spark, explain=True)
    assert got.columns == expected.columns
    assert got.equals(expected)
    # the test set exercises every decision path
    assert {"uscc", "org_code", "name", "fuzzy", "none"} <= set(expected["rule"].to_list())
    assert expected.columns[:6] == ["right_row", "left_row", "score", "rule", "decision", "candidate_row"]


def test_spark_backend_equals_polars_backend_on_every_shape(spark: Any) -> None:
    """The shape bed, with rows of unknown prefecture on both sides and every decision."""
    from linkage.clean import prepare
    from linkage.engine import with_rows
    from linkage.shapes import generate_shapes
    from linkage.spark import match_spark

    data = generate_shapes(900, 450, seed=13)
    assert (prepare(with_rows(data.source))["pref"] == "").sum() > 20
    assert (prepare(with_rows(data.registry))["pref"] == "").sum() > 10
    expected = match(data.registry, data.source, explain=True)
    got = match_spark(data.registry, data.source, spark=spark, explain=True)
    assert got.equals(expected)
    assert {"match", "review", "none"} <= set(expected["decision"].to_list())
