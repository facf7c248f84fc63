"""`dict profile`: what a source holds, column by column, and how its tables key and join."""
from __future__ import annotations

import json
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from toolkit.cli import _guard, app, err, out


@app.command()
@_guard
def profile(
    src: str = typer.Argument(..., help="A SQLite/DuckDB database, a CSV/Parquet file, or a postgresql:// or "
                              "mysql:// URL (password from the URL or PGPASSWORD/MYSQL_PWD, never printed)."),
    schema: Optional[str] = typer.Option(None, "--schema", help="Database schema to read (default: the server's "
                                         "default, e.g. public; main for DuckDB)."),
    table: list[str] = typer.Option([], "--table", help="Only this table (repeatable)."),
    output_format: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """Profile every column of SRC (rows, NULLs, blanks, distinct, min/max, lengths, top values, shapes,
    meaning) and find candidate keys and foreign keys; every figure is a SQL aggregate run by DuckDB.

    Example: dict profile postgresql://reader@db.example.org/crm --format json > crm.profile.json
    """
    from toolkit.profile import profile_source

    if output_format not in ("text", "json"):
        err.print("error: --format is text or json", markup=False)
        raise typer.Exit(2)
    result = profile_source(src, schema, tuple(table))
    if output_format == "json":
        out.print_json(json.dumps(result.to_json(), ensure_ascii=False))
        return
    for t in result.tables:
        out.print(_table_view(t))
    if result.foreign_keys:
        out.print(_fk_view(result.foreign_keys))


def _shown(value, width: int = 24) -> Text:
    """A value as plain text (never rich markup), cut to ``width`` characters."""
    text = "" if value is None else str(value)
    return Text(text if len(text) <= width else text[:width - 1] + "…")


def _table_view(t) -> Table:
    keys = ", ".join("(" + ", ".join(k) + ")" for k in t.candidate_keys) or "none"
    view = Table(title=Text(f"{t.name}: {t.rows} rows; candidate keys {keys}"), title_justify="left")
    for heading in ("column", "type", "nulls", "blanks", "distinct", "min", "max", "top value", "shape", "meaning"):
        wide = heading in ("column", "meaning")
        view.add_column(heading, overflow="fold" if wide else "ellipsis", no_wrap=not wide,
                        min_width=12 if wide else None, max_width=None if wide else 18)
    for c in t.columns:
        top = f"{c.top_values[0][0]} ({c.top_values[0][1]})" if c.top_values else ""
        shape = c.patterns[0][0] if c.patterns else ""
        meaning = (c.meaning or "") + (f" {c.date_format}" if c.date_format else "")
        view.add_row(_shown(c.column, 40), _shown(c.type, 12), str(c.nulls), str(c.blanks), str(c.distinct),
                     _shown(c.min), _shown(c.max), _shown(top), _shown(shape), Text(meaning))
    return view


def _fk_view(candidates) -> Table:
    view = Table(title="candidate foreign keys (inclusion dependencies)", title_justify="left")
    for heading in ("column", "references", "containment", "distinct", "evidence"):
        view.add_column(heading, overflow="fold")
    for f in candidates:
        evidence = "declared" if f.declared else ("name" if f.name_match else "values only")
        view.add_row(_shown(f"{f.table}.{f.column}", 40), _shown(f"{f.ref_table}.{f.ref_column}", 40),
                     f"{f.containment:.3f}", str(f.distinct), evidence)
    return view
