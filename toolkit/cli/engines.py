"""`dict materialize`: the integrated views loaded into canonical tables on DuckDB, PostgreSQL, MySQL or Spark."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from toolkit.cli import ProjectOpt, _data_option, _guard, app, err, out
from toolkit.core.names import CANONICAL_SCHEMA, VIEWS_SCHEMA

SHOWN = 10


@app.command()
@_guard
def materialize(
    target: str = typer.Option(..., "--target", "-t",
                               help="duckdb:PATH, postgresql://USER@HOST:PORT/DB, mysql://USER@HOST:PORT/DB, "
                               "sc://HOST:PORT (Spark Connect) or spark://HOST:PORT (standalone master)"),
    data: list[str] = typer.Option(..., "--data", "-d", help="SOURCE=PATH of a SQLite or DuckDB file, or SOURCE=URL of a "
                                   "live database (postgresql://user@host/db?schema=S, mysql://user@host/db); repeat per source."),
    schema: str = typer.Option(CANONICAL_SCHEMA, help="Schema (a database on MySQL and Spark) for the canonical tables."),
    views: str = typer.Option(VIEWS_SCHEMA, "--views", help="Spark only: database of dict's own for source copies and views."),
    project: Path = ProjectOpt,
) -> None:
    """Load the integrated views into canonical tables that enforce keys, NOT NULL and CHECKs; report refused rows.

    Example: dict materialize --target duckdb:canonical.duckdb -d chinook=Chinook_Sqlite.sqlite
    """
    from toolkit.run.engines.materialize import materialize as load, open_target, read_sources, view_rejects
    from toolkit.run.engines.spark_cluster import is_spark, materialize_on_spark
    from toolkit.plan import load_plan

    plan = load_plan(project)
    if is_spark(target):
        loads, rejected = materialize_on_spark(plan, target, views, schema, _data_option(data))
    else:
        sources = read_sources(plan, _data_option(data))
        with open_target(target) as engine:
            loads = load(engine, plan, sources, schema)
            rejected = view_rejects(engine, plan, sources)
    summary = Table(title=f"canonical tables in {target} (schema {schema})")
    for col in ("class", "table", "view rows", "loaded", "refused"):
        summary.add_column(col, justify="right" if col in ("view rows", "loaded", "refused") else "left")
    for c in loads:
        summary.add_row(c.class_name, c.table, str(c.view_rows), str(c.loaded), str(len(c.refused)))
    out.print(summary)
    if rejected:
        t = Table(title=f"rows the views rejected ({sum(r.rows for r in rejected)}; every one is in the rejects view "
                        "with its provenance)")
        for col in ("source", "derivation", "reason", "rows"):
            t.add_column(col, justify="right" if col == "rows" else "left")
        for r in rejected:
            t.add_row(r.source, r.derivation, r.reason, str(r.rows))
        out.print(t)
    refused = [(c.class_name, *r) for c in loads for r in c.refused]
    if refused:
        by_reason = Counter((row[0], row[5]) for row in refused)
        t = Table(title=f"refused rows by reason (every one is in {schema}._refused with its provenance)")
        for col in ("class", "reason", "rows"):
            t.add_column(col, justify="right" if col == "rows" else "left")
        for (cls, reason), n in sorted(by_reason.items()):
            t.add_row(cls, reason, str(n))
        out.print(t)
        first = Table(title=f"first {min(SHOWN, len(refused))} of {len(refused)} refused rows")
        for col in ("class", "id", "source", "table", "key"):
            first.add_column(col)
        for row in refused[:SHOWN]:
            first.add_row(*row[:5])
        out.print(first)
    for c in loads:
        if c.shared_ids is not None:
            err.print(f"[bold red]duplicate ids[/] {escape(c.shared_ids.describe())}", highlight=False, soft_wrap=True)
    unbalanced = [c for c in loads if not c.balanced]
    for c in unbalanced:
        err.print(f"[bold red]unbalanced[/] {c.table}: {c.view_rows} view rows, {c.loaded} loaded + {len(c.refused)} refused")
    if refused or unbalanced or any(c.shared_ids is not None for c in loads):
        raise typer.Exit(1)


@app.command()
@_guard
def deploy(
    target: str = typer.Option(..., "--target", "-t", help="The legacy (or a reporting) server: postgresql://USER@HOST:PORT/DB "
                               "or mysql://USER@HOST:PORT (the password from the URL or PGPASSWORD/MYSQL_PWD), or a Spark "
                               "catalog: sc://HOST:PORT (Spark Connect)."),
    schema: str = typer.Option(VIEWS_SCHEMA, "--schema", help="Schema (a database on MySQL) of dict's own for the views."),
    source: list[str] = typer.Option([], "--source", "-s", help="Deploy only this source's views (repeatable); the "
                                     "integrated views span exactly the deployed sources."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the target and print the SQL; change nothing."),
    project: Path = ProjectOpt,
) -> None:
    """Create the views inside a live server, reading the legacy tables where they are; never touch legacy objects.

    Example: dict deploy --target postgresql://deployer@db.example.org/legacy --schema dict_views --source crm
    """
    from toolkit.run.engines.server_views import deploy_views, open_server
    from toolkit.load.introspect import public_url
    from toolkit.plan import load_plan

    plan = load_plan(project)
    shown = public_url(target)
    with open_server(target, schema) as engine:
        done = deploy_views(engine, plan, schema, source or None, dry_run, shown)
    if dry_run:
        for name, sql in done.statements:
            out.print(f"-- {name}\n{sql};\n", highlight=False, markup=False, soft_wrap=True)
    verb = "would create" if dry_run else "created"
    out.print(f"{verb} {len(done.statements)} view(s) in {shown} schema {schema} for {', '.join(done.sources)}"
              + (f"; {'would drop' if dry_run else 'dropped'} {len(done.dropped)} no longer mapped: {', '.join(done.dropped)}"
                 if done.dropped else ""), highlight=False, soft_wrap=True)
