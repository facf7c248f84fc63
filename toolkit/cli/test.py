"""`dict test`: the dictionary's data tests (unique ids, required slots, permissible values, references,
freshness) on an engine, with pass/fail, counts and sample rows."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from toolkit.cli import ProjectOpt, _data_option, _guard, app, out
from toolkit.core.errors import DictError, Problem


@app.command("test")
@_guard
def test_data(
    target: str = typer.Option("", "--target", "-t", help="Run on a server or DuckDB file holding the integrated views "
                               "(dict materialize, dict deploy) or canonical tables: postgresql://USER@HOST:PORT/DB, "
                               "mysql://USER@HOST:PORT/DB or duckdb:PATH. Default: DuckDB over --data, or the demo estate."),
    data: list[str] = typer.Option([], "--data", "-d", help="SOURCE=PATH of a SQLite or DuckDB file, or SOURCE=URL of a "
                                   "live database, read where it is (as dict run); repeat per source."),
    schema: str = typer.Option("", "--schema", help="With --target: the schema (a database on MySQL) holding the class "
                               "views or tables (default: the connection's own; 'canonical' for dict materialize's tables)."),
    as_of: str = typer.Option("", "--as-of", help="Judge freshness (max_age) as of this date, YYYY-MM-DD (default: now)."),
    sample: int = typer.Option(5, "--sample", min=0, max=1000, help="Failing rows shown per test."),
    output_format: str = typer.Option("text", "--format", help="text or json."),
    project: Path = ProjectOpt,
) -> None:
    """Run the data tests the dictionary implies on the canonical rows; exit 1 if any fails."""
    from toolkit.run.datatests import check_data, outcomes_json
    from toolkit.plan import load_plan

    if output_format not in ("text", "json"):
        raise DictError(Problem("--format", 1, f"unknown format '{output_format}'", "use text or json"))
    if target and data:
        raise DictError(Problem("--target", 1, "give either --target or --data", "--target reads views already on a "
                                "server; --data builds them in DuckDB"))
    moment = _as_of(as_of)
    report = check_data(load_plan(project), _data_option(data), target, schema, moment, sample)
    if output_format == "json":
        typer.echo(json.dumps({"where": report.where, **outcomes_json(list(report.outcomes), report.as_of)},
                              ensure_ascii=False, indent=2))
    else:
        _print(report)
    if not report.passed:
        raise typer.Exit(1)


def _as_of(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d")
    except ValueError:
        raise DictError(Problem("--as-of", 1, f"'{text}' is not a date", "write it as YYYY-MM-DD")) from None


def _print(report) -> None:
    table = Table(title=f"data tests on {escape(report.where)} (as of {report.as_of:%Y-%m-%d %H:%M})")
    for col in ("", "test", "rows", "failing"):
        table.add_column(col, justify="right" if col in ("rows", "failing") else "left")
    for o in report.outcomes:
        mark = {"pass": "[green]pass[/]", "fail": "[bold red]FAIL[/]", "skip": "[yellow]skip[/]"}[o.status]
        table.add_row(mark, escape(o.test.name) + (f" [dim]({escape(o.skipped)})[/]" if o.skipped else ""),
                      str(o.rows), str(o.failing))
    out.print(table)
    for o in report.outcomes:
        if o.sample:
            shown = Table(title=f"{escape(o.test.name)}: first {len(o.sample)} of {o.failing} failing rows")
            for col in o.test.shown:
                shown.add_column(escape(col))
            for row in o.sample:
                shown.add_row(*[escape("NULL" if v is None else str(v)) for v in row])
            out.print(shown)
    counts = {s: sum(o.status == s for o in report.outcomes) for s in ("pass", "fail", "skip")}
    out.print(f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped", highlight=False)
