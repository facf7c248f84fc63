"""`dict translate --source S --class C`: records in (JSON Lines or CSV), canonical records out, rejects aside."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from toolkit.cli import ProjectOpt, _guard, app, err, out


@app.command()
@_guard
def translate(
    source: str = typer.Option(..., "--source", "-s", help="Source system, e.g. chinook."),
    target_class: str = typer.Option(..., "--class", "-c", help="Canonical class, e.g. Customer."),
    derivation: Optional[str] = typer.Option(None, "--derivation", help="One derivation of the class (when it has several)."),
    input_path: Optional[Path] = typer.Option(None, "--input", "-i", help="JSON Lines or CSV file (default: standard input)."),
    input_format: Optional[str] = typer.Option(None, "--format", help="jsonl or csv (default: from the file name, else jsonl)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Canonical records, JSON Lines (default: standard output)."),
    rejects: Optional[Path] = typer.Option(None, "--rejects", help="Rejects, JSON Lines (default: <output>.rejects.jsonl, "
                                           "or rejects.jsonl when writing to standard output)."),
    join: list[str] = typer.Option([], "--join", help="ALIAS=FILE: rows of a joined table (JSON Lines or CSV), "
                                   "for records that do not carry them under the alias."),
    project: Path = ProjectOpt,
) -> None:
    """Translate records one by one with the generated translator: exactly the SQL views' meaning."""
    from toolkit.errors import DictError, Problem
    from toolkit.plan import load_plan
    from toolkit.translation import (CountingReader, choose_derivations, input_format as fmt_of, load_joined,
                                     load_translator, open_text, read_records, sniff_size, translate_stream)

    plan = load_plan(project)
    views = choose_derivations(plan, source, target_class, derivation)
    joins = {}
    for item in join:
        if "=" not in item:
            raise DictError(Problem("--join", 1, f"'{item}' should be ALIAS=FILE"))
        alias, path = item.split("=", 1)
        if not any(j.ref.alias == alias for v in views for j in v.joins):
            raise DictError(Problem("--join", 1, f"no join '{alias}' in {', '.join(v.name for v in views)}",
                                    "aliases: " + ", ".join(sorted({j.ref.alias for v in views for j in v.joins})) or "none"))
        joins[alias] = load_joined(Path(path), None)
    module = load_translator(plan, source)
    fmt = fmt_of(input_path, input_format)
    if rejects is None:
        rejects = Path("rejects.jsonl") if output is None or str(output) == "-" else output.with_name(output.stem + ".rejects.jsonl")
    size = sniff_size(input_path)
    with open_text(input_path, "r", sys.stdin) as raw_in, open_text(output, "w", sys.stdout) as out_fh, \
            open_text(rejects, "w", sys.stdout) as rej_fh:
        reader = CountingReader(raw_in)
        items = read_records(reader, fmt)
        long_input = size is not None and size > 1_000_000
        with Progress(TextColumn("translating {task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("records"), TimeRemainingColumn(), console=err, transient=True,
                      disable=not long_input) as bar:
            task = bar.add_task(str(input_path or "stdin"), total=size)

            def progress(count: int) -> None:
                bar.update(task, completed=reader.read_chars, description=f"{input_path} ({count} records)")

            tallies = translate_stream(module, views, items, out_fh, rej_fh, joins, progress)
    report = err if output is None or str(output) == "-" else out
    for t in tallies:
        extra = f" ({t.malformed} malformed input line(s))" if t.malformed else ""
        report.print(f"{source}.{t.derivation}: {t.records_in} records in = {t.canonical} canonical out + "
                     f"{t.rejected} rejected{extra}", highlight=False, soft_wrap=True)
        for reason, n in sorted(t.reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:10]:
            report.print(f"  {n:>8}  {reason}", highlight=False, soft_wrap=True)
    report.print(f"rejects written to {rejects}", highlight=False, soft_wrap=True)
    if not all(t.balanced for t in tallies):
        raise typer.Exit(1)
