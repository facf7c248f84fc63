"""Spark as a target: a Spark Connect server (``sc://host:port``) or a standalone master (``spark://host:port``).

When an estate outgrows one machine the same plan runs on a cluster without rewriting anything:
the source tables a plan reads are copied into the Spark catalog, typed from the source schema,
as Parquet tables in a database of dict's own (``dict_views`` unless told), and the views are
created there as permanent catalog views in the Spark dialect. Sources are read where Spark can
reach them: PostgreSQL and MySQL/MariaDB over JDBC (Debian's driver jars), folders of Parquet or
CSV files (one per table), or, copied through this process, the SQLite and DuckDB files `dict run`
reads.

Materialized canonical tables are Parquet at a fresh path per run; every row is checked against
the table's constraints first (Spark enforces none), loadable rows are written, refused rows go to
``_refused`` with the reason. Only when every table of the run is written is each catalog table
pointed at its new path (``ALTER TABLE ... SET LOCATION``): a reader sees the old table or the new
one, never a half-written one. As everywhere, dict refuses a database holding objects it did not
create (``ownership.py``).

On a standalone master the catalog is Spark's in-memory one and lives as long as the command (its
source copies in a scratch folder); the canonical Parquet tables are written under ./spark-warehouse,
where the next run replaces them. A Spark Connect server keeps its catalog between commands.
"""
from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from sqlglot import exp

from toolkit.core.errors import DictError, Problem
from toolkit.emit.ddl import REFUSED_COLUMNS, create_table
from toolkit.core.names import CANONICAL_SCHEMA, REFUSED_TABLE, VIEWS_SCHEMA
from toolkit.emit.sql import _col, _id, integrated_statements, source_file_statements
from toolkit.plan.identity import shared_ids
from toolkit.plan import PROVENANCE, IntegratedPlan, Plan
from toolkit.run.engines import Engine, deploy
from toolkit.run.engines.data import SourceData, TableData, used_columns
from toolkit.run.engines.materialize import ClassLoad, _checked, _namespaces
from toolkit.run.engines.ownership import guard, present, register

SCHEMES = ("sc://", "spark://")
JARS = ("/usr/share/java/postgresql.jar", "/usr/share/java/mariadb-java-client.jar")
_JDBC = {"postgresql": ("postgresql", "org.postgresql.Driver"), "postgres": ("postgresql", "org.postgresql.Driver"),
         "mysql": ("mariadb", "org.mariadb.jdbc.Driver"), "mariadb": ("mariadb", "org.mariadb.jdbc.Driver")}
# deep generated expressions need a deep stack; the JVM's clock must not shift source timestamps
JAVA_OPTIONS = "-Duser.timezone=UTC -Xss64m"
# per session: UTC; the generated expressions are huge and each query reads few rows per task, so
# interpreting them beats compiling Java for every query (halves `dict run` on Chinook)
SESSION = {"spark.sql.session.timeZone": "UTC", "spark.sql.codegen.wholeStage": "false",
           "spark.sql.codegen.factoryMode": "NO_CODEGEN"}


def is_spark(target: str | None) -> bool:
    return bool(target) and target.startswith(SCHEMES)


def jars() -> list[str]:
    """The JDBC driver jars present here (Debian: libpostgresql-jdbc-java, libmariadb-java)."""
    return [j for j in JARS if Path(j).exists()]


def connect(url: str, extra_jars: list[str] = ()):
    """A SparkSession on the Connect server or standalone master ``url``, set up for the generated SQL
    (``extra_jars``: more jars for a standalone session; a Connect server has its own)."""
    from pyspark.sql import SparkSession

    try:
        if url.startswith("sc://"):
            spark = SparkSession.builder.remote(url).getOrCreate()
        else:
            import tempfile

            # a Spark Connect session made earlier in this process (or the shell) would turn the builder remote
            for variable in ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE"):
                os.environ.pop(variable, None)
            memory = os.environ.get("DICT_SPARK_MEMORY", "512m")
            # the in-memory catalog dies with this command: its managed tables (source copies) are scratch
            scratch = tempfile.mkdtemp(prefix="dict-spark-catalog-")
            spark = (SparkSession.builder.master(url).appName("dict")
                     .config("spark.sql.warehouse.dir", scratch)
                     .config("spark.jars", ",".join([*jars(), *extra_jars]))
                     .config("spark.driver.memory", memory).config("spark.executor.memory", memory)
                     .config("spark.driver.extraJavaOptions", JAVA_OPTIONS)
                     .config("spark.executor.extraJavaOptions", JAVA_OPTIONS)
                     .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                     .getOrCreate())
            spark.sparkContext.setLogLevel("ERROR")
        for key, value in SESSION.items():
            spark.conf.set(key, value)
    except Exception as exc:  # the client's own words: server down, wrong port, no Java
        raise DictError(Problem("--target", 1, f"cannot reach Spark at {url}: {_first_line(exc)}",
                                "start a Spark Connect server (sbin/start-connect-server.sh) or a standalone "
                                "master, see README 'When one machine is not enough'")) from None
    return spark


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


class SparkTarget(Engine):
    """A persistent Spark catalog: source copies and views in database ``views``, canonical tables as Parquet."""

    name = "spark"
    dialect_name = "spark"
    replace_tables = True

    def __init__(self, url: str, views: str = VIEWS_SCHEMA, spark=None):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", views):
            raise DictError(Problem("--schema", 1, f"'{views}' is not a Spark database name", "use letters, digits and _"))
        self.url = url
        self.views = views
        self.spark = spark or connect(url)
        self.sources: dict[str, Path | str] = {}
        # canonical Parquet tables: beside the server's catalog, or (standalone: no catalog outlives the command)
        # under ./spark-warehouse where the next run finds and replaces them
        self.output = str(Path.cwd() / "spark-warehouse") if not url.startswith("sc://") else None

    def execute(self, sql: str) -> None:
        self.spark.sql(sql)

    def query(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    # naming: every source table is a Parquet table _source_<schema>__<table> in the views' database
    def view_namespace(self) -> str:
        return self.views

    def physical(self, schema: str) -> str:
        return self.views

    def physical_table(self, schema: str, table: str) -> exp.Table:
        name = re.sub(r"[^A-Za-z0-9_]", "_", f"_source_{schema}__{table}")
        return exp.Table(this=_id(name), db=_id(self.views))

    def statement(self, node: exp.Expression) -> None:
        """One statement built as a tree, rendered as it is (no renaming of its tables, unlike ``run``)."""
        self.execute(node.sql(dialect="spark"))

    def create_schema(self, schema: str) -> None:
        self.create_namespace(self.views)
        self.statement(use(self.views))

    def create_namespace(self, name: str) -> None:
        self.statement(exp.Create(this=exp.Table(this=_id(name)), kind="DATABASE", exists=True))

    def objects(self, namespace: str) -> list[tuple[str, str]]:
        # SQL, not spark.catalog: its typed rows cannot be decoded with code generation off
        if namespace.lower() not in {str(r[0]).lower() for r in self.query(show("DATABASES"))}:
            return []
        views = {str(r[1]).lower() for r in self.query(show("VIEWS", namespace)) if not r[2]}
        return [(str(r[1]).lower(), "VIEW" if str(r[1]).lower() in views else "TABLE")
                for r in self.query(show("TABLES", namespace)) if not r[2]]

    def drop_table(self, table: exp.Table) -> None:
        self.statement(exp.Drop(tables=[table.copy()], kind="TABLE", exists=True))

    # sources ------------------------------------------------------------------------------
    def load_source(self, data: SourceData) -> None:
        self.loaded_schemas.add(data.source.database_schema)
        self.create_schema(data.source.database_schema)
        where = self.sources.get(data.source.name)
        for table in data.tables:
            frame = self._frame(data, table, where)
            name = self.physical_table(data.source.database_schema, table.table.name)
            frame.write.mode("overwrite").format("parquet").saveAsTable(name.sql(dialect="spark"))

    def load_table(self, schema: str, data: TableData) -> None:
        raise NotImplementedError("SparkTarget loads whole sources (load_source)")

    def _frame(self, data: SourceData, table: TableData, where):
        """The table's used columns as a DataFrame of their canonical types, read where Spark can reach them."""
        from pyspark.sql import functions as F

        from toolkit.run.engines.spark import SparkEngine

        types = [SparkEngine._spark_type(self, c) for c in table.columns]
        if where is None:   # rows read here (SQLite or DuckDB file): sent to Spark as they are
            from pyspark.sql import types as T

            struct = T.StructType([T.StructField(c.name, t, True) for c, t in zip(table.columns, types)])
            return self.spark.createDataFrame(table.rows, struct)
        raw = self._read(data, table.table.name, where)
        present_columns = {c.lower(): c for c in raw.columns}
        missing = [c.name for c in table.columns if c.name.lower() not in present_columns]
        if missing:
            raise DictError(Problem("--data", 1, f"source '{data.source.name}': table '{table.table.name}' has no column "
                                    f"{', '.join(missing[:6])}", f"its columns must match mappings/{data.source.name}.source.yaml"))
        return raw.select(*[F.col(_id(present_columns[c.name.lower()]).sql(dialect="spark")).cast(t).alias(c.name)
                            for c, t in zip(table.columns, types)])

    def _read(self, data: SourceData, table: str, where):
        try:
            if isinstance(where, str):
                return _jdbc(self.spark, data, table, where)
            return _files(self.spark, table, where)
        except DictError:
            raise
        except Exception as exc:
            raise DictError(Problem("--data", 1, f"source '{data.source.name}': cannot read table '{table}': "
                                    f"{_first_line(exc)}", "check the location and that Spark can reach it")) from None


class SparkCatalogViews(SparkTarget):
    """`dict deploy --target sc://…`: the views in database ``views`` of the Spark catalog, reading the legacy tables
    where they already are (database ``database_schema`` of each mapping: a lakehouse's tables). Nothing is copied."""

    def physical_table(self, schema: str, table: str) -> exp.Table:
        return exp.Table(this=_id(table), db=_id(schema))

    def create_namespace(self, name: str) -> None:
        super().create_namespace(name)
        if name == self.views:   # a permanent view resolves its unqualified names in the database it was made in
            self.statement(use(self.views))


def _jdbc(spark, data: SourceData, table: str, url: str):
    """A legacy table over JDBC, read where it is (the same URL `dict run` takes for DuckDB's scanners)."""
    from toolkit.load.introspect import public_url

    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme not in _JDBC:
        raise DictError(Problem("--data", 1, f"source '{data.source.name}': cannot read {public_url(url)} on Spark",
                                "give a postgresql:// or mysql:// URL, a folder of Parquet/CSV files, or a SQLite/DuckDB file"))
    kind, driver = _JDBC[scheme]
    query = dict(parse_qsl(parts.query))
    host = f"{parts.hostname or '127.0.0.1'}:{parts.port or (5432 if kind == 'postgresql' else 3306)}"
    database = parts.path.lstrip("/")
    if kind == "postgresql":
        schema = query.get("schema") or data.source.schema.database_schema or "public"
        dbtable = f'"{schema.replace(chr(34), chr(34) * 2)}"."{table.replace(chr(34), chr(34) * 2)}"'
    else:
        dbtable = f"`{database.replace('`', '``')}`.`{table.replace('`', '``')}`"
    # Spark's MySQL dialect (backquoted names) answers to jdbc:mysql: URLs, which MariaDB's driver takes when told so
    jdbc_url = f"jdbc:postgresql://{host}/{database}" if kind == "postgresql" else f"jdbc:mysql://{host}/{database}?permitMysqlScheme"
    reader = (spark.read.format("jdbc").option("url", jdbc_url).option("driver", driver)
              .option("dbtable", dbtable).option("preferTimestampNTZ", "true")
              .option("user", unquote(parts.username or ("postgres" if kind == "postgresql" else "root"))))
    password = unquote(parts.password) if parts.password else os.environ.get("PGPASSWORD" if kind == "postgresql" else "MYSQL_PWD")
    if password:
        reader = reader.option("password", password)
    return reader.load()


def _files(spark, table: str, folder: Path):
    """``folder/<table>.parquet`` or ``folder/<table>.csv`` (a file or a folder of parts; CSV with a header)."""
    for suffix, read in ((".parquet", lambda p: spark.read.parquet(p)),
                         (".csv", lambda p: spark.read.option("header", "true").csv(p))):
        path = folder / f"{table}{suffix}"
        if path.exists():
            return read(str(path.resolve()))
    raise DictError(Problem("--data", 1, f"{folder} has no {table}.parquet or {table}.csv",
                            "a folder source holds one Parquet or CSV file (or folder of parts) per source table"))


def read_sources(plan: Plan, data: dict[str, Path | str]) -> tuple[list[SourceData], dict[str, Path | str]]:
    """The sources' data for Spark: rows read here for SQLite/DuckDB files; for URLs and Parquet/CSV folders only
    the plan's tables and columns (Spark reads the rows where they are). Returns the data and where Spark reads it."""
    from toolkit.run.engines.materialize import read_sources as read_here

    known = {s.name for s in plan.sources}
    for name in data:
        if name not in known:
            raise DictError(Problem("--data", 1, f"no mapping for source '{name}'", f"mapped sources: {', '.join(sorted(known))}"))
    remote = {n: w for n, w in data.items() if isinstance(w, str) or (isinstance(w, Path) and w.is_dir())}
    local = read_here(plan, {n: w for n, w in data.items() if n not in remote})
    out = {d.source.name: d for d in local}
    for name in remote:
        sp = plan.source(name)
        tables = tuple(TableData(sp.schema.tables[t], tuple(sp.schema.tables[t].columns[c] for c in cols), [])
                       for t, cols in used_columns(plan, name).items())
        out[name] = SourceData(sp, tables)
    return [out[n] for n in data], remote


def open_target(url: str, views: str, data: dict[str, Path | str]) -> SparkTarget:
    engine = SparkTarget(url, views)
    engine.sources = data
    return engine


def run(engine: SparkTarget, plan: Plan, data: list[SourceData]):
    """`dict run` on Spark: the source copies and views in the views' database, then the same reconciliation."""
    from toolkit.run.engines.reconcile import report

    owned = guard(engine, [engine.views], engine.views, "--target")
    engine.create_namespace(engine.views)
    register(engine, engine.views, owned | _will_create(engine, plan, data))   # a killed run leaves only dict's objects
    deployed = deploy(engine, plan, data)
    register(engine, engine.views, present(engine, [engine.views]))
    return report(engine, deployed)


def materialize(engine: SparkTarget, plan: Plan, data: list[SourceData], schema: str = CANONICAL_SCHEMA) -> list[ClassLoad]:
    """Every integrated view into its canonical Parquet table in database ``schema``; swapped in only when all are written."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", schema):
        raise DictError(Problem("--schema", 1, f"'{schema}' is not a Spark database name", "use letters, digits and _"))
    namespaces = _namespaces(engine, data, schema)
    owned = guard(engine, namespaces, schema)
    try:
        engine.create_namespace(schema)
        classes = [i.target for i in plan.restrict([d.source.name for d in data]).integrated]
        finals = {c.table_name for c in classes} | {REFUSED_TABLE}
        run_id = uuid.uuid4().hex[:12]
        partitioned = {(schema, f"{c.table_name}__v{run_id}", "TABLE") for c in classes if c.partition_by}
        partitioned |= {(schema, c.table_name, "VIEW") for c in classes if c.partition_by}
        register(engine, schema, owned | _will_create(engine, plan, data) | {(schema, f.lower(), "TABLE") for f in finals}
                 | partitioned)
        deployed = deploy(engine, plan, data)
        root = _root(engine, schema)
        written: dict[str, str] = {}
        loads, refused = [], []
        for integrated in deployed.integrated:
            load, rejects, path = _write_class(engine, integrated, schema, f"{root}/{integrated.target.table_name}/v{run_id}")
            loads.append(load)
            refused.append(rejects)
            written[integrated.target.table_name] = path
        written[REFUSED_TABLE] = _write_refused(engine, refused, f"{root}/{REFUSED_TABLE}/v{run_id}")
        partitioned = {i.target.table_name: i for i in deployed.integrated if i.target.partition_by}
        for table, path in written.items():
            if table in partitioned:
                _swap_partitioned(engine, schema, partitioned[table], path)
            else:
                _swap(engine, schema, table, path)
        register(engine, schema, present(engine, namespaces))
    except DictError:
        raise
    except Exception as exc:
        raise DictError(Problem("--target", 1, f"materialize failed: {_first_line(exc)}; the previous canonical tables are "
                                "intact", "see the Spark message; fix the source or the mapping and run again")) from None
    _retire(root, written)
    return loads


def _will_create(engine: SparkTarget, plan: Plan, data: list[SourceData]) -> set[tuple[str, str, str]]:
    """The source copies and views a run creates in the views' database (the catalog keeps names in lower case)."""
    deployed = plan.restrict([d.source.name for d in data])
    out = {(engine.views, engine.physical_table(d.source.database_schema, t.table.name).name.lower(), "TABLE")
           for d in data for t in d.tables}
    out |= {(engine.views, name.lower(), "VIEW") for s in deployed.sources for name, _ in source_file_statements(s)}
    out |= {(engine.views, name.lower(), "VIEW") for name, _ in integrated_statements(deployed)}
    return out


def _root(engine: SparkTarget, schema: str) -> str:
    """Where the canonical tables' versions are written: beside the catalog's own files of that database."""
    warehouse = engine.output or engine.spark.conf.get("spark.sql.warehouse.dir")
    return f"{warehouse.rstrip('/')}/{schema}.dict"


def _typed(integrated: IntegratedPlan, engine: SparkTarget) -> list[exp.Expression]:
    """The canonical columns cast to the DDL's types (what `dict generate ddl --dialect spark` declares)."""
    ddl = create_table(integrated.target, engine.dialect, exp.Table(this=_id("t")))
    types = {d.name: d.args["kind"] for d in ddl.this.expressions if isinstance(d, exp.ColumnDef)}
    columns = [s.name for s in integrated.target.slots] + list(PROVENANCE)
    return [exp.alias_(exp.Cast(this=_col(c, "c"), to=types[c].copy()) if c in types else _col(c, "c"), c, quoted=True)
            for c in columns]


def _write_class(engine: SparkTarget, integrated: IntegratedPlan, schema: str, path: str):
    cls = integrated.target
    checked = _checked(integrated, engine)
    loadable = exp.select(*_typed(integrated, engine)).from_(checked).where(
        exp.Is(this=_col("_reason", "c"), expression=exp.null()))
    writer = engine.spark.sql(engine.dialect.to_sql(engine.dialect.rewrite(loadable))).write.mode("error")
    if cls.partition_by:   # a folder per value: <slot>=<value>/ (the dictionary's partition_by annotation)
        writer = writer.partitionBy(*cls.partition_by)
    writer.parquet(path)
    key = cls.identifier.name if cls.identifier else None
    reasons = exp.select(exp.alias_(exp.Literal.string(cls.name), "_target_class", quoted=True),
                         exp.alias_(exp.cast(_col(key, "c"), "STRING") if key else exp.cast(exp.null(), "STRING"), "id", quoted=True),
                         *[_col(c, "c") for c in PROVENANCE], exp.alias_(_col("_reason", "c"), "_reason", quoted=True)
                         ).from_(checked.copy()).where(exp.Not(this=exp.Is(this=_col("_reason", "c"), expression=exp.null())))
    rows = engine.select(reasons)
    count = exp.select(exp.Count(this=exp.Star()))
    view_rows = engine.select(count.copy().from_(exp.Table(this=_id(integrated.view_name))))[0][0]
    loaded = engine.spark.read.parquet(path).count()
    refused = tuple(sorted(tuple("" if v is None else str(v) for v in r[1:]) for r in rows))
    load = ClassLoad(cls.name, f"{schema}.{cls.table_name}", int(view_rows), int(loaded), refused,
                     shared_ids(integrated, engine.select))
    return load, rows, path


def _write_refused(engine: SparkTarget, refused: list[list[tuple]], path: str) -> str:
    from pyspark.sql import types as T

    struct = T.StructType([T.StructField(c, T.StringType(), True) for c in REFUSED_COLUMNS])
    rows = [tuple(None if v is None else str(v) for v in r) for rows in refused for r in rows]
    engine.spark.createDataFrame(rows, struct).write.mode("error").parquet(path)
    return path


# statements Spark runs on dict's names and paths: trees whose names are quoted identifiers and paths string literals
def use(database: str) -> exp.Use:
    return exp.Use(this=exp.Table(this=_id(database)))


def show(what: str, database: str | None = None) -> str:
    """``SHOW DATABASES|TABLES|VIEWS [IN db]``: sqlglot has no node for Spark's SHOW; the name is a quoted identifier."""
    if what not in ("DATABASES", "TABLES", "VIEWS"):
        raise ValueError(what)
    where = f" IN {_id(database).sql(dialect='spark')}" if database is not None else ""
    return exp.Command(this="SHOW", expression=f"{what}{where}").sql(dialect="spark")


def set_location(table: exp.Table, path: str) -> exp.Alter:
    return exp.Alter(this=table.copy(), kind="TABLE", actions=[exp.AlterSet(location=exp.Literal.string(path))])


def refresh(table: exp.Table) -> exp.Refresh:
    return exp.Refresh(this=table.copy(), kind="TABLE")


def parquet_table(table: exp.Table, path: str, columns: list[tuple[str, exp.DataType]] | None = None,
                  partition_by: tuple[str, ...] = ()) -> exp.Create:
    """``CREATE TABLE t [(columns)] USING parquet [PARTITIONED BY (keys)] LOCATION 'path'``."""
    properties: list[exp.Expression] = [exp.FileFormatProperty(this=exp.var("parquet"))]
    if partition_by:
        properties.append(exp.PartitionedByProperty(this=exp.Schema(expressions=[_id(k) for k in partition_by])))
    properties.append(exp.LocationProperty(this=exp.Literal.string(path)))
    this = table.copy() if columns is None else exp.Schema(
        this=table.copy(), expressions=[exp.ColumnDef(this=_id(c), kind=t.copy()) for c, t in columns])
    return exp.Create(this=this, kind="TABLE", properties=exp.Properties(expressions=properties))


def recover_partitions(table: exp.Table) -> exp.Command:
    """``ALTER TABLE t RECOVER PARTITIONS``: no sqlglot node; the table is rendered by sqlglot (quoted identifiers)."""
    return exp.Command(this="ALTER", expression=f"TABLE {table.sql(dialect='spark')} RECOVER PARTITIONS")


def _swap(engine: SparkTarget, schema: str, table: str, path: str) -> None:
    """Point the catalog table at its new version: one ALTER, so a reader sees the old rows or the new ones."""
    name = exp.Table(this=_id(table), db=_id(schema))
    existing = {n for n, k in engine.objects(schema) if k == "TABLE"}
    if table in existing:
        same = engine.spark.table(name.sql(dialect="spark")).schema == engine.spark.read.parquet(path).schema
        if same:
            engine.statement(set_location(name, path))
            engine.statement(refresh(name))
            return
        # the dictionary changed the columns: the table is created anew
        engine.statement(exp.Drop(tables=[name.copy()], kind="TABLE"))
    engine.statement(parquet_table(name, path))


def _swap_partitioned(engine: SparkTarget, schema: str, integrated: IntegratedPlan, path: str) -> None:
    """A partitioned version becomes table ``<table>__v<run>`` (typed as the DDL, its partitions listed in the catalog);
    the name readers use is a view over it, replaced by one CREATE OR REPLACE VIEW: the old rows or the new ones.
    (The catalog lists a partitioned table's folders itself, so moving its location would show none for a while.)"""
    cls = integrated.target
    table = cls.table_name
    version = exp.Table(this=_id(f"{table}__{path.rsplit('/', 1)[-1]}"), db=_id(schema))
    ddl = create_table(cls, engine.dialect, exp.Table(this=_id("t")))
    types = {d.name: d.args["kind"] for d in ddl.this.expressions if isinstance(d, exp.ColumnDef)}
    columns = [s.name for s in cls.slots] + list(PROVENANCE)
    stored = [c for c in columns if c not in cls.partition_by] + list(cls.partition_by)   # Spark keeps them last
    defs = [(c, types.get(c) or exp.DataType.build("STRING")) for c in stored]
    engine.statement(parquet_table(version, path, defs, tuple(cls.partition_by)))
    engine.statement(recover_partitions(version))
    final = exp.Table(this=_id(table), db=_id(schema))
    kinds = dict(engine.objects(schema))
    if kinds.get(table.lower()) == "TABLE":   # an unpartitioned version before: the name becomes a view
        engine.drop_table(final)
    view = exp.select(*[_id(c) for c in columns]).from_(version.copy())
    engine.run(exp.Create(this=final, kind="VIEW", replace=True, expression=view))
    for old, kind in engine.objects(schema):   # earlier versions no reader can reach any more
        if kind == "TABLE" and re.fullmatch(re.escape(table.lower()) + r"__v[0-9a-f]{12}", old) and old != version.name.lower():
            engine.drop_table(exp.Table(this=_id(old), db=_id(schema)))


def _retire(root: str, written: dict[str, str]) -> None:
    """Earlier versions dict wrote (v<run id> folders beside the new one), where this process can reach them."""
    local = root[len("file:"):] if root.startswith("file:") else root
    if "://" in local or not Path(local).is_dir():
        return   # a remote file system: earlier versions stay for the cluster's own clean-up
    for table, path in written.items():
        keep = path.rsplit("/", 1)[-1]
        folder = Path(local) / table
        for old in folder.glob("v*"):
            if old.name != keep and re.fullmatch(r"v[0-9a-f]{12}", old.name):
                shutil.rmtree(old, ignore_errors=True)


def run_on_spark(plan: Plan, url: str, views: str, data: dict[str, Path | str]):
    """`dict run --target sc://…|spark://…`: the reconciliation of every derivation, computed on Spark."""
    sources, where = read_sources(plan, data)
    engine = open_target(url, views, where)
    return run(engine, plan, sources)


def materialize_on_spark(plan: Plan, url: str, views: str, schema: str, data: dict[str, Path | str]):
    """`dict materialize --target sc://…|spark://…`: the class loads and the views' rejects."""
    from toolkit.run.engines.materialize import view_rejects

    sources, where = read_sources(plan, data)
    engine = open_target(url, views, where)
    loads = materialize(engine, plan, sources, schema)
    return loads, view_rejects(engine, plan, sources)
