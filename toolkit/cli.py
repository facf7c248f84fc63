"""The `dict` command: a thin shell over the library (each command is one library call)."""
from __future__ import annotations

import errno
import functools
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import dialects
from .errors import DictError, Problem

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="dict: enterprise data dictionary and schema-mapping toolkit.")
# emoji=False: rich would print "file.yaml:100: ..." as "file.yaml💯 ..."
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)

ProjectOpt = typer.Option(Path("."), "--project", "-p", help="Project root (holds dictionary/ and mappings/).")


def _fail(error: DictError) -> None:
    for problem in error.problems:
        # escape: a message quoting a pattern such as ^[a-z]*$ is text, not rich markup
        err.print(f"[bold red]error[/] {escape(str(problem))}", markup=True, highlight=False, soft_wrap=True)
    err.print(f"{len(error.problems)} problem(s); nothing was written.", highlight=False)
    raise typer.Exit(1)


def _guard(fn):
    """Turn a user-fixable DictError into file:line messages and exit code 1, never a traceback; the same for
    a file system that refuses (read-only, full, permission denied): one line, exit code 1."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DictError as error:
            _fail(error)
        except (RecursionError, MemoryError) as error:
            # defence in depth: toolkit/limits.py refuses such input with file:line long before this
            err.print(f"error: the input is too large or too deeply nested to process ({type(error).__name__}); "
                      "nothing was written (see the limits in README's guardrails)", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except Exception as exc:
            message = _environment_fault(exc)
            if message is None:
                raise
            err.print(f"dict: {message}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1)
    return wrapper


# errno values by which the environment, not the project, refuses a file operation
_ENVIRONMENT_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG,
                       errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ENOENT, errno.ENAMETOOLONG, errno.EBUSY,
                       errno.EMFILE, errno.ENFILE, errno.ELOOP, errno.ETXTBSY, errno.EXDEV, errno.EMLINK}


def _environment_fault(exc: Exception) -> str | None:
    """The one-line message for a file system's refusal, or None for anything else (a bug stays a traceback)."""
    import sys

    from .output import OutputError, describe, shown

    if isinstance(exc, OutputError):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno in _ENVIRONMENT_ERRNOS:
        action = "cannot write " if exc.errno in (errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG) else ""
        where = f"{shown(exc.filename)}: " if exc.filename else ""
        return f"{action}{where}{describe(exc)}"
    duckdb = sys.modules.get("duckdb")   # the embedded engine's own file errors (demo estate, duckdb: targets)
    if duckdb is not None and isinstance(exc, duckdb.IOException):
        return describe(exc)
    return None


@app.command()
@_guard
def validate(project: Path = ProjectOpt) -> None:
    """Check the dictionary and every mapping against its source schema; exit 1 on any problem."""
    from .plan import load_plan

    plan = load_plan(project)
    out.print(f"ok: {len(plan.dictionary.classes)} classes, {len(plan.sources)} sources, "
              f"{len(plan.views())} derivations", highlight=False)


@app.command("import-source")
@_guard
def import_source(
    source: str = typer.Argument(..., help="Source system name, e.g. chinook."),
    from_: str = typer.Option(..., "--from", help="Database URL (postgresql://user@host:5432/db, mysql://user@host/db; "
                              "the password from the URL or PGPASSWORD/MYSQL_PWD, never written), DDL file "
                              "(pg_dump -s, mysqldump --no-data, SQL Server scripts), SQLite or DuckDB database."),
    dialect: str = typer.Option("", help="sqlglot dialect of a DDL file (e.g. sqlite, postgres, mysql, tsql)."),
    schema: Optional[str] = typer.Option(None, "--schema", help="Database schema to read (default: the server's default, "
                                         "e.g. public; main for DuckDB)."),
    include: list[str] = typer.Option([], "--include", help="Only tables matching this shell pattern (repeatable)."),
    exclude: list[str] = typer.Option([], "--exclude", help="Leave out tables matching this shell pattern (repeatable)."),
    project: Path = ProjectOpt,
) -> None:
    """Record a source's tables, columns, types, keys and comments in mappings/<source>.source.yaml.

    Example: dict import-source crm --from postgresql://reader@db.example.org/crm --schema sales --exclude 'tmp_*'
    """
    from .output import write_file_atomic
    from .source_schema import dump_source_schema, import_source as do_import

    imported = do_import(source, from_, dialect or None, database_schema=schema, include=tuple(include),
                         exclude=tuple(exclude))
    target = project / "mappings" / f"{source}.source.yaml"
    write_file_atomic(target, dump_source_schema(imported.schema))
    out.print(f"wrote {target} ({len(imported.schema.tables)} tables)", highlight=False)
    if imported.skipped:
        kinds = ", ".join(f"{n} {kind}" for kind, n in imported.skipped.items())
        out.print(f"skipped {sum(imported.skipped.values())} statement(s) that define no table or key: {kinds}",
                  highlight=False, soft_wrap=True)


@app.command()
@_guard
def generate(
    target: str = typer.Argument("sql", help="What to generate (sql, python, lineage, docs, ...) or 'all'."),
    dialect: str = typer.Option("duckdb", help=f"SQL dialect(s), comma-separated, or 'all' ({', '.join(dialects.names())})."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Output folder (default <project>/generated)."),
    source: list[str] = typer.Option([], "--source", "-s", help="Only these sources' views, with integrated views "
                                     "spanning exactly them (repeatable; needs --out: generated/ keeps every source)."),
    project: Path = ProjectOpt,
) -> None:
    """Generate files from the dictionary and mappings, atomically."""
    from .generate import dialect_names, generate as do_generate, generator_names
    from .plan import load_plan

    targets = generator_names() if target == "all" else [target]
    for t in targets:
        if t not in generator_names():
            err.print(f"error: unknown target '{t}'; choose one of {', '.join(generator_names())} or all")
            raise typer.Exit(2)
    for d in dialect_names(dialect):
        if d not in dialects.names():
            err.print(f"error: unknown dialect '{d}'; choose from {', '.join(dialects.names())} or all")
            raise typer.Exit(2)
    plan = None
    if source:
        if out_dir is None:
            err.print("error: --source writes the views of some sources only; pass --out DIR (generated/ keeps them all)")
            raise typer.Exit(2)
        plan = load_plan(project)
        known = [s.name for s in plan.sources]
        unknown = [s for s in source if s not in known]
        if unknown:
            err.print(f"error: no mapping for source '{unknown[0]}'; mapped sources: {', '.join(known)}")
            raise typer.Exit(2)
        plan = plan.restrict(source)
    changed = do_generate(project, targets, out_dir, plan=plan, dialect=dialect)
    out.print(f"generated {', '.join(targets)}: {len(changed)} file(s) changed", highlight=False)
    for rel in changed:
        out.print(f"  {rel}", highlight=False)


def _data_option(values: list[str]) -> dict[str, Path | str]:
    """SOURCE=PATH (a file) or SOURCE=URL (a live database, kept as text) per --data option."""
    from .introspect import is_url

    data: dict[str, Path | str] = {}
    for item in values:
        if "=" not in item:
            raise DictError(Problem("--data", 1, f"'{item}' should be SOURCE=PATH or SOURCE=URL"))
        name, where = item.split("=", 1)
        data[name] = where if is_url(where) else Path(where)
    return data


@app.command()
@_guard
def run(
    data: list[str] = typer.Option(..., "--data", "-d", help="SOURCE=PATH of a SQLite or DuckDB file, or SOURCE=URL of a "
                                   "live database (postgresql://user@host/db?schema=S, mysql://user@host/db), read "
                                   "where it is; repeat per source."),
    database: Path = typer.Option(Path(":memory:"), "--database", help="DuckDB file to create the views in."),
    target: Optional[str] = typer.Option(None, "--target", "-t", help="Run on Spark instead: sc://HOST:PORT (Spark Connect) "
                                         "or spark://HOST:PORT (standalone master); views go to database --views."),
    views: str = typer.Option("dict_views", "--views", help="Spark database of dict's own for the source copies and views."),
    project: Path = ProjectOpt,
) -> None:
    """Run the views over sources' data in DuckDB (or Spark); print canonical rows and rejects per class."""
    from .plan import load_plan
    from .report import run_report

    plan = load_plan(project)
    if target is not None:
        from .engines.spark_cluster import run_on_spark

        result = run_on_spark(plan, target, views, _data_option(data))
    else:
        result = run_report(plan, _data_option(data), database)
    print_run(result)
    if not result.balanced:
        raise typer.Exit(1)


def print_run(result) -> None:
    table = Table(title="canonical rows per source and derivation")
    for col in ("source", "derivation", "class", "source rows", "canonical", "rejected"):
        numeric = col in ("source rows", "canonical", "rejected")
        table.add_column(col, justify="right" if numeric else "left", no_wrap=True)
    for r in result.reconciliations:
        canonical = str(r.canonical) + (" groups" if r.view.grouped else "")
        table.add_row(r.view.source, r.view.name, r.view.target.name, str(r.source_rows), canonical, str(r.rejected))
    out.print(table)
    integrated = Table(title="integrated views (all sources)")
    integrated.add_column("class")
    integrated.add_column("rows", justify="right")
    for name, n in result.integrated.items():
        integrated.add_row(name, str(n))
    out.print(integrated)
    orphans = [(r.view.source, r.view.name, *o) for r in result.reconciliations for o in getattr(r, "orphans", ())]
    if orphans:
        t = Table(title="orphan references: values naming no canonical row of their class (views <derivation>__orphans)")
        for col in ("source", "derivation", "slot", "references", "target", "on_orphan", "rows"):
            t.add_column(col, justify="right" if col == "rows" else "left")
        for source, name, slot, cls, state, action, n in orphans:
            t.add_row(source, name, slot, cls, state, "rejected" if action == "reject" else "kept", str(n))
        out.print(t)
    rejects = [(r.view.source, r.view.name, reason, n) for r in result.reconciliations for reason, n in r.reasons]
    if rejects:
        t = Table(title="rejects by reason")
        for col in ("source", "derivation", "reason", "rows"):
            t.add_column(col)
        for row in rejects:
            t.add_row(*[str(x) for x in row])
        out.print(t)
    for r in result.reconciliations:
        for alias, rows, most in getattr(r, "join_violations", ()):
            err.print(f"[bold red]cardinality[/] {r.view.view_name}: join '{alias}' is declared to_one but matched "
                      f"up to {most} rows for {rows} source row(s) (see view {r.view.view_name}__joins; "
                      "declare it to_many with group_by, or fix the join condition)")
        if not r.balanced:
            err.print(f"[bold red]unbalanced[/] {r.view.view_name}: {r.source_rows} source rows, {r.staged} staged, "
                      f"{r.canonical} canonical + {r.rejected} rejected (a join declared to_one matched several rows?)")
    for shared in getattr(result, "shared_ids", ()):
        err.print(f"[bold red]duplicate ids[/] {escape(shared.describe())}", highlight=False, soft_wrap=True)


@app.command()
@_guard
def demo(
    workdir: Path = typer.Option(Path("demo-output"), help="Folder for the demo database and generated files."),
    project: Path = ProjectOpt,
) -> None:
    """The main job end to end: build the demo estate, validate, generate, run the views, report."""
    from .demo import run_demo

    result = run_demo(project, workdir, say=lambda m: out.print(m, highlight=False))
    print_run(result)
    if not result.balanced:
        raise typer.Exit(1)


def _load_commands() -> None:
    """Each module in toolkit/commands adds its commands to ``app``."""
    import importlib
    import pkgutil

    from . import commands

    for info in pkgutil.iter_modules(commands.__path__):
        importlib.import_module(f"{commands.__name__}.{info.name}")


_load_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    # `python -m toolkit.cli`: run the importable module's app, the one toolkit/commands/* register on
    from toolkit.cli import main as _main

    _main()
