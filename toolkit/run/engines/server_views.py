"""`dict deploy`: the views created inside a live server, in a schema of their own, reading the legacy tables where they are.

On Spark (``sc://``, ``spark://``) the server is the catalog: the views go into a database of their own
and read the legacy tables from the databases the mappings' ``database_schema`` names.

The views of the chosen sources and the integrated views spanning exactly them go into one schema
(a database on MySQL/MariaDB) that dict owns; the legacy tables are read from the schema each
mapping's ``database_schema`` names and are never written. Before any statement runs, the target
schema is refused if it is where legacy tables are, or if it holds anything dict did not create
(see ``ownership``), and every legacy table the views read must exist. On PostgreSQL the old views
are dropped and the new ones created in one transaction, so a redeploy whose views changed shape
(a slot added: CREATE OR REPLACE VIEW cannot reorder columns) is all or nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from sqlglot import exp

from toolkit.core.errors import DictError, Problem
from toolkit.emit.sql import _id, integrated_statements, source_file_statements
from toolkit.load.introspect import public_url
from toolkit.plan import Plan
from toolkit.run.engines import Engine
from toolkit.run.engines.ownership import drop_owned, guard, present, register
from toolkit.core.names import fold_case


@dataclass(frozen=True)
class Deployment:
    target: str                        # the URL without credentials
    schema: str
    sources: tuple[str, ...]
    statements: tuple[tuple[str, str], ...]   # (view, SQL) in creation order
    dropped: tuple[str, ...]           # views an earlier deploy made that this plan no longer has
    executed: bool


def open_server(target: str, schema: str) -> Engine:
    """A connection to the database a postgresql:// or mysql:// URL names (never created here), or to the
    catalog of a Spark Connect server or standalone master (sc://, spark://)."""
    from toolkit.run.engines.materialize import _connect
    from toolkit.run.engines.spark_cluster import SparkCatalogViews, is_spark

    if is_spark(target):
        if not target.startswith("sc://"):
            raise DictError(Problem("--target", 1, "a standalone master's catalog ends with the command: deployed views "
                                    "would vanish", "deploy to a Spark Connect server (sc://HOST:PORT) whose catalog "
                                    "holds the legacy tables"))
        return SparkCatalogViews(target, schema)
    parts = urlsplit(target)
    database = parts.path.lstrip("/")
    if parts.scheme in ("postgresql", "postgres"):
        from toolkit.run.engines.postgres import PostgresEngine

        if not database:
            raise DictError(Problem("--target", 1, "the PostgreSQL URL names no database",
                                    "e.g. --target postgresql://deployer@db.example.org:5432/legacy"))
        return _connect(lambda: PostgresEngine(target, database=database, keep=True), public_url(target))
    if parts.scheme in ("mysql", "mariadb"):
        from toolkit.run.engines.mysql import MySQLEngine

        server = urlunsplit(("mysql", parts.netloc, "/", "", ""))
        return _connect(lambda: MySQLEngine(server, prefix=schema, keep=True), public_url(target))
    raise DictError(Problem("--target", 1, f"cannot deploy to '{public_url(target)}'",
                            "use postgresql://USER@HOST:PORT/DB, mysql://USER@HOST:PORT or sc://HOST:PORT (Spark)"))


def deploy_views(engine: Engine, plan: Plan, schema: str, sources: list[str] | None = None,
                 dry_run: bool = False, target: str = "") -> Deployment:
    chosen = _chosen(plan, sources)
    plan = plan.restrict(chosen)
    _refuse_legacy_schema(plan, schema)
    _require_legacy_tables(engine, plan)
    owned = guard(engine, [schema], schema)
    creates = [(name, stmt) for s in plan.sources for name, stmt in source_file_statements(s)]
    creates += integrated_statements(plan)
    new = {name for name, _ in creates}
    stale = sorted(name for ns, name, kind in owned if kind == "VIEW" and name not in new)
    statements = tuple((name, ";\n".join(engine.dialect.statements(stmt.copy()))) for name, stmt in creates)
    if not dry_run:
        try:
            _execute(engine, schema, owned, creates, stale)
        except DictError:
            raise
        except Exception as exc:  # the server refused a statement: its words; PostgreSQL rolled everything back
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            kept = "the previous views are intact" if engine.transactional_ddl else "views created so far remain (dict's own)"
            raise DictError(Problem("--target", 1, f"deploy failed: {detail}; {kept}")) from None
    return Deployment(target, schema, tuple(chosen), statements, tuple(stale), not dry_run)


def _chosen(plan: Plan, sources: list[str] | None) -> list[str]:
    known = [s.name for s in plan.sources]
    for name in sources or []:
        if name not in known:
            raise DictError(Problem("--source", 1, f"no mapping for source '{name}'", f"mapped sources: {', '.join(known)}"))
    return list(sources) if sources else known


def _refuse_legacy_schema(plan: Plan, schema: str) -> None:
    legacy = {s.database_schema: s.name for s in plan.sources}
    if schema in legacy:
        raise DictError(Problem("--schema", 1, f"schema '{schema}' holds the legacy tables of source '{legacy[schema]}': "
                                "dict never creates objects among them",
                                "deploy the views into a schema of their own, e.g. --schema dict_views"))


def _require_legacy_tables(engine: Engine, plan: Plan) -> None:
    """Every table the views read exists where its mapping says, before anything is created."""
    missing = []
    for source in plan.sources:
        there = {fold_case(name) for name, _ in engine.objects(source.database_schema)}
        for table in sorted({ref.table.name for v in source.views for ref in v.tables()}):
            if fold_case(table) not in there:
                missing.append(f"{source.database_schema}.{table} (source {source.name})")
    if missing:
        raise DictError(Problem("--target", 1, f"the target has no legacy table {', '.join(missing[:6])}"
                                + (f" and {len(missing) - 6} more" if len(missing) > 6 else "") + "; nothing was changed",
                                "point --target at the legacy database, or set database_schema in the mapping"))


def _execute(engine: Engine, schema: str, owned: set, creates: list[tuple[str, exp.Create]], stale: list[str]) -> None:
    if engine.transactional_ddl:
        engine.begin()
        try:
            engine.create_namespace(schema)
            engine.execute(f"SET LOCAL search_path TO {_id(schema).sql(dialect='postgres')}")
            drop_owned(engine, owned)
            for _, stmt in creates:
                engine.run(stmt)
            register(engine, schema, present(engine, [schema]))
            engine.commit()
        except BaseException:
            engine.rollback()
            raise
        return
    # MySQL/MariaDB: DDL commits at once; record what will exist first so a half-done deploy stays dict's own
    engine.create_namespace(schema)
    register(engine, schema, owned | {(schema, name, "VIEW") for name, _ in creates})
    for _, stmt in creates:
        engine.run(stmt)   # CREATE OR REPLACE VIEW
    for name in stale:
        engine.run(exp.Drop(tables=[exp.Table(this=_id(name), db=_id(schema))], kind="VIEW", exists=True))
    register(engine, schema, present(engine, [schema]))
