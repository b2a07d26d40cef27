"""The PySpark backend: the same steps as ``engine.match`` run as Spark jobs, with both lists
partitioned by prefecture. Cleaning, blocking keys and pair scores run the engine's own Polars
functions inside ``mapInArrow`` (they are row-wise), counts and joins run in Spark SQL, so the
output equals the Polars backend's row for row.

pyspark is an optional extra (``uv sync --extra spark``); Java 17 must be on the PATH.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import polars as pl

from linkage import engine
from linkage.clean import prepare

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_FEATURE_SCHEMA = (
    "row long, name_norm string, core string, zh string, trade string, form string, branch string, "
    "county string, pref string, uscc string, org string, zh_py string, addr string, headcount long"
)
_RAW_SCHEMA = "row long, name string, uscc string, org_code string, county string, address string, headcount string"
_SCORED_SCHEMA = (
    "l long, r long, weight double, prob double, veto string, agreed string, name_norm_l string, same_core boolean"
)


def get_session(partitions: int = 4) -> SparkSession:
    """A local SparkSession for the CLI and tests (reuses a running one)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder: Any = SparkSession.builder
    return (  # type: ignore[no-any-return]
        builder.master(os.environ.get("GONGHUI_SPARK_MASTER", "local[2]"))
        .appName("gonghui-link")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.python.worker.reuse", "true")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", os.environ.get("GONGHUI_SPARK_DRIVER_MEMORY", "2g"))
        .getOrCreate()
    )


def _ddl_polars(ddl: str) -> dict[str, pl.DataType]:
    kinds: dict[str, pl.DataType] = {
        "long": pl.Int64(),
        "string": pl.Utf8(),
        "double": pl.Float64(),
        "boolean": pl.Boolean(),
        "array<string>": pl.List(pl.Utf8()),
    }
    fields = [part.strip().split(" ") for part in ddl.split(",")]
    return {name: kinds[kind] for name, kind in fields}


def _map_rows(
    sdf: DataFrame, fn: Callable[[pl.DataFrame], pl.DataFrame], in_ddl: str, out_ddl: str, chunk: int = 50_000
) -> DataFrame:
    """Run a row-wise Polars function over a Spark frame, partition by partition, in chunks.

    Uses the RDD API with plain rows rather than ``mapInArrow``, which needs pandas."""
    in_schema = _ddl_polars(in_ddl)
    out_cols = list(_ddl_polars(out_ddl))

    def run(rows: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
        buf: list[tuple[Any, ...]] = []

        def flush() -> Iterator[tuple[Any, ...]]:
            frame = pl.DataFrame(buf, schema=in_schema, orient="row")
            yield from fn(frame).select(out_cols).iter_rows()

        for row in rows:
            buf.append(tuple(row))
            if len(buf) >= chunk:
                yield from flush()
                buf = []
        if buf:
            yield from flush()

    session = sdf.sparkSession
    return session.createDataFrame(sdf.rdd.mapPartitions(run), out_ddl, verifySchema=False)


def _to_spark(spark: SparkSession, df: pl.DataFrame) -> DataFrame:
    return spark.createDataFrame(list(df.iter_rows()), _RAW_SCHEMA)


def _collect(sdf: DataFrame) -> pl.DataFrame:
    schema = {
        f.name: {"bigint": pl.Int64(), "string": pl.Utf8(), "double": pl.Float64(), "boolean": pl.Boolean()}[
            f.dataType.simpleString()
        ]
        for f in sdf.schema.fields
    }
    return pl.DataFrame([tuple(r) for r in sdf.collect()], schema=schema, orient="row")


def match_spark(
    left: pl.DataFrame, right: pl.DataFrame, spark: SparkSession | None = None, **options: object
) -> pl.DataFrame:
    """``engine.match`` computed by Spark; same contract, same output."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    opts = engine.Options(**options)  # type: ignore[arg-type]
    spark = spark or get_session()
    parts = int(spark.conf.get("spark.sql.shuffle.partitions") or "4")
    lraw = _to_spark(spark, engine.with_rows(left))
    rraw = _to_spark(spark, engine.with_rows(right))

    # clean and compute blocking keys in one Python pass per list, then co-locate each prefecture
    def clean(frame: pl.DataFrame) -> pl.DataFrame:
        f = prepare(frame)
        return f.with_columns(keys=engine.key_list(f))

    LK = _map_rows(lraw, clean, _RAW_SCHEMA, _FEATURE_SCHEMA + ", keys array<string>").repartition(parts, "pref")
    RK = _map_rows(rraw, clean, _RAW_SCHEMA, _FEATURE_SCHEMA + ", keys array<string>").repartition(parts, "pref")
    LK, RK = LK.cache(), RK.cache()
    L, R = LK.drop("keys"), RK.drop("keys")

    # codes: exact joins; among several left rows the smallest cleaned name, then row, wins
    first_code = Window.partitionBy("row").orderBy(F.asc("name_l"), F.asc("left_row"))

    def first(pairs: DataFrame, rule: str) -> DataFrame:
        return (
            pairs.withColumn("k", F.row_number().over(first_code))
            .filter(F.col("k") == 1)
            .select("row", "left_row", F.lit(rule).alias("rule"))
        )

    lu = L.filter(F.col("uscc") != "").select(
        F.col("row").alias("left_row"), F.col("name_norm").alias("name_l"), "uscc"
    )
    by_uscc = first(R.filter(F.col("uscc") != "").select("row", "uscc").join(lu, "uscc"), "uscc")
    lo = L.filter(F.col("org") != "").select(
        F.col("row").alias("left_row"),
        F.col("name_norm").alias("name_l"),
        "org",
        F.col("uscc").alias("uscc_l"),
    )
    by_org = first(
        R.filter(F.col("org") != "")
        .select("row", "org", "uscc")
        .join(by_uscc.select("row"), "row", "left_anti")
        .join(lo, "org")
        .filter(~((F.col("uscc") != "") & (F.col("uscc_l") != "") & (F.col("uscc") != F.col("uscc_l")))),
        "org_code",
    )
    codes_s = by_uscc.unionByName(by_org).withColumnRenamed("row", "right_row").cache()
    todo = R.join(codes_s.select(F.col("right_row").alias("row")), "row", "left_anti").cache()

    # every count the scores need, in one Spark job
    fields = ("county", "pref", "trade", "form", "zh", "zh_py")
    kv = F.explode(F.array(F.lit("n\t"), *[F.concat(F.lit(f"{c}\t"), F.col(c)) for c in fields])).alias("kv")
    tally = (
        L.select(F.lit("L").alias("side"), kv)
        .unionByName(R.select(F.lit("R").alias("side"), kv))
        .groupBy("side", "kv")
        .count()
        .collect()
    )
    got: dict[tuple[str, str], dict[str, int]] = {}
    for side, key, n in tally:
        field, value = key.split("\t", 1)
        if field == "n" or value:
            got.setdefault((side, field), {})[value] = int(n)
    counts = {c: (got.get(("L", c), {}), got.get(("R", c), {})) for c in ("county", "pref", "trade", "form")}
    stats = engine.stats_from_counts(
        got.get(("L", "n"), {}).get("", 0),
        got.get(("R", "n"), {}).get("", 0),
        counts,
        got.get(("L", "zh"), {}),
        got.get(("L", "zh_py"), {}),
    )
    prefs = sorted(set(counts["pref"][0]) | set(counts["pref"][1]))

    every = spark.createDataFrame([(p,) for p in [*prefs, ""]], "p string")

    def keyed(frame: DataFrame) -> DataFrame:
        base = frame.select("row", "pref", F.explode("keys").alias("key"))
        known = base.filter(F.col("pref") != "").select("row", F.col("pref").alias("p"), "key")
        unknown = base.filter(F.col("pref") == "").crossJoin(every).select("row", "p", "key")
        return known.unionByName(unknown).repartition(parts, "p")

    lkeys = keyed(LK)
    rkeys = keyed(RK.join(codes_s.select(F.col("right_row").alias("row")), "row", "left_anti"))
    ln = lkeys.groupBy("p", "key").agg(F.count("*").alias("nl"))
    rn = rkeys.groupBy("p", "key").agg(F.count("*").alias("nr"))
    ok = ln.join(rn, ["p", "key"]).filter(F.col("nl") * F.col("nr") <= opts.max_block_pairs).select("p", "key")
    pairs = (
        lkeys.join(ok, ["p", "key"])
        .withColumnRenamed("row", "l")
        .join(rkeys.withColumnRenamed("row", "r"), ["p", "key"])
        .join(L.select(F.col("row").alias("l"), F.col("pref").alias("pl")), "l")
        .join(todo.select(F.col("row").alias("r"), F.col("pref").alias("pr")), "r")
        .filter((F.col("p") == "") | (F.col("pl") != "") | (F.col("pr") != ""))
        .select("l", "r")
        .distinct()
    )
    lf = L.select([F.col(c).alias("l" if c == "row" else f"{c}_l") for c in L.columns])
    rf = todo.select([F.col(c).alias("r" if c == "row" else f"{c}_r") for c in todo.columns])
    joined = pairs.join(lf, "l").join(rf, "r")

    def score(frame: pl.DataFrame) -> pl.DataFrame:
        s = engine.score_pairs(frame, stats, opts)
        return s.select(
            "l",
            "r",
            "weight",
            "prob",
            "veto",
            "agreed",
            "name_norm_l",
            same_core=pl.col("core_l") == pl.col("core_r"),
        )

    joined_ddl = ", ".join(
        [
            f"{'l' if c == 'row' else c + '_l'} {t}"
            for c, t in (p.strip().split(" ") for p in _FEATURE_SCHEMA.split(","))
        ]
        + [
            f"{'r' if c == 'row' else c + '_r'} {t}"
            for c, t in (p.strip().split(" ") for p in _FEATURE_SCHEMA.split(","))
        ]
    )
    joined = joined.select([c.split(" ")[0] for c in joined_ddl.split(", ")])
    scored = _map_rows(joined, score, joined_ddl, _SCORED_SCHEMA).cache()
    order = Window.partitionBy("r").orderBy(F.desc("weight"), F.asc("name_norm_l"), F.asc("l"))
    best = (
        scored.filter((F.col("veto") == "") & (F.col("prob") >= opts.threshold))
        .withColumn("k", F.row_number().over(order))
        .filter(F.col("k") == 1)
        .select(
            F.col("r").alias("right_row"),
            F.col("l").alias("left_row"),
            F.col("prob").alias("score"),
            F.when(F.col("same_core"), F.lit("name")).otherwise(F.lit("fuzzy")).alias("rule"),
            "agreed",
        )
    )
    vetoed = (
        scored.filter(F.col("veto") != "")
        .withColumn("k", F.row_number().over(order))
        .filter(F.col("k") == 1)
        .select(
            F.col("r").alias("right_row"),
            F.concat(F.lit("left "), F.col("l").cast("string"), F.lit(": "), F.col("veto")).alias("vetoed"),
        )
    )

    # one Spark job brings back everything the driver assembles
    text, num, dbl = F.lit(None).cast("string"), F.lit(None).cast("long"), F.lit(None).cast("double")
    cols = ("kind", "right_row", "left_row", "score", "rule", "agreed", "text")

    def name_rows(side: DataFrame, kind: str) -> DataFrame:
        """One side's normalised names, keyed by row, for --explain."""
        return side.select(
            F.lit(kind).alias("kind"),
            F.col("row").alias("right_row"),
            num.alias("left_row"),
            dbl.alias("score"),
            text.alias("rule"),
            text.alias("agreed"),
            F.col("name_norm").alias("text"),
        )

    everything = (
        best.select(
            F.lit("best").alias("kind"),
            "right_row",
            "left_row",
            "score",
            "rule",
            "agreed",
            text.alias("text"),
        )
        .unionByName(
            vetoed.select(
                F.lit("vetoed").alias("kind"),
                "right_row",
                num.alias("left_row"),
                dbl.alias("score"),
                text.alias("rule"),
                text.alias("agreed"),
                F.col("vetoed").alias("text"),
            )
        )
        .unionByName(
            codes_s.select(
                F.lit("code").alias("kind"),
                "right_row",
                "left_row",
                dbl.alias("score"),
                "rule",
                text.alias("agreed"),
                text.alias("text"),
            )
        )
        .unionByName(name_rows(L, "lname"))
        .unionByName(name_rows(R, "rname"))
        .select(*cols)
    )
    result = _collect(everything)
    part = {k: result.filter(pl.col("kind") == k) for k in ("best", "vetoed", "code", "lname", "rname")}
    names = (
        part["best"]
        .select("right_row", "left_row", "score", "rule", "agreed")
        .join(part["vetoed"].select("right_row", vetoed="text"), on="right_row", how="full", coalesce=True)
    )
    codes = part["code"].select("right_row", "left_row", "rule")
    lnames = part["lname"].select(row="right_row", name_norm="text")
    rnames = part["rname"].select(row="right_row", name_norm="text")
    for frame in (LK, RK, codes_s, todo, scored):
        frame.unpersist()
    return engine.assemble(rnames, codes, names, lnames, opts.explain)
