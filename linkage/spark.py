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
    "county string, pref string, uscc string, org string, zh_py string, branch_py string, addr string, "
    "headcount long"
)
_RAW_SCHEMA = "row long, name string, uscc string, org_code string, county string, address string, headcount string"
_SCORED_SCHEMA = (
    "l long, r long, weight double, prob double, veto string, agreed string, name_norm_l string, same_core boolean, "
    "cls string"
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

    # codes: exact joins in Spark; the (few) pairs are decided by the engine's own rule on the driver
    lu = L.filter(F.col("uscc") != "").select(
        F.col("row").alias("left_row"), F.col("name_norm").alias("name_l"), "uscc", F.col("zh").alias("zh_l")
    )
    by_uscc = (
        R.filter(F.col("uscc") != "")
        .select("row", "uscc", "zh")
        .join(lu, "uscc")
        .select("row", "left_row", "name_l", "zh", "zh_l", F.lit("uscc").alias("rule"))
    )
    lo = L.filter(F.col("org") != "").select(
        F.col("row").alias("left_row"),
        F.col("name_norm").alias("name_l"),
        "org",
        F.col("uscc").alias("uscc_l"),
        F.col("zh").alias("zh_l"),
    )
    by_org = (
        R.filter(F.col("org") != "")
        .select("row", "org", "uscc", "zh")
        .join(lo, "org")
        .filter(~((F.col("uscc") != "") & (F.col("uscc_l") != "") & (F.col("uscc") != F.col("uscc_l"))))
        .select("row", "left_row", "name_l", "zh", "zh_l", F.lit("org_code").alias("rule"))
    )
    codes = engine.pick_codes(_collect(by_uscc.unionByName(by_org)))
    strong = codes.filter(pl.col("decision") == "match")
    done_codes = spark.createDataFrame([(int(r),) for r in strong["right_row"].to_list()], "row long")
    rest = R.join(done_codes, "row", "left_anti")
    le = L.filter(F.col("name_norm") != "").select(
        "name_norm",
        F.col("row").alias("left_row"),
        F.col("uscc").alias("uscc_l"),
        F.col("org").alias("org_l"),
        F.col("county").alias("county_l"),
    )
    exact_pairs = (
        rest.filter(F.col("name_norm") != "")
        .select("row", "name_norm", "uscc", "org", "county")
        .join(le, "name_norm")
        .filter(
            ~((F.col("uscc") != "") & (F.col("uscc_l") != "") & (F.col("uscc") != F.col("uscc_l")))
            & ~((F.col("org") != "") & (F.col("org_l") != "") & (F.col("org") != F.col("org_l")))
            & ~((F.col("county") != "") & (F.col("county_l") != "") & (F.col("county") != F.col("county_l")))
        )
        .select(
            "row", "left_row", ((F.col("county") != "") & (F.col("county") == F.col("county_l"))).alias("same_county")
        )
    )
    exact = engine.pick_exact(_collect(exact_pairs))
    done = spark.createDataFrame(
        [(int(r),) for r in [*strong["right_row"].to_list(), *exact["right_row"].to_list()]], "row long"
    )
    todo = R.join(done, "row", "left_anti").cache()

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
    rkeys = keyed(RK.join(done, "row", "left_anti"))
    ln = lkeys.groupBy("p", "key").agg(F.count("*").alias("nl"))
    rn = rkeys.groupBy("p", "key").agg(F.count("*").alias("nr"))
    bounded = F.col("key").rlike(engine.BOUNDED_KEY)
    ok = (
        ln.join(rn, ["p", "key"])
        .filter((F.col("nl") * F.col("nr") <= opts.max_block_pairs) & ((F.col("nl") <= opts.max_block_left) | ~bounded))
        .select("p", "key")
    )
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
        return s.filter(pl.col("cls") != "none").select(
            "l",
            "r",
            "weight",
            "prob",
            "veto",
            "agreed",
            "name_norm_l",
            same_core=pl.col("core_l") == pl.col("core_r"),
            cls="cls",
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
    # per right row and class the best pair (the engine's ``winners``), then the engine decides
    order = Window.partitionBy("r", "cls").orderBy(F.desc("weight"), F.asc("name_norm_l"), F.asc("l"))
    won = scored.withColumn("k", F.row_number().over(order)).filter(F.col("k") == 1).select(*engine.WINNER_COLUMNS)
    names = engine.decide(pl.concat([engine.empty_winners(), _collect(won)]))

    def name_rows(side: DataFrame) -> pl.DataFrame:
        """One side's normalised names and what ``engine.near_pairs`` compares, keyed by row (for the
        review band's near-identical names, --explain and the output's order)."""
        return _collect(side.select(*engine.NEAR_COLUMNS))

    lnames, rnames = name_rows(L), name_rows(R)
    for frame in (LK, RK, todo, scored):
        frame.unpersist()
    near = engine.near_reviews(lnames, rnames, codes, exact, names)
    return engine.assemble(rnames, codes, exact, names, lnames, opts.explain, near)
