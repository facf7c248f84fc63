"""`dict materialize`: load the integrated views into canonical tables that enforce the dictionary.

The sources' data is copied into the target (schemas named after the sources), the views are
created there, and every canonical class gets a table (``dict generate ddl``) in the target
schema, replaced on each run. Rows go in only if they meet the table's constraints; a row that
does not (an identifier two rows share, a required value missing, an enum, pattern or range
violated) is not loaded but recorded, with its provenance and the reason, in ``_refused`` and
in the report: view rows = loaded + refused, per class.

Nothing dict did not create is touched. Every object dict creates in a target is recorded in
``<schema>._dict_objects``; before any statement runs, each schema materialize writes to (the
views' schema, the sources' copies, the canonical schema) is listed from the catalog, and one
object there that the registry does not name (a legacy table, a user's view) refuses the whole
run. Loads are atomic: one transaction on PostgreSQL and DuckDB; on MySQL/MariaDB, whose DDL
commits at once, the canonical tables are built under staging names and swapped in by one
``RENAME TABLE``. A load that fails or is killed at any point leaves the previous tables.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from sqlglot import exp

from toolkit.core.errors import DictError, Problem
from toolkit.plan.identity import SharedIds, shared_ids
from toolkit.emit.sql import _col, _id, integrated_statements, source_file_statements
from toolkit.emit.ddl import REFUSED_COLUMNS, create_table, refused_table, slot_checks
from toolkit.core.names import ALL_REJECTS, CANONICAL_SCHEMA, REFUSED_TABLE, SWAP_NEW, SWAP_OLD
from toolkit.plan import PROVENANCE, IntegratedPlan, Plan
from toolkit.load.source_schema import file_head
from toolkit.run.engines import Engine, deploy
from toolkit.run.engines.ownership import drop_owned, guard, present, register
from toolkit.run.engines.data import SourceData, read_source


@dataclass(frozen=True, order=True)
class ViewRejects:
    """Source rows the views turned away (before any table constraint): per derivation and reason."""
    source: str
    derivation: str
    reason: str
    rows: int


@dataclass(frozen=True)
class ClassLoad:
    class_name: str
    table: str
    view_rows: int
    loaded: int
    refused: tuple[tuple[str, ...], ...]   # (id, source system, source table, source key, reason)
    shared_ids: SharedIds | None = None    # identifiers several view rows carry, per derivation

    @property
    def balanced(self) -> bool:
        return self.view_rows == self.loaded + len(self.refused)


def open_target(target: str) -> Engine:
    """An engine for ``duckdb:PATH``, ``postgresql://...`` or ``mysql://...`` (the database must be named)."""
    if target.startswith("duckdb:"):
        from toolkit.run.engines.duckdb import DuckDBEngine

        path = target[len("duckdb:"):]
        if not path:
            raise DictError(Problem("--target", 1, "duckdb: needs a file", "e.g. --target duckdb:canonical.duckdb"))
        engine: Engine = DuckDBEngine(path)
    elif target.startswith(("postgresql://", "postgres://")):
        from toolkit.run.engines.postgres import PostgresEngine

        database = urlparse(target).path.lstrip("/")
        if not database:
            raise DictError(Problem("--target", 1, "the PostgreSQL URL names no database",
                                    "e.g. --target postgresql://postgres@127.0.0.1:5432/warehouse"))
        engine = _connect(lambda: PostgresEngine(target, database=database, keep=True), target)
    elif target.startswith("mysql://"):
        from toolkit.run.engines.mysql import MySQLEngine

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


def read_sources(plan: Plan, data: dict[str, Path | str]) -> list[SourceData]:
    """Each source's used tables from its SQLite file, DuckDB database (schema = its database_schema) or live
    database (a URL, read through DuckDB's scanner)."""
    import duckdb

    from toolkit.run.engines.duckdb import attach_live

    known = {s.name for s in plan.sources}
    out = []
    for name, path in data.items():
        if name not in known:
            raise DictError(Problem("--data", 1, f"no mapping for source '{name}'", f"mapped sources: {', '.join(sorted(known))}"))
        if isinstance(path, str):
            con = duckdb.connect()
            try:
                attach_live(con, plan.source(name), path)
                out.append(read_source(plan, name, duckdb_con=con))
            finally:
                con.close()
            continue
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


def materialize(engine: Engine, plan: Plan, data: list[SourceData], schema: str = CANONICAL_SCHEMA) -> list[ClassLoad]:
    """Load every integrated view of ``data``'s sources into its canonical table in ``schema``."""
    namespaces = _namespaces(engine, data, schema)
    owned = guard(engine, namespaces, schema)
    try:
        return _atomic(engine, plan, data, schema, namespaces, owned)
    except DictError:
        raise
    except Exception as exc:  # the engine refused a statement: its own words, and what is left
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DictError(Problem("--target", 1, f"materialize failed: {detail}; the previous canonical tables are intact",
                                "a view or table dict did not create may depend on dict's tables; drop it or "
                                "choose another --schema")) from None


def _atomic(engine: Engine, plan: Plan, data: list[SourceData], schema: str, namespaces: list[str],
            owned: set[tuple[str, str, str]]) -> list[ClassLoad]:
    if engine.transactional_ddl:
        engine.begin()
        try:
            drop_owned(engine, owned)
            loads = _load(engine, plan, data, schema, "")
            register(engine, schema, present(engine, namespaces))
            engine.commit()
        except BaseException:
            engine.rollback()
            raise
        return loads
    # DDL commits at once here: record what this run will create before creating it, so that what a
    # killed run leaves behind is known to be dict's and replaced by the next run
    finals = [REFUSED_TABLE] + [i.target.table_name for i in plan.restrict([d.source.name for d in data]).integrated]
    engine.create_namespace(schema)
    register(engine, schema, owned | _will_create(engine, plan, data, schema, finals))
    loads = _load(engine, plan, data, schema, SWAP_NEW)
    _swap(engine, schema, finals, {name for name, _ in engine.objects(schema)})
    register(engine, schema, present(engine, namespaces))
    return loads


def _will_create(engine: Engine, plan: Plan, data: list[SourceData], schema: str,
                 finals: list[str]) -> set[tuple[str, str, str]]:
    """Every object a load creates: source copies, views, canonical tables (staged, final and retired)."""
    deployed = plan.restrict([d.source.name for d in data])
    views = engine.view_namespace()
    out = {(engine.physical(d.source.database_schema), t.table.name, "TABLE") for d in data for t in d.tables}
    out |= {(views, name, "VIEW") for s in deployed.sources for name, _ in source_file_statements(s)}
    out |= {(views, name, "VIEW") for name, _ in integrated_statements(deployed)}
    out |= {(schema, f + suffix, "TABLE") for f in finals for suffix in ("", SWAP_NEW, SWAP_OLD)}
    return out


def _namespaces(engine: Engine, data: list[SourceData], schema: str) -> list[str]:
    """Every schema materialize writes to: the views', each source copy's, the canonical one."""
    sources = [engine.physical(d.source.database_schema) for d in data]
    views = engine.view_namespace()
    if schema in sources or schema == views:
        raise DictError(Problem("--schema", 1, f"schema '{schema}' is where dict puts "
                                + ("the views" if schema == views else "a source's copy") + "; canonical tables need one of their own",
                                "pass another --schema, e.g. --schema canonical"))
    return list(dict.fromkeys([views, *sources, schema]))


def _swap(engine: Engine, schema: str, finals: list[str], existing: set[str]) -> None:
    """One RENAME TABLE puts every staged table in place (MySQL renames atomically); the old ones go after."""
    old = [f for f in finals if f in existing]
    for f in old:
        engine.drop_table(_table(schema, f + SWAP_OLD))   # left by a run killed between its swap and cleanup
    pairs = [(f, f + SWAP_OLD) for f in old] + [(f + SWAP_NEW, f) for f in finals]
    renames = ", ".join(f"{_table(schema, a).sql(dialect='mysql')} TO {_table(schema, b).sql(dialect='mysql')}"
                        for a, b in pairs)
    engine.run(exp.Command(this="RENAME", expression=f"TABLE {renames}"))
    for f in old:
        engine.drop_table(_table(schema, f + SWAP_OLD))


def view_rejects(engine: Engine, plan: Plan, data: list[SourceData]) -> list[ViewRejects]:
    """The deployed views' rejects, counted per source, derivation and reason (read from the target)."""
    if not plan.restrict([d.source.name for d in data]).views():
        return []
    keys = [_id(c) for c in ("_source_system", "_derivation", "_reject_reason")]
    rows = engine.select(exp.select(*keys, exp.Count(this=exp.Star())).from_(exp.Table(this=_id(ALL_REJECTS)))
                         .group_by(*[k.copy() for k in keys]))
    return sorted(ViewRejects(str(s), str(d), str(r), int(n)) for s, d, r, n in rows)


def _load(engine: Engine, plan: Plan, data: list[SourceData], schema: str, suffix: str) -> list[ClassLoad]:
    deployed = deploy(engine, plan, data)
    engine.create_namespace(schema)
    refused = _table(schema, REFUSED_TABLE + suffix)
    engine.drop_table(refused)
    engine.run(refused_table(engine.dialect, refused))
    return [_load_class(engine, integrated, schema, refused, suffix) for integrated in deployed.integrated]


def _load_class(engine: Engine, integrated: IntegratedPlan, schema: str, refused: exp.Table, suffix: str) -> ClassLoad:
    cls = integrated.target
    table = _table(schema, cls.table_name + suffix)
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
                     tuple(sorted(tuple("" if v is None else str(v) for v in r) for r in rows)),
                     shared_ids(integrated, engine.select))


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
                          true=exp.Literal.string(f"{key.name} is not unique: another row of {cls.name} has the same "
                                                         f"{key.name} (view {integrated.duplicate_ids_name} names the derivations)")))
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

