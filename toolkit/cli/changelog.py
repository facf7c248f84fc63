"""`dict changelog`: the dictionary's release notes between two revisions, as the Markdown page the docs publish."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from toolkit.cli import ProjectOpt, _guard, app, err, out, renamed_option


@app.command()
@_guard
def changelog(
    old: str = typer.Argument(..., help="Revision of the previous release, e.g. the tag dictionary-1.0.0."),
    new: str = typer.Argument("HEAD", help="Revision of this release (default HEAD)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the Markdown page to this file (e.g. "
                                          "docs/dictionary-changelog.md) instead of printing it."),
    old_output: Optional[Path] = typer.Option(None, "--out", hidden=True, help="Deprecated spelling of --output."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when the version bump does not match the changes."),
    project: Path = ProjectOpt,
) -> None:
    """Breaking and compatible dictionary and mapping changes between two revisions, with the version check."""
    from toolkit.analyze.changelog import changelog as build, format_markdown
    from toolkit.core.output import write_file_atomic

    output = renamed_option("--output", output, "--out", old_output, "--out is always a folder; this is a file")
    log = build(project, old, new)
    text = format_markdown(log)
    if output is None:
        out.print(text, highlight=False, markup=False, soft_wrap=True, end="")
    else:
        write_file_atomic(output, text)
        out.print(f"wrote {output}: {len(log.report.breaking)} breaking, {len(log.report.compatible)} compatible "
                  f"change(s), {log.old_version} -> {log.new_version}", highlight=False, markup=False)
    if log.version_problem:
        err.print(f"version: {log.version_problem}", highlight=False, markup=False)
        if strict:
            raise typer.Exit(1)
