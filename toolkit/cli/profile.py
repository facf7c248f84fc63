"""`dict profile`: what a source holds, column by column, and how its tables key and join."""
from __future__ import annotations

import json
from pathlib import Path
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
    html: Optional[Path] = typer.Option(None, "--html", help="Also write a page with charts to this file."),
) -> None:
    """Profile every column of SRC (rows, NULLs, blanks, distinct, min/max, lengths, top values, shapes,
    meaning) and find candidate keys and foreign keys; every figure is a SQL aggregate run by DuckDB.

    Example: dict profile postgresql://reader@db.example.org/crm --format json > crm.profile.json
    """
    from toolkit.run.profile import profile_source

    if output_format not in ("text", "json"):
        err.print("error: --format is text or json", markup=False)
        raise typer.Exit(2)
    result = profile_source(src, schema, tuple(table))
    if html is not None:
        from toolkit.core.output import write_file_atomic
        from toolkit.run.profile import html_page

        write_file_atomic(html, html_page(result))
    if output_format == "json":
        out.print_json(json.dumps(result.to_json(), ensure_ascii=False))
        return
    for t in result.tables:
        for line in _table_lines(t):
            out.print(line, markup=False, highlight=False, soft_wrap=True)
    if result.foreign_keys:
        out.print(_fk_view(result.foreign_keys))


def _cut(text, width: int) -> str:
    """``text`` on at most ``width`` characters, control characters shown as spaces."""
    text = "" if text is None else "".join(ch if ch.isprintable() else " " for ch in str(text))
    return text if len(text) <= width else text[:width - 1] + "…"


def _table_lines(t) -> list[str]:
    """One line per column: plain, fixed-width text (column names and values are never markup)."""
    keys = ", ".join("(" + ", ".join(k) + ")" for k in t.candidate_keys) or "none"
    width = min(24, max([len(c.column) for c in t.columns] + [6]))
    lines = [f"{t.name}: {t.rows} rows; candidate keys {keys}",
             f"  {'column':<{width}} {'type':<10} {'nulls':>7} {'blanks':>7} {'distinct':>8}  {'min .. max':<30} "
             f"{'shape':<16} meaning"]
    for c in t.columns:
        span = "" if c.min is None else f"{_cut(c.min, 13)} .. {_cut(c.max, 13)}"
        shape = c.patterns[0][0] if c.patterns else ""
        meaning = (c.meaning or "") + (f" {c.date_format}" if c.date_format else "")
        lines.append(f"  {_cut(c.column, width):<{width}} {_cut(c.type, 10):<10} {c.nulls:>7} {c.blanks:>7} "
                     f"{c.distinct:>8}  {span:<30} {_cut(shape, 16):<16} {meaning}")
    return lines + [""]


def _fk_view(candidates) -> Table:
    view = Table(title="candidate foreign keys (inclusion dependencies)", title_justify="left")
    for heading in ("column", "references", "containment", "distinct", "evidence"):
        view.add_column(heading, overflow="fold")
    for f in candidates:
        evidence = "declared" if f.declared else ("name" if f.name_match else "values only")
        view.add_row(Text(_cut(f"{f.table}.{f.column}", 40)), Text(_cut(f"{f.ref_table}.{f.ref_column}", 40)),
                     f"{f.containment:.3f}", str(f.distinct), evidence)
    return view
