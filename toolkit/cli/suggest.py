"""`dict suggest`: a draft mapping for a new source, each suggestion with its evidence and confidence."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from toolkit.cli import ProjectOpt, _guard, app, out


@app.command()
@_guard
def suggest(
    source: str = typer.Argument(..., help="Source system name; mappings/<source>.source.yaml must exist "
                                 "(dict import-source makes it)."),
    data: Optional[str] = typer.Option(None, "--data", help="The source's data to profile for evidence: a SQLite/"
                                       "DuckDB file or a postgresql:// or mysql:// URL (default: names and types only)."),
    schema: Optional[str] = typer.Option(None, "--schema", help="Database schema of --data (default: the one "
                                         "the source schema records)."),
    project: Path = ProjectOpt,
) -> None:
    """Write mappings/<source>.suggested.yaml: the classes, slots, joins and references the source seems to feed.

    Never overwrites a file; rename the draft to <source>.yaml once reviewed, then run dict validate.
    Example: dict import-source shop --from shop.sqlite && dict suggest shop --data shop.sqlite
    """
    from toolkit.run.suggest import write_suggestion

    target, derivations = write_suggestion(project, source, data, schema)
    slots = sum(len(d.matches) for d in derivations)
    out.print(f"wrote {target} ({len(derivations)} class derivations, {slots} slot suggestions); review it, "
              f"rename it to {source}.yaml and run dict validate", highlight=False, markup=False, soft_wrap=True)
