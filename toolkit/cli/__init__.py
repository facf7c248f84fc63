"""The `dict` command: a thin shell over the library (each command is one library call)."""
from __future__ import annotations

import contextlib
import errno
import functools
import os
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from toolkit.core.errors import DictError, Problem
from toolkit.core.names import VIEWS_SCHEMA
from toolkit.core.paths import dialect_files

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="dict: enterprise data dictionary and schema-mapping toolkit.")

_UNBOUNDED = 10_000   # columns for output that is not a terminal: tables as wide as their content


class _Console(Console):
    """A console that, writing to a file or a CI log rather than a terminal, never cuts a table to 80 columns:
    a cell shortened to `canoni…` would hide the trailing space that explains a reject."""

    @property
    def size(self):
        from rich.console import ConsoleDimensions

        size = Console.size.fget(self)
        if self.is_terminal or self._width is not None or os.environ.get("COLUMNS"):
            return size
        return ConsoleDimensions(_UNBOUNDED, size.height)

    @size.setter
    def size(self, new_size) -> None:
        Console.size.fset(self, new_size)


# emoji=False: rich would print "file.yaml:100: ..." as "file.yaml💯 ..."
out = _Console(emoji=False)
err = _Console(stderr=True, emoji=False)


def _find_project(ctx: typer.Context, param: typer.CallbackParam, value: Path) -> Path:
    """Without --project, the nearest folder holding dictionary/: this one or one above (as git finds .git),
    so dict works from mappings/ or any subfolder of the project."""
    try:   # typer >= 0.20 carries its own copy of click
        from typer._click.core import ParameterSource
    except ImportError:
        from click.core import ParameterSource

    if ctx.resilient_parsing or (value / "dictionary").is_dir() or \
            ctx.get_parameter_source(param.name) is not ParameterSource.DEFAULT:
        return value
    for folder in value.resolve().parents:
        if (folder / "dictionary").is_dir():
            err.print(f"project: {folder} (the nearest folder above holding dictionary/)", markup=False,
                      highlight=False, soft_wrap=True)
            return folder
    return value


ProjectOpt = typer.Option(Path("."), "--project", "-p", callback=_find_project,
                          help="Project root (holds dictionary/ and mappings/; default: this folder or the nearest "
                          "one above holding dictionary/).")


def _version(show: bool) -> None:
    if show:
        from importlib.metadata import PackageNotFoundError, version

        try:
            out.print(f"dict {version('dict-toolkit')}", highlight=False)
        except PackageNotFoundError:   # run from a checkout that was never installed
            out.print("dict (not installed: run from a source checkout)", highlight=False)
        raise typer.Exit(0)


@app.callback()
def _root(show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                            help="Print the version and exit.")) -> None:
    """dict: enterprise data dictionary and schema-mapping toolkit.

    Start with: dict demo. Then: dict validate, dict generate all, dict check (see README).
    """


def usage_error(message: str) -> None:
    """A mistake in the command line: one line on stderr and exit code 2, the same in every command."""
    err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def renamed_option(new: str, value, old: str, old_value, why: str = ""):
    """The value of option ``new``, or of its deprecated spelling ``old`` with a one-line warning on stderr;
    both at once is a usage error."""
    if old_value is None:
        return value
    if value is not None:
        usage_error(f"give either {new} or {old} (its deprecated spelling), not both")
    err.print(f"warning: {old} is deprecated here: use {new}" + (f" ({why})" if why else ""), markup=False,
              highlight=False, soft_wrap=True)
    return old_value


def check_dialects(option: str | None) -> None:
    """Exit 2 naming the first dialect of ``option`` (comma-separated or 'all') that dict has no dialect for."""
    from toolkit.emit.generate import dialect_names

    for d in dialect_names(option or "all"):
        if d not in dialect_files():
            usage_error(f"unknown dialect '{d}'; choose from {', '.join(dialect_files())} or all")


@contextlib.contextmanager
def step(what: str):
    """A Rich spinner on stderr while a step runs, and its time once done if it took a second or more, so a
    long step (generating nine dialects, checking generated/) never looks hung. Only on a terminal: a log or
    a pipe gets the command's own output and nothing else."""
    console = err
    if not console.is_terminal:
        yield
        return
    started = time.monotonic()
    with console.status(f"{what}…"):
        yield
    took = time.monotonic() - started
    if took >= 1:
        console.print(f"[dim]{escape(what)}: {took:.1f} s[/]", highlight=False)


def github_annotation(level: str, file: str, line: int, message: str) -> str:
    """A GitHub Actions workflow command that marks ``file:line`` in the pull request. Text from the project is
    escaped as the runner reads it (%, CR, LF; and ',' ':' in properties): a message cannot end the command
    or start another."""
    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return data(text).replace(":", "%3A").replace(",", "%2C")

    return f"::{level} file={prop(file)},line={max(int(line), 1)}::{data(message)}"


def check_format(value: str, allowed: tuple[str, ...] = ("text", "json")) -> None:
    if value not in allowed:
        usage_error(f"--format must be {', '.join(allowed[:-1])} or {allowed[-1]}, not '{value}'")


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
            # defence in depth: toolkit/core/limits.py refuses such input with file:line long before this
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

    from toolkit.core.output import OutputError, describe, shown

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
def validate(
    output_format: str = typer.Option("text", "--format", help="text for people, json for bots, github for "
                                      "annotations on the pull request's lines (GitHub Actions)."),
    project: Path = ProjectOpt,
) -> None:
    """Check the dictionary and every mapping against its source schema; exit 1 on any problem.

    Example: dict validate --format json
    """
    import json

    from toolkit.emit.cache import cached_run

    check_format(output_format, ("text", "json", "github"))

    def facts() -> tuple[dict, tuple, dict]:
        """What validate reports about a valid project (no files): cached, like a run of `dict check`, by the
        bytes of every file the plan is read from, so an unchanged project is not even loaded again."""
        from toolkit.plan import load_plan
        from toolkit.plan.policies import conflicts

        plan = load_plan(project)
        return {}, (), {"classes": len(plan.dictionary.classes), "sources": len(plan.sources),
                        "derivations": len(plan.views()), "policies": len(plan.policies),
                        "warnings": [[c.first.file, c.first.line, str(c)] for c in conflicts(plan.policies)]}

    if output_format == "github":
        try:
            info = cached_run(project, {"command": "validate"}, facts)[2]
        except DictError as error:
            for p in error.problems:
                message = p.message + (f" ({p.hint})" if p.hint else "")
                out.print(github_annotation("error", p.file, p.line, message), markup=False, highlight=False,
                          soft_wrap=True)
            raise typer.Exit(1)
        for file, line, message in info["warnings"]:
            out.print(github_annotation("warning", file, line, message), markup=False,
                      highlight=False, soft_wrap=True)
        return
    if output_format == "json":
        try:
            info = cached_run(project, {"command": "validate"}, facts)[2]
        except DictError as error:
            out.print_json(json.dumps({"ok": False, "problems": [
                {"file": p.file, "line": p.line, "message": p.message, "hint": p.hint} for p in error.problems]},
                ensure_ascii=False))
            raise typer.Exit(1)
        out.print_json(json.dumps({"ok": True, "classes": info["classes"], "sources": info["sources"],
                                   "derivations": info["derivations"], "policies": info["policies"],
                                   "warnings": [{"file": file, "line": line, "message": message}
                                                for file, line, message in info["warnings"]]}, ensure_ascii=False))
        return
    info = cached_run(project, {"command": "validate"}, facts)[2]
    for _file, _line, message in info["warnings"]:
        err.print(f"[bold yellow]warning[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    out.print(f"ok: {info['classes']} classes, {info['sources']} sources, "
              f"{info['derivations']} derivations, {info['policies']} policies", highlight=False)


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
    from toolkit.core.output import write_file_atomic
    from toolkit.load.source_schema import dump_source_schema, import_source as do_import

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
    dialect: Optional[str] = typer.Option(None, help="SQL dialect(s), comma-separated, or 'all' "
                                          f"({', '.join(dialect_files())}); default: the dialects the output "
                                          "folder holds (generated/sql/*), duckdb for a new one."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Output folder (default <project>/generated)."),
    source: list[str] = typer.Option([], "--source", "-s", help="Only these sources' views, with integrated views "
                                     "spanning exactly them (repeatable; needs --out: generated/ keeps every source)."),
    project: Path = ProjectOpt,
) -> None:
    """Generate files from the dictionary and mappings, atomically.

    Example: dict generate all   (then dict check is clean: every dialect generated/ holds is regenerated)
    """
    from toolkit.analyze.drift import generated_dialects
    from toolkit.emit.generate import generate as do_generate, generator_names
    from toolkit.plan import load_plan

    targets = generator_names() if target == "all" else [target]
    for t in targets:
        if t not in generator_names():
            usage_error(f"unknown target '{t}'; choose one of {', '.join(generator_names())} or all")
    check_dialects(dialect)
    dialect = dialect or ",".join(generated_dialects(out_dir or project / "generated"))
    plan = None
    if source:
        if out_dir is None:
            usage_error("--source writes the views of some sources only; pass --out DIR (generated/ keeps them all)")
        plan = load_plan(project)
        known = [s.name for s in plan.sources]
        unknown = [s for s in source if s not in known]
        if unknown:
            usage_error(f"no mapping for source '{unknown[0]}'; mapped sources: {', '.join(known)}")
        plan = plan.restrict(source)
    with step(f"generating {', '.join(targets)} ({dialect})"):
        changed = do_generate(project, targets, out_dir, plan=plan, dialect=dialect)
    out.print(f"generated {', '.join(targets)}: {len(changed)} file(s) changed", highlight=False)
    for rel in changed:
        out.print(f"  {rel}", highlight=False)
    if "docs" in targets:
        open_next((out_dir or project / "generated") / "docs" / "index.html")


def open_next(index: Path) -> None:
    """Where to look next: the documentation site's first page."""
    out.print(f"open {index.resolve()} in a browser: the dictionary, mappings and lineage", highlight=False,
              markup=False, soft_wrap=True)


def _data_option(values: list[str]) -> dict[str, Path | str]:
    """SOURCE=PATH (a file) or SOURCE=URL (a live database, kept as text) per --data option."""
    from toolkit.load.introspect import is_url

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
    views: str = typer.Option(VIEWS_SCHEMA, "--views", help="Spark database of dict's own for the source copies and views."),
    record: bool = typer.Option(False, "--record", help="Save the counts and reject reasons per derivation in "
                                "runs/latest.json for the docs' run page (then: dict generate docs)."),
    project: Path = ProjectOpt,
) -> None:
    """Run the views over sources' data in DuckDB (or Spark: --target); print canonical rows and rejects per class.

    Example: dict run -d chinook=Chinook_Sqlite.sqlite -d northwind=northwind.db --record
    """
    from toolkit.plan import load_plan
    from toolkit.run.engines.reconcile import run_report

    plan = load_plan(project)
    if target is not None:
        from toolkit.run.engines.spark_cluster import run_on_spark

        with step("running the views on Spark"):
            result = run_on_spark(plan, target, views, _data_option(data))
    else:
        with step("running the views"):
            result = run_report(plan, _data_option(data), database)
    print_run(result)
    if record:
        from toolkit.emit.runrecord import write_record

        path = write_record(project, result, "spark" if target is not None else "duckdb")
        err.print(f"recorded {path}: run dict generate docs to chart it (run.html)", markup=False, highlight=False,
                  soft_wrap=True)
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
    """The main job end to end: build the demo estate, validate, generate, run the views, report.

    Example: dict demo --workdir demo-output   (then open demo-output/generated/docs/index.html)
    """
    from toolkit.run.demo import run_demo

    with step("dict demo: building the estate, validating, generating, running the views"):
        result = run_demo(project, workdir, say=lambda m: out.print(m, highlight=False))
    print_run(result)
    open_next(workdir / "generated" / "docs" / "index.html")
    if not result.balanced:
        raise typer.Exit(1)


def _load_commands() -> None:
    """Each module in toolkit/cli adds its commands to ``app``."""
    import importlib
    import pkgutil

    from toolkit import cli as commands

    for info in pkgutil.iter_modules(commands.__path__):
        if info.name.startswith("_"):
            continue
        importlib.import_module(f"{commands.__name__}.{info.name}")


_load_commands()


def main(argv: list[str] | None = None) -> None:
    """The console script: click's usage errors become one line and exit code 2, as the commands' own."""
    import sys

    try:   # typer >= 0.20 carries its own copy of click
        from typer._click import exceptions as click
    except ImportError:
        from click import exceptions as click

    import gc

    from toolkit.emit.cache import enable

    if argv is None:   # the process's entry point (console script, python -m toolkit.cli), not a caller's test
        from toolkit.core import lean

        lean.process_entry()
    enable()   # the regeneration cache in <project>/.dict-cache/ (DICT_CACHE=0: off); library callers go without
    # A command allocates SQL trees by the hundred thousand and frees few of them before it ends: at Python's
    # default thresholds (700, 10, 10) the collector re-scans the long-lived plan and trees again and again
    # (about a third of copying the trees for nine dialects). Collect less often; a cycle is still freed.
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 20)
    try:
        sys.exit(_run(argv, click))
    finally:
        gc.set_threshold(*thresholds)
        enable(False)   # main() called in-process (tests) leaves no cache switched on behind it


def _run(argv: list[str] | None, click) -> int:
    """The app's exit code, with click's own errors told the way the commands tell theirs."""
    try:
        code = app(args=argv, prog_name="dict", standalone_mode=False)
    except click.NoArgsIsHelpError as error:
        out.print(error.ctx.get_help() if error.ctx else "", markup=False, highlight=False)
        return 0
    except click.UsageError as error:
        command = error.ctx.command_path if error.ctx else "dict"
        err.print(f"error: {error.format_message()} (see: {command} --help)", markup=False, highlight=False,
                  soft_wrap=True)
        return 2
    except click.ClickException as error:
        err.print(f"error: {error.format_message()}", markup=False, highlight=False, soft_wrap=True)
        return error.exit_code
    except typer.Abort:
        err.print("aborted", highlight=False)
        return 1
    return code if isinstance(code, int) else 0

