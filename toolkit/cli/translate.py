"""`dict translate --source S --class C`: records in (JSON Lines or CSV), canonical records out, rejects aside."""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Optional

import typer

from toolkit.cli import ProjectOpt, _guard, app, err, out


@app.command()
@_guard
def translate(
    source: str = typer.Option(..., "--source", "-s", help="Source system, e.g. chinook."),
    target_class: str = typer.Option(..., "--class", "-c", help="Canonical class, e.g. Customer."),
    derivation: Optional[str] = typer.Option(None, "--derivation", help="One derivation of the class (when it has several)."),
    input_path: Optional[Path] = typer.Option(None, "--input", "-i", help="JSON Lines or CSV file (default: standard input)."),
    input_format: Optional[str] = typer.Option(None, "--format", help="jsonl, csv or tsv (default: from the file name, else jsonl)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Canonical records, JSON Lines (default: standard output)."),
    rejects: Optional[Path] = typer.Option(None, "--rejects", help="Rejects, JSON Lines (default: <output>.rejects.jsonl, "
                                           "or rejects.jsonl when writing to standard output)."),
    join: list[str] = typer.Option([], "--join", help="ALIAS=FILE: rows of a joined table (JSON Lines or CSV), "
                                   "for records that do not carry them under the alias."),
    max_line_bytes: int = typer.Option(16 * 1024 * 1024, "--max-line-bytes", min=1,
                                       help="A longer input line (CSV: record) is a reject, read past in bounded memory."),
    project: Path = ProjectOpt,
) -> None:
    """Translate records one by one with the generated translator: exactly the SQL views' meaning.

    Outputs are written to temporary files beside them and renamed into place only when every record is
    through; an output that is an input, or the other output, is refused before anything is read."""
    from toolkit.core.errors import DictError, Problem
    from toolkit.plan import load_plan
    from toolkit.run.translate import check_paths, choose_derivations, is_std, load_joined

    plan = load_plan(project)
    views = choose_derivations(plan, source, target_class, derivation)
    join_paths = _join_paths(join, views)
    if rejects is None:
        rejects = Path("rejects.jsonl") if is_std(output) else output.with_name(output.stem + ".rejects.jsonl")
    check_paths({"--input": input_path, **{f"--join {a}": p for a, p in join_paths.items()}},
                {"--output": output, "--rejects": rejects})
    joins = {alias: load_joined(path, None, max_line_bytes) for alias, path in join_paths.items()}
    try:
        tallies, blank = _run(plan, source, views, joins, input_path, input_format, output, rejects, max_line_bytes)
    except OSError as error:
        where = str(error.filename if error.filename is not None else (output if not is_std(output) else rejects))
        verb = "cannot read" if input_path is not None and where == str(input_path) else "cannot write"
        raise DictError(Problem(where, 1, f"{verb}: {error.strerror or error}")) from None
    _report(source, tallies, blank, rejects, on_stdout=is_std(output) or is_std(rejects))
    if not all(t.balanced for t in tallies):
        raise typer.Exit(1)


def _join_paths(join: list[str], views) -> dict[str, Path]:
    from toolkit.core.errors import DictError, Problem

    paths = {}
    for item in join:
        if "=" not in item:
            raise DictError(Problem("--join", 1, f"'{item}' should be ALIAS=FILE"))
        alias, path = item.split("=", 1)
        if not any(j.ref.alias == alias for v in views for j in v.joins):
            raise DictError(Problem("--join", 1, f"no join '{alias}' in {', '.join(v.name for v in views)}",
                                    "aliases: " + ", ".join(sorted({j.ref.alias for v in views for j in v.joins})) or "none"))
        paths[alias] = Path(path)
    return paths


def _run(plan, source, views, joins, input_path, input_format, output, rejects, max_line_bytes):
    """Stream the input through the translator into staged outputs (standard output is written directly)."""
    from toolkit.core.output import staged_files
    from toolkit.run.translate import (LineSource, input_format as fmt_of, is_std, load_translator, read_records, sniff_size, translate_stream)

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    module = load_translator(plan, source)
    fmt = fmt_of(input_path, input_format)
    size = sniff_size(input_path)
    files = [p for p in (output, rejects) if not is_std(p)]
    with contextlib.ExitStack() as stack:
        raw_in = sys.stdin.buffer if is_std(input_path) else stack.enter_context(open(input_path, "rb"))
        staged = iter(stack.enter_context(staged_files(*files)))
        sys.stdout.flush()   # what was printed comes before the records written under it
        out_fh, rej_fh = (sys.stdout.buffer if is_std(p) else next(staged) for p in (output, rejects))
        lines = LineSource(raw_in, max_line_bytes)
        items = read_records(lines, fmt, "stdin" if is_std(input_path) else str(input_path))
        with Progress(TextColumn("translating {task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("records"), TimeRemainingColumn(), console=err, transient=True,
                      disable=size is None or size <= 1_000_000) as bar:
            label = "stdin" if is_std(input_path) else str(input_path)
            task = bar.add_task(label, total=size)

            def progress(count: int) -> None:
                bar.update(task, completed=lines.bytes_read, description=f"{label} ({count} records)")

            tallies = translate_stream(module, views, items, out_fh, rej_fh, joins, progress)
        for fh in (out_fh, rej_fh):
            fh.flush()
    return tallies, lines.blank


def _report(source, tallies, blank: int, rejects, on_stdout: bool) -> None:
    report = err if on_stdout else out
    for t in tallies:
        extra = f" ({t.malformed} malformed input line(s))" if t.malformed else ""
        report.print(f"{source}.{t.derivation}: {t.records_in} records in = {t.canonical} canonical out + "
                     f"{t.rejected} rejected{extra}", highlight=False, soft_wrap=True)
        for reason, n in sorted(t.reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:10]:
            report.print(f"  {n:>8}  {reason}", highlight=False, soft_wrap=True)
    if blank:
        report.print(f"{blank} blank line(s) skipped (not records)", highlight=False, soft_wrap=True)
    report.print(f"rejects written to {'standard output' if str(rejects) == '-' else rejects}", highlight=False, soft_wrap=True)
