"""`dict lineage upstream|downstream|impact NODE` and `dict lineage verify`: column lineage from the mappings."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from toolkit.cli import ProjectOpt, _guard, app, err, out, step, usage_error

lineage_app = typer.Typer(no_args_is_help=True, help="Column-level lineage from the mappings: where a canonical field "
                          "comes from, and what breaks if a legacy column changes.")
app.add_typer(lineage_app, name="lineage")

NodeArg = typer.Argument(..., help="A node: a legacy column (chinook.Customer.Phone), a slot (Customer.full_name), "
                         "a table, system, class, derivation or view, or a full id such as column:chinook.Customer.Phone.")
FormatOpt = typer.Option("text", "--format", help="text for people or json for CI bots.")


def _graph(project: Path):
    from toolkit.emit.graph import build_lineage
    from toolkit.plan import load_plan

    plan = load_plan(project)
    return plan, build_lineage(plan)


def _resolve(g, name: str) -> str:
    from toolkit.core.errors import DictError, Problem
    from toolkit.emit.graph import resolve, suggestions

    try:
        return resolve(g, name)
    except KeyError:
        close = suggestions(g, name)
        raise DictError(Problem("NODE", 1, f"no lineage node '{name}'",
                                f"did you mean {' or '.join(close)}?" if close else
                                "give system.table.column, Class.slot, a view name or a full id like column:src.Table.Col")) from None


def _check_format(output_format: str) -> None:
    if output_format not in ("text", "json"):
        err.print(f"error: unknown format '{output_format}'; choose text or json")
        raise typer.Exit(2)


def translator_files(project: Path, plan) -> dict[str, str]:
    """derivation id -> 'generated/python/<source>.py:<line>' of its translator, read from the generated
    translators on disk (what `dict generate python` wrote), when there are any."""
    return _translators_on_disk(project, translator_functions(plan))


def translator_functions(plan) -> list[tuple[str, str, str]]:
    """(derivation id, source, function name) of every derivation's translator, as `dict generate python`
    names them (facts of the plan alone: cached with it)."""
    from toolkit.emit.python import function_name

    return [(f"derivation:{view.source}.{view.name}", source.name, function_name(view))
            for source in plan.sources for view in source.views]


def _translators_on_disk(project: Path, functions) -> dict[str, str]:
    import re

    out, defined_in = {}, {}
    for derivation, source, function in functions:
        if source not in defined_in:
            path = project / "generated" / "python" / f"{source}.py"
            defined: dict[str, int] = {}
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                for m in re.finditer(r"^def (\w+)\(", text, re.M):
                    defined.setdefault(m.group(1), text.count("\n", 0, m.start()) + 1)
            defined_in[source] = defined
        line = defined_in[source].get(function)
        if line:
            out[derivation] = f"generated/python/{source}.py:{line}"
    return out


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _direction(project: Path, node: str, direction: str, output_format: str) -> None:
    from toolkit.emit.cache import cached_run

    _check_format(output_format)

    def facts() -> tuple[dict, tuple, dict]:
        """What the command prints, which the plan alone decides: cached like `dict validate`'s facts (by the
        bytes of every file the plan is read from), so an unchanged project is not loaded again."""
        return {}, (), {"json": _direction_json(project, node, direction)} if output_format == "json" else \
            {"lines": _direction_lines(project, node, direction)}

    info = cached_run(project, {"command": f"lineage {direction}", "node": node, "format": output_format}, facts)[2]
    if output_format == "json":
        out.print_json(info["json"])
        return
    for line in info["lines"]:   # node lines (indented by four) may be long: the terminal wraps them
        out.print(line, highlight=False, soft_wrap=line.startswith("    "))


def _direction_nodes(project: Path, node: str, direction: str):
    from toolkit.emit.graph import column_lineage, sorted_nodes, traverse

    _plan, g = _graph(project)
    nid = _resolve(g, node)
    result = traverse(g, nid, direction)
    nodes = sorted_nodes(g, result.nodes)
    columns = {}
    if direction == "upstream":
        for start in [nid]:
            for col, uses in column_lineage(g, start).items():
                columns[col] = [{"type": t, "subtype": s, "expression": e} for t, s, e in uses]
    return g, nid, nodes, columns


def _direction_json(project: Path, node: str, direction: str) -> str:
    g, nid, nodes, columns = _direction_nodes(project, node, direction)
    return json.dumps({
        "node": nid, "kind": g.nodes[nid]["kind"], "direction": direction,
        "nodes": [{"id": n, "kind": g.nodes[n]["kind"], "label": g.nodes[n]["label"]} for n in nodes],
        "legacy_columns": columns if direction == "upstream" else
        [n for n in nodes if g.nodes[n]["kind"] == "column"],
    }, ensure_ascii=False)


def _direction_lines(project: Path, node: str, direction: str) -> list[str]:
    g, nid, nodes, columns = _direction_nodes(project, node, direction)
    lines = [f"{direction} of {nid} ({g.nodes[nid]['kind']}): {len(nodes)} node(s)"]
    current = None
    for n in nodes:
        kind = g.nodes[n]["kind"]
        if kind != current:
            current = kind
            lines.append(f"  {kind}:")
        line = f"    {n.split(':', 1)[1]}"
        if n in columns:
            line += "  " + "; ".join(f"{u['type']} {u['subtype']}: {_short(u['expression'])}" for u in columns[n])
        lines.append(line)
    return lines


@lineage_app.command()
@_guard
def upstream(node: str = NodeArg, output_format: str = FormatOpt, project: Path = ProjectOpt) -> None:
    """Everything NODE is computed from: legacy columns (with how each is used), checks, views."""
    _direction(project, node, "upstream", output_format)


@lineage_app.command()
@_guard
def downstream(node: str = NodeArg, output_format: str = FormatOpt, project: Path = ProjectOpt) -> None:
    """Everything computed from NODE: views, checks, canonical slots, integrated views."""
    _direction(project, node, "downstream", output_format)


@lineage_app.command()
@_guard
def impact(node: str = NodeArg, output_format: str = FormatOpt, project: Path = ProjectOpt) -> None:
    """If NODE changes or is dropped: the mapping lines to fix, and the canonical slots, views,
    translators and checks affected."""
    from toolkit.emit.cache import cached_run

    _check_format(output_format)

    def facts() -> tuple[dict, tuple, dict]:
        """The report as the plan alone decides it, cached like `dict validate`'s facts (by the bytes of every
        file the plan is read from), so an unchanged project is not loaded again; the translators are looked
        up in generated/python/ on every run, as they stand on disk."""
        from toolkit.emit.graph import impact_report
        from toolkit.plan.policies import policies_reading

        plan, g = _graph(project)
        nid = _resolve(g, node)
        report = impact_report(g, nid)
        slots = report["canonical_slots"] + ([g.nodes[nid]["label"]] if report["kind"] == "slot" else [])
        # as JSON text: the cache stores its facts with sorted keys, and the report's key order is its output's
        return {}, (), {"report": json.dumps(report), "policies": json.dumps(policies_reading(plan.policies, slots)),
                        "functions": translator_functions(plan)}

    info = cached_run(project, {"command": "lineage impact", "node": node}, facts)[2]
    report = json.loads(info["report"])
    translators = _translators_on_disk(project, info["functions"])
    report["translators"] = [{"derivation": d, "file": translators[f"derivation:{d}"]}
                             for d in report["derivations"] if f"derivation:{d}" in translators]
    report["translators_generated"] = bool(translators)
    report["policies"] = json.loads(info["policies"])
    if output_format == "json":
        out.print_json(json.dumps(report, ensure_ascii=False))
        return
    say = lambda text: out.print(text, highlight=False, soft_wrap=True)  # noqa: E731
    say(f"impact of {report['node']} ({report['kind']})")
    if report["mapping_reads"]:
        say("mapping lines that read it (change them if it changes):")
        for r in report["mapping_reads"]:
            say(f"  {r['file']}:{r['line']}  {r['derivation'].split(':', 1)[1]}  {r['expression']}")
    say(f"canonical slots ({len(report['canonical_slots'])}): {', '.join(report['canonical_slots']) or '-'}")
    say(f"views ({len(report['views'])}): {', '.join(report['views']) or '-'}")
    say(f"derivations ({len(report['derivations'])}): {', '.join(report['derivations']) or '-'}")
    if translators:
        say(f"translators ({len(report['translators'])}): "
            + (", ".join(f"{t['derivation']} in {t['file']}" for t in report["translators"]) or "-"))
    else:
        say("translators: none generated (run `dict generate python` for record translators)")
    say(f"checks ({len(report['checks'])}):")
    for c in report["checks"]:
        say(f"  {c['check']}  {c['kind']}  {c['rule']}  ({c['file']}:{c['line']})")
    say(f"policies ({len(report['policies'])}):")
    for p in report["policies"]:
        say(f"  {p['policy']}  reads {', '.join(p['reads'])}  ({p['file']}:{p['line']}; purpose: {p['purpose']})")


@lineage_app.command()
@_guard
def verify(
    dialect: str = typer.Option("duckdb", help="Dialect(s), comma-separated, or 'all' (every dialect: nine times "
                                "the work, for CI)."),
    project: Path = ProjectOpt,
) -> None:
    """Re-derive each generated view's column lineage from its SQL with sqlglot and compare it with
    the mapping-derived lineage; exit 1 naming every view and column that differs. A view whose SQL text
    was traced before (same text, dialect and toolkit) is not traced again: its reads are kept in
    .dict-cache/ (DICT_CACHE=0: trace every view)."""
    from toolkit import dialects
    from toolkit.emit.generate import dialect_names
    from toolkit.analyze.verify import verify as do_verify

    names = dialect_names(dialect)
    for d in names:
        if d not in dialects.names():
            usage_error(f"unknown dialect '{d}'; choose from {', '.join(dialects.names())} or all")
    from toolkit.emit.cache import opened

    failed = 0
    root = project.resolve()
    with opened(root):   # the SQL texts and the lineage of views traced before come from the project's cache
        plan, g = _graph(project)
        for d in names:
            with step(f"verifying the lineage of the {d} views"):
                mismatches = do_verify(plan, g, d, root)
            failed += len(mismatches)
            for m in mismatches:
                err.print(str(m), highlight=False, soft_wrap=True)
            out.print(f"{d}: {'ok' if not mismatches else f'{len(mismatches)} mismatch(es)'}", highlight=False)
    if failed:
        raise typer.Exit(1)
