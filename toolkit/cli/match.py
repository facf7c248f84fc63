"""`dict match CLASS`: one customer across systems (identity resolution from the dictionary's match hints)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from toolkit.cli import ProjectOpt, _data_option, _guard, app, err, out


@app.command()
@_guard
def match(
    cls: str = typer.Argument(..., metavar="CLASS", help="The class to resolve, e.g. Customer (it needs match hints)."),
    data: list[str] = typer.Option([], "--data", "-d", help="SOURCE=PATH or SOURCE=URL per source, as for `dict run` "
                                   "(default: the demo estate)."),
    database: Path = typer.Option(Path("identity.duckdb"), "--database", help="DuckDB file of dict's own for the "
                                  "<class>__matches, __clusters and __households tables (reruns keep entity ids)."),
    explain: Optional[tuple[str, str]] = typer.Option(None, "--explain", metavar="ID1 ID2",
                                                      help="Show the match weight of each compared slot for two records."),
    retrain: bool = typer.Option(False, "--retrain", help="Train a new model even if the database holds one "
                                 "trained from the same hints (ids stay stable either way)."),
    target: Optional[str] = typer.Option(None, "--target", "-t", help="Train and score on Spark: sc://HOST:PORT "
                                         "(Spark Connect, started with Splink's similarity jar) or spark://HOST:PORT."),
    project: Path = ProjectOpt,
) -> None:
    """Resolve a class's records across systems into entities (Splink model generated from the dictionary)."""
    from toolkit.run.matching.run import explain as do_explain, match as do_match

    _require_splink()
    sources = _data_option(data) if data else None
    if explain:
        _print_explain(do_explain(project, cls, sources, database, *explain), *explain)
        return
    result = do_match(project, cls, sources, database, retrain, target)
    r = result.resolution
    joined, kept = r.attached(result.previous)
    out.print(f"{cls}: {r.records} source records -> {r.entities} entities "
              f"({r.records - r.entities} duplicate record(s) merged), {sum(1 for m in r.matches if m[4])} matching "
              f"pair(s) of {len(r.matches)} scored", highlight=False)
    out.print(f"households: {r.household_count} (shared {', '.join(_household_slots(project, cls)) or 'nothing'}), "
              "reported apart from person matches", highlight=False)
    if result.previous:
        out.print(f"stable ids: {kept} earlier entity id(s) kept, {joined} new record(s) attached to earlier entities",
                  highlight=False)
    for note in r.notes:
        out.print(f"note: {escape(note)}", highlight=False)
    out.print(f"wrote {', '.join(result.tables)} into {escape(str(result.database))}", highlight=False)


def _require_splink() -> None:
    import importlib.util

    if importlib.util.find_spec("splink") is None:
        err.print("error: dict match needs Splink: pip install -e '.[match]'", highlight=False, markup=False)
        raise typer.Exit(1)


def _household_slots(project: Path, cls: str) -> tuple[str, ...]:
    from toolkit.run.matching.run import matched_class
    from toolkit.plan import load_plan

    return matched_class(load_plan(project), cls)[1].household


def _print_explain(bars: list[tuple], left: str, right: str) -> None:
    table = Table(title=f"match weights: {escape(left)} vs {escape(right)}")
    for col in ("compared", "left", "right", "level", "weight"):
        table.add_column(col, justify="right" if col == "weight" else "left")
    parts = [b for b in bars if b[0] != "Final score"]
    for name, value_l, value_r, level, weight in parts:
        table.add_row(escape(name), escape(value_l), escape(value_r), escape(level), f"{weight:+.2f}")
    out.print(table)
    total = sum(b[4] for b in parts)
    probability = 2 ** total / (1 + 2 ** total)
    out.print(f"total match weight {total:+.2f}: match probability {probability:.4f}", highlight=False)
