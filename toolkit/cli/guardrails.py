"""`dict check` and `dict diff`: guardrails for dictionary and mapping changes in pull requests."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from toolkit.cli import (ProjectOpt, _guard, app, check_dialects, check_format, err, github_annotation, out, renamed_option, step, usage_error)

# --target names a database everywhere else (materialize, deploy, test, run): here it was a generator
TARGET_WAS = "--target names a database in materialize, deploy, test and run"
OldTargetOpt = typer.Option(None, "--target", hidden=True, help="Deprecated spelling of --only.")


def _targets(option: str | None) -> list[str] | None:
    from toolkit.emit.generate import generator_names

    if not option:
        return None
    names = [t.strip() for t in option.split(",") if t.strip()]
    unknown = [t for t in names if t not in generator_names()]
    if unknown:
        usage_error(f"unknown generator '{unknown[0]}' for --only; choose from {', '.join(generator_names())}")
    return names


@app.command()
@_guard
def check(
    dialect: Optional[str] = typer.Option(None, help="Dialect(s) to compare, comma-separated "
                                          "(default: the folders under generated/sql/)."),
    output_format: str = typer.Option("text", "--format", help="text, json, or github (annotations on the "
                                      "pull request's lines in GitHub Actions)."),
    only: Optional[str] = typer.Option(None, "--only", help="Generator(s) to check, comma-separated (default: all)."),
    target: Optional[str] = OldTargetOpt,
    project: Path = ProjectOpt,
) -> None:
    """Exit 1 and list the files if generated/ is not what `dict generate all` would write now.

    Example: dict check --format json
    """
    from toolkit.analyze.drift import check_generated

    only = renamed_option("--only", only, "--target", target, TARGET_WAS)
    check_format(output_format, ("text", "json", "github"))
    check_dialects(dialect)
    with step("comparing generated/ with what the dictionary and mappings give now"):
        drift = check_generated(project, dialect=dialect, targets=_targets(only))
    if output_format == "json":
        out.print_json(json.dumps({
            "clean": drift.clean, "dialects": list(drift.dialects), "generators": list(drift.generators),
            "checked": drift.checked, "stale": [{"path": f"generated/{s.path}", "line": s.line} for s in drift.stale],
            "missing": [f"generated/{p}" for p in drift.missing], "extra": [f"generated/{p}" for p in drift.extra],
            "unowned": [f"generated/{p}" for p in drift.unowned],
            "fix": None if drift.clean else drift.regenerate_command()}))
    elif output_format == "github":
        fix = drift.regenerate_command()
        for s in drift.stale:
            out.print(github_annotation("error", f"generated/{s.path}", s.line, f"stale: run {fix}"), markup=False,
                      highlight=False, soft_wrap=True)
        for p in drift.missing:
            out.print(github_annotation("error", f"generated/{p}", 1, f"missing: run {fix}"), markup=False,
                      highlight=False, soft_wrap=True)
        for p in drift.extra:
            out.print(github_annotation("error", f"generated/{p}", 1, f"no longer generated: run {fix}"), markup=False,
                      highlight=False, soft_wrap=True)
    else:
        for s in drift.stale:
            err.print(f"stale    generated/{s.path}:{s.line}: differs from what the dictionary and mappings give now",
                      highlight=False, markup=False, soft_wrap=True)
        for p in drift.missing:
            err.print(f"missing  generated/{p}: would be generated", highlight=False, markup=False, soft_wrap=True)
        for p in drift.extra:
            err.print(f"extra    generated/{p}: no longer generated (dict generate removes it)", highlight=False, markup=False, soft_wrap=True)
        for p in drift.unowned:
            err.print(f"note     generated/{p}: produced by no generator; delete it if it is left over",
                      highlight=False, markup=False, soft_wrap=True)
        if drift.clean:
            out.print(f"ok: generated/ is up to date ({drift.checked} files, generators "
                      f"{', '.join(drift.generators)}, dialects {', '.join(drift.dialects)})", highlight=False, markup=False,
                      soft_wrap=True)
        else:
            n = len(drift.stale) + len(drift.missing) + len(drift.extra)
            err.print(f"{n} file(s) out of date; run: {drift.regenerate_command()}", highlight=False, markup=False,
                      soft_wrap=True)
    if not drift.clean:
        raise typer.Exit(1)


@app.command()
@_guard
def diff(
    rev: Optional[str] = typer.Argument(None, help="Git revision to compare with (default: the merge base with main)."),
    output_format: str = typer.Option("text", "--format", help="text for people, json for bots, github for "
                                      "annotations on the pull request's lines."),
    fail_on: str = typer.Option("breaking", "--fail-on", help="Exit 1 on: breaking, any or never."),
    dialect: Optional[str] = typer.Option(None, help="Dialect(s) whose generated files to compare "
                                          "(default: the folders under generated/sql/)."),
    only: Optional[str] = typer.Option(None, "--only", help="Generator(s) whose files to compare, comma-separated "
                                       "(default: all)."),
    target: Optional[str] = OldTargetOpt,
    project: Path = ProjectOpt,
) -> None:
    """Classify every dictionary and mapping change since REV as breaking or compatible, with what it touches;
    exit 1 on a breaking change (see --fail-on).

    Example: dict diff origin/main --format json --fail-on any
    """
    from toolkit.analyze.diff import diff_revision, format_text

    only = renamed_option("--only", only, "--target", target, TARGET_WAS)
    if fail_on not in ("breaking", "any", "never"):
        usage_error(f"--fail-on must be breaking, any or never, not '{fail_on}'")
    check_format(output_format, ("text", "json", "github"))
    check_dialects(dialect)
    with step(f"comparing with {rev or 'the merge base with main'}"):
        report = diff_revision(project, rev, dialect, _targets(only))
    if output_format == "json":
        out.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
    elif output_format == "github":
        for line in _diff_annotations(report):
            out.print(line, markup=False, highlight=False, soft_wrap=True)
    else:
        out.print(format_text(report), highlight=False, markup=False, soft_wrap=True)
    if report.fails(fail_on):
        raise typer.Exit(1)


def _diff_annotations(report) -> list[str]:
    """A breaking change is an error on its line, a compatible one a notice; a line of the old revision (a
    removed slot) is named in the message, since the pull request shows the new file."""
    lines = []
    for change in report.changes:
        level = "error" if change.severity == "breaking" else "notice"
        where = change.line if change.side == "new" else 1
        was = "" if change.side == "new" else f" (line {change.line} before the change)"
        lines.append(github_annotation(level, change.file, where,
                                       f"{change.severity} {change.kind}: {change.subject}: {change.message}{was}"))
    lines += [github_annotation("error", p.file, p.line, p.message + (f" ({p.hint})" if p.hint else ""))
              for p in report.new_problems]
    return lines
