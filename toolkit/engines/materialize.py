"""`dict materialize`: load the integrated views into canonical tables that enforce the dictionary.

The sources' data is copied into the target (schemas named after the sources), the views are
created there, and every canonical class gets a table (``dict generate ddl``) in the target
schema, replaced on each run. Rows go in only if they meet the table's constraints; a row that
does not (an identifier two rows share, a required value missing, an enum, pattern or range
violated) is not loaded but recorded, with its provenance and the reason, in ``_refused`` and
in the report: view rows = loaded + refused, per class.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from sqlglot import exp

from ..errors import DictError, Problem
from ..generators.sql import _col, _id
from ..generators.ddl import REFUSED_COLUMNS, REFUSED_TABLE, create_table, refused_table, slot_checks
from ..plan import PROVENANCE, IntegratedPlan, Plan
from ..source_schema import file_head
from . import Engine, deploy
from .data import SourceData, read_source


@dataclass(frozen=True)
class ClassLoad:
    class_name: str
    table: str
    view_rows: int
    loaded: int
    refused: tuple[tuple[str, ...], ...]   # (id, source system, source table, source key, reason)

    @property
    def balanced(self) -> bool:
        return self.view_rows == self.loaded + len(self.refused)


def open_target(target: str) -> Engine:
    """An engine for ``duckdb:PATH``, ``postgresql://...`` or ``mysql://...`` (the database must be named)."""
    if target.startswith("duckdb:"):
        from .duckdb import DuckDBEngine

        path = target[len("duckdb:"):]
        if not path:
            raise DictError(Problem("--target", 1, "duckdb: needs a file", "e.g. --target duckdb:canonical.duckdb"))
        engine: Engine = DuckDBEngine(path)
    elif target.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresEngine

        database = urlparse(target).path.lstrip("/")
        if not database:
            raise DictError(Problem("--target", 1, "the PostgreSQL URL names no database",
                                    "e.g. --target postgresql://postgres@127.0.0.1:5432/warehouse"))
        engine = _connect(lambda: PostgresEngine(target, database=database, keep=True), target)
    elif target.startswith("mysql://"):
        from .mysql import MySQLEngine

        database = urlparse(target).path.lstrip("/")
        if not database:
            raise DictError(Problem("--target", 1, "the MySQL URL names no database",
                                    "e.g. --target mysql://root@127.0.0.1:3306/warehouse"))
        engine = _connect(lambda: MySQLEngine(target, prefix=database, keep=True), target)
    else:
        raise DictError(Problem("--target", 1, f"unknown target '{target}'",
                                "use duckdb:PATH, postgresql://USER@HOST:PORT/DB or mysql://USER@HOST:PORT/DB"))
    engine.replace_tables = True
    return engine


def _connect(make, target: str) -> Engine:
    try:
        return make()
    except Exception as exc:  # the driver's own error says what is wrong (server down, no such database)
        raise DictError(Problem("--target", 1, f"cannot connect to {target}: {str(exc).strip().splitlines()[0]}",
                                "check the server is running and the database exists")) from None


def read_sources(plan: Plan, data: dict[str, Path]) -> list[SourceData]:
    """Each source's used tables from its SQLite file or DuckDB database (schema = its database_schema)."""
    import duckdb

    known = {s.name for s in plan.sources}
    out = []
    for name, path in data.items():
        if name not in known:
            raise DictError(Problem("--data", 1, f"no mapping for source '{name}'", f"mapped sources: {', '.join(sorted(known))}"))
        if not path.exists():
            raise DictError(Problem(str(path), 1, f"data for source '{name}' not found"))
        if file_head(path).startswith(b"SQLite format 3"):
            out.append(read_source(plan, name, path))
        else:
            con = duckdb.connect(str(path), read_only=True)
            try:
                out.append(read_source(plan, name, duckdb_con=con))
            finally:
                con.close()
    return out


def materialize(engine: Engine, plan: Plan, data: list[SourceData], schema: str = "canonical") -> list[ClassLoad]:
    """Load every integrated view of ``data``'s sources into its canonical table in ``schema``."""
    deployed = deploy(engine, plan, data)
    engine.create_namespace(schema)
    refused = _table(schema, REFUSED_TABLE)
    engine.drop_table(refused)
    engine.run(refused_table(engine.dialect, refused))
    return [_load_class(engine, integrated, schema, refused) for integrated in deployed.integrated]


def _load_class(engine: Engine, integrated: IntegratedPlan, schema: str, refused: exp.Table) -> ClassLoad:
    cls = integrated.target
    table = _table(schema, cls.table_name)
    engine.drop_table(table)
    engine.run(create_table(cls, engine.dialect, table))
    columns = [s.name for s in cls.slots] + list(PROVENANCE)
    checked = _checked(integrated, engine)
    engine.run(exp.insert(
        exp.select(*[_col(c, "c") for c in columns]).from_(checked).where(exp.Is(this=_col("_reason", "c"), expression=exp.null())),
        table.copy(), columns=[_id(c) for c in columns]))
    key = cls.identifier.name if cls.identifier else None
    reasons = [exp.alias_(exp.Literal.string(cls.name), "_target_class", quoted=True),
               exp.alias_(_col(key, "c") if key else exp.null(), "id", quoted=True)] + \
              [_col(c, "c") for c in PROVENANCE] + [exp.alias_(_col("_reason", "c"), "_reason", quoted=True)]
    engine.run(exp.insert(
        exp.select(*reasons).from_(checked.copy()).where(exp.Not(this=exp.Is(this=_col("_reason", "c"), expression=exp.null()))),
        refused.copy(), columns=[_id(c) for c in REFUSED_COLUMNS]))
    count = exp.select(exp.Count(this=exp.Star()))
    view_rows = engine.select(count.copy().from_(exp.Table(this=_id(integrated.view_name))))[0][0]
    loaded = engine.select(count.copy().from_(table.copy()))[0][0]
    rows = engine.select(exp.select(*[_id(c) for c in REFUSED_COLUMNS[1:]]).from_(refused.copy())
                         .where(exp.EQ(this=exp.column(_id("_target_class")), expression=exp.Literal.string(cls.name))))
    return ClassLoad(cls.name, f"{schema}.{cls.table_name}", int(view_rows), int(loaded),
                     tuple(sorted(tuple("" if v is None else str(v) for v in r) for r in rows)))


def _checked(integrated: IntegratedPlan, engine: Engine) -> exp.Subquery:
    """The integrated view's rows with the first table constraint each breaks (NULL: loadable)."""
    cls = integrated.target
    view = exp.Table(this=_id(integrated.view_name))
    ifs = []
    key = cls.identifier
    if key is not None:
        k = _col(key.name, "v")
        ifs.append(exp.If(this=exp.Is(this=k.copy(), expression=exp.null()), true=exp.Literal.string(f"{key.name} is empty")))
        shared = exp.select(_id(key.name)).from_(view.copy()).group_by(_id(key.name)).having(
            exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        ifs.append(exp.If(this=exp.In(this=k.copy(), query=exp.Subquery(this=shared)),
                          true=exp.Literal.string(f"{key.name} is not unique: another row of {cls.name} has the same {key.name}")))
    for slot in cls.slots:
        value = _col(slot.name, "v")
        if slot.required:
            ifs.append(exp.If(this=exp.Is(this=value.copy(), expression=exp.null()),
                              true=exp.Literal.string(f"{slot.name} is required but empty")))
        for check, words in slot_checks(slot, value, engine.dialect):
            ifs.append(exp.If(this=exp.Not(this=exp.Paren(this=check)), true=exp.Literal.string(f"{slot.name} {words}")))
    reason = exp.Case(ifs=ifs, default=exp.null()) if ifs else exp.null()
    select = exp.select(*[_col(c, "v") for c in [s.name for s in cls.slots] + list(PROVENANCE)],
                        exp.alias_(reason, "_reason", quoted=True)).from_(view.as_("v", quoted=True))
    return exp.Subquery(this=select, alias=exp.TableAlias(this=_id("c")))


def _table(schema: str, name: str) -> exp.Table:
    return exp.Table(this=_id(name), db=_id(schema))

