"""Running the generated views on real engines: DuckDB, SQLite, PostgreSQL, MySQL/MariaDB, Spark.

An ``Engine`` is a connection that can hold source tables in schemas named after each
source's ``database_schema`` and run one dialect's SQL. ``deploy`` copies the source data a
plan reads into it (typed, from the source schema), creates every view in that engine's
dialect, and ``results`` reads back the canonical rows and rejects, per canonical class.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from toolkit import dialects
from toolkit.dialects import Dialect
from toolkit.emit.sql import _id, integrated_statements, join_check_name, join_check_select, source_file_statements
from toolkit.core.names import ALL_REJECTS
from toolkit.plan import PROVENANCE, REJECT_COLUMNS, Plan, ViewPlan
from toolkit.load.source_schema import Column
from toolkit.core.types import SQL_TYPES, Type
from toolkit.run.engines.data import SourceData, TableData, decimal_digits


class Engine:
    """One engine connection. Subclasses implement the four primitives; the rest is shared."""

    name = ""
    dialect_name = ""

    @property
    def dialect(self) -> Dialect:
        return dialects.get(self.dialect_name)

    # primitives ------------------------------------------------------------------------
    def execute(self, sql: str) -> None:
        raise NotImplementedError

    def query(self, sql: str) -> list[tuple]:
        raise NotImplementedError

    def create_schema(self, schema: str) -> None:
        self.execute(self.dialect.to_sql(exp.Create(this=exp.Table(this=_id(self.physical(schema))), kind="SCHEMA", exists=True)))

    def load_table(self, schema: str, data: TableData) -> None:
        raise NotImplementedError

    def load_source(self, data: SourceData) -> None:
        """Put a source's tables in the schema named after its database_schema."""
        self.loaded_schemas.add(data.source.database_schema)
        self.create_schema(data.source.database_schema)
        for table in data.tables:
            self.load_table(data.source.database_schema, table)

    def close(self) -> None:
        pass

    # ownership and transactions (persistent targets) -----------------------------------------
    def objects(self, namespace: str) -> list[tuple[str, str]]:
        """(name, kind) of every table, view, sequence and routine in ``namespace``, whoever created it."""
        raise NotImplementedError(f"{self.name} cannot list a schema's objects")

    def view_namespace(self) -> str:
        """The schema unqualified views are created in."""
        raise NotImplementedError

    def view_dependencies(self) -> list[tuple[tuple[str, str], tuple[str, str]]]:
        """(view, what it reads) as (schema, name) pairs, where the engine refuses to drop what a view reads."""
        return []

    transactional_ddl = False  # CREATE/DROP TABLE roll back with the transaction (PostgreSQL, DuckDB)

    def begin(self) -> None:
        self.execute("BEGIN")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        self.execute("ROLLBACK")

    def create_namespace(self, name: str) -> None:
        """A schema (a database on MySQL) with exactly this name, for tables the user asked for."""
        self.execute(self.dialect.to_sql(exp.Create(this=exp.Table(this=_id(name)), kind="SCHEMA", exists=True)))

    replace_tables = False   # a persistent target: drop a table before creating it again

    @property
    def loaded_schemas(self) -> set[str]:
        """Source schemas loaded into this engine (the only ones ``locate`` moves)."""
        return self.__dict__.setdefault("_loaded_schemas", set())

    def create_table(self, schema: str, data: TableData) -> None:
        if self.replace_tables:
            self.drop_table(self.physical_table(schema, data.table.name))
        self.execute(self.create_table_sql(schema, data))

    def drop_table(self, table: exp.Table) -> None:
        self.execute(self.dialect.to_sql(exp.Drop(tables=[table.copy()], kind="TABLE", exists=True,
                                                  cascade=self.dialect_name == "postgres" and not self.replace_tables)))

    # naming -----------------------------------------------------------------------------
    def physical(self, schema: str) -> str:
        """Where a source's database_schema lives in this engine (MySQL prefixes it per test run)."""
        return schema

    def physical_table(self, schema: str, table: str) -> exp.Table:
        """Where a source table is stored in this engine."""
        return exp.Table(this=_id(table), db=_id(self.physical(schema)))

    def locate(self, statement: exp.Expression) -> exp.Expression:
        """``statement`` reading each source table where this engine stores it (only table names change)."""
        for table in list(statement.find_all(exp.Table)):
            if table.args.get("db") is not None and table.db in self.loaded_schemas:
                where = self.physical_table(table.db, table.name)
                table.set("db", where.args.get("db"))
                table.set("this", where.this)
        if self.temporary_views and isinstance(statement, exp.Create) and (statement.args.get("kind") or "").upper() == "VIEW":
            statement.set("properties", exp.Properties(expressions=[exp.TemporaryProperty()]))
        return statement

    temporary_views = False   # create the views as session views (Spark: they read session tables)

    # shared -----------------------------------------------------------------------------
    def column_type(self, column: Column, key: bool = False) -> exp.DataType:
        """The SQL type a source column is loaded as."""
        if column.type is Type.DECIMAL:
            p, s = decimal_digits(column)
            return exp.DataType.build(f"DECIMAL({p}, {s})")
        return SQL_TYPES[column.type].copy()

    def create_table_sql(self, schema: str, data: TableData) -> str:
        key = set(data.table.primary_key)
        cols = [exp.ColumnDef(this=_id(c.name), kind=self.column_type(c, c.name in key)) for c in data.columns]
        pk = [c for c in data.table.primary_key if c in {col.name for col in data.columns}]
        if pk and len(pk) == len(data.table.primary_key):
            cols.append(exp.PrimaryKey(expressions=[_id(c) for c in pk]))
        table = self.physical_table(schema, data.table.name)
        return self.dialect.to_sql(exp.Create(this=exp.Schema(this=table, expressions=cols), kind="TABLE"))

    def run(self, statement: exp.Expression) -> None:
        for sql in self.dialect.statements(self.locate(statement.copy())):
            self.execute(sql)

    def select(self, query: exp.Expression) -> list[tuple]:
        return self.query(self.dialect.to_sql(self.dialect.rewrite(query.copy())))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def deploy(engine: Engine, plan: Plan, data: list[SourceData]) -> Plan:
    """Copy the sources' data into ``engine`` and create their views and the integrated views over them."""
    for d in data:
        engine.load_source(d)
    plan = plan.restrict([d.source.name for d in data])
    create_views(engine, plan)
    return plan


def create_views(engine: Engine, plan: Plan) -> None:
    for source in plan.sources:
        for _name, stmt in source_file_statements(source):
            engine.run(stmt)
    for _name, stmt in integrated_statements(plan):
        engine.run(stmt)


@dataclass(frozen=True)
class ClassRows:
    """What one engine produced for one canonical class: column names and rows (raw engine values)."""

    columns: tuple[str, ...]
    types: tuple[Type, ...]
    rows: list[tuple]


def results(engine: Engine, plan: Plan) -> dict[str, ClassRows]:
    """Canonical rows of every integrated view, and all rejects (``rejects``), read from ``engine``."""
    out = {}
    for integrated in plan.integrated:
        slots = integrated.target.slots
        names = tuple(s.name for s in slots) + PROVENANCE
        types = tuple(s.type for s in slots) + (Type.STRING,) * len(PROVENANCE)
        out[integrated.view_name] = ClassRows(names, types, _read(engine, integrated.view_name, names))
    if plan.views():
        out[ALL_REJECTS] = ClassRows(REJECT_COLUMNS, (Type.STRING,) * len(REJECT_COLUMNS),
                                     _read(engine, ALL_REJECTS, REJECT_COLUMNS))
    return out


def join_violations(engine: Engine, view: ViewPlan) -> list[tuple[str, str, int]]:
    """(source key, join alias, matches) for every driving row a to_one join matched more than once."""
    if join_check_select(view) is None:   # no join declared to_one
        return []
    return [(str(k), str(j), int(n)) for k, j, n in _read(engine, join_check_name(view), ("_source_key", "_join", "_matches"))]


def _read(engine: Engine, view: str, columns: tuple[str, ...]) -> list[tuple]:
    return engine.select(exp.select(*[exp.column(_id(c)) for c in columns]).from_(exp.Table(this=_id(view))))



ENGINES = ("duckdb", "sqlite", "postgres", "mysql", "spark")
