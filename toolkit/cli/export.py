"""`dict export ...`: the mappings in other tools' formats. `dict export linkml-map` writes LinkML-Map specs."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from toolkit.cli import ProjectOpt, _guard, app, err, out


def export_group() -> typer.Typer:
    """The `dict export` command group (created once, shared by every module that adds an export)."""
    for group in app.registered_groups:
        if group.name == "export":
            return group.typer_instance
    group = typer.Typer(no_args_is_help=True, help="Export the mappings in other tools' formats.")
    app.add_typer(group, name="export")
    return group


export_app = export_group()


@export_app.command("linkml-map")
@_guard
def linkml_map(
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder for the specs (default <project>/generated/linkml-map)."),
    project: Path = ProjectOpt,
) -> None:
    """One LinkML-Map TransformationSpecification per source, listing every feature LinkML-Map lacks."""
    from toolkit.emit.linkml_map import export_linkml_map, files
    from toolkit.core.output import write_generated
    from toolkit.plan import load_plan

    plan = load_plan(project)
    target = (out_dir or project / "generated" / "linkml-map").resolve()
    dictionary = (project / plan.dictionary.files[0]).resolve()
    exports = export_linkml_map(plan, os.path.relpath(dictionary, target))
    write_generated(target.parent, {f"{target.name}/{name}": text for name, text in files(exports).items()}, (target.name,))
    for e in exports:
        done = sum(1 for d in e.derivations if d.exported)
        out.print(f"{e.source.name}: wrote {target / e.spec_file} ({done} of {len(e.derivations)} derivations) "
                  f"and {e.schema_file}", highlight=False, markup=False, soft_wrap=True)
        unsupported, approximations = e.unsupported(), e.approximations()
        if unsupported:
            out.print(f"  not supported by LinkML-Map ({len(unsupported)}), kept out of the spec and listed in its comments:",
                      highlight=False, markup=False)
            for line in unsupported:
                out.print(f"    - {line}", highlight=False, markup=False, soft_wrap=True)
        if approximations:
            out.print(f"  computed differently by LinkML-Map ({len(approximations)}):", highlight=False, markup=False)
            for line in approximations:
                out.print(f"    - {line}", highlight=False, markup=False, soft_wrap=True)


@export_app.command("dbt")
@_guard
def dbt(
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder of the dbt project (default <project>/dbt)."),
    source: list[str] = typer.Option([], "--source", "-s", help="Only these sources, with integrated views over them "
                                     "(repeatable; default every mapped source)."),
    project: Path = ProjectOpt,
) -> None:
    """A dbt project: the views as models over dbt sources, the dictionary's rules as dbt tests.

    Example: dict export dbt --out dbt && cd dbt && dbt build   (with dbt-duckdb: pip install 'dict-toolkit[dbt]')
    """
    from toolkit.emit.dbt import PROFILE_NAME, dbt_files
    from toolkit.core.output import write_generated
    from toolkit.plan import load_plan

    plan = load_plan(project)
    unknown = [s for s in source if s not in {p.name for p in plan.sources}]
    if unknown:
        err.print(f"error: no mapping for source '{unknown[0]}'; mapped sources: "
                  f"{', '.join(p.name for p in plan.sources)}", markup=False, highlight=False)
        raise typer.Exit(2)
    if source:
        plan = plan.restrict(source)
    target = (out_dir or project / "dbt").resolve()
    files = dbt_files(plan)
    write_generated(target.parent, {f"{target.name}/{name}": text for name, text in files.items()}, (target.name,))
    models = sum(1 for name in files if name.endswith(".sql"))
    out.print(f"wrote {target}: {models} models over {len(plan.sources)} sources, sources.yml and schema.yml",
              highlight=False, markup=False, soft_wrap=True)
    out.print(f"next: a profile named '{PROFILE_NAME}' (type duckdb, path to the database holding the sources' "
              "schemas), then: dbt build", highlight=False, markup=False, soft_wrap=True)
