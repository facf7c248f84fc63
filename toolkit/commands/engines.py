"""`dict materialize`: the integrated views loaded into canonical tables on DuckDB, PostgreSQL or MySQL."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from toolkit.cli import ProjectOpt, _data_option, _guard, app, err, out

SHOWN = 10


@app.command()
@_guard
def materialize(
    target: str = typer.Option(..., "--target", "-t",
                               help="duckdb:PATH, postgresql://USER@HOST:PORT/DB or mysql://USER@HOST:PORT/DB"),
    data: list[str] = typer.Option(..., "--data", "-d", help="SOURCE=PATH of a SQLite or DuckDB file, or SOURCE=URL of a "
                                   "live database (postgresql://user@host/db?schema=S, mysql://user@host/db); repeat per source."),
    schema: str = typer.Option("canonical", help="Schema (a database on MySQL) for the canonical tables."),
    project: Path = ProjectOpt,
) -> None:
    """Load the integrated views into canonical tables that enforce keys, NOT NULL and CHECKs; report refused rows."""
    from toolkit.engines.materialize import materialize as load, open_target, read_sources
    from toolkit.plan import load_plan

    plan = load_plan(project)
    sources = read_sources(plan, _data_option(data))
    with open_target(target) as engine:
        loads = load(engine, plan, sources, schema)
    summary = Table(title=f"canonical tables in {target} (schema {schema})")
    for col in ("class", "table", "view rows", "loaded", "refused"):
        summary.add_column(col, justify="right" if col in ("view rows", "loaded", "refused") else "left")
    for c in loads:
        summary.add_row(c.class_name, c.table, str(c.view_rows), str(c.loaded), str(len(c.refused)))
    out.print(summary)
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
