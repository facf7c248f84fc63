"""`dict demo`: the main job end to end on the embedded default engine.

Builds the fictional demo estate (a CRM, a billing system whose account is a household,
a call centre) into one local DuckDB file, one schema per system, then validates,
generates everything, runs the views and reports canonical rows and rejects.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable

from toolkit.run.engines.duckdb import connect
from toolkit.run.engines.reconcile import RunResult, run_report
from toolkit.emit.generate import generate, generator_names
from toolkit.plan import load_plan

ESTATE = Path(__file__).with_name("demo") / "estate"


def estate_scripts() -> dict[str, Path]:
    """Demo source name -> its SQL script."""
    return {p.stem: p for p in sorted(ESTATE.glob("*.sql"))}


def build_estate(database: Path | str, scripts: dict[str, Path] | None = None):
    """Load each script into its own schema of a fresh DuckDB database; returns the connection.
    If loading fails (a full disk), no half-built database is left behind."""
    if isinstance(database, Path) and database.exists():
        database.unlink()
    con = connect(database)
    try:
        for name, script in (scripts or estate_scripts()).items():
            con.execute(f'CREATE SCHEMA "{name}"')
            con.execute(f'USE "{name}"')
            con.execute(script.read_text(encoding="utf-8"))
        con.execute("USE main")
    except BaseException:
        con.close()
        if isinstance(database, Path):
            _discard(database)
        raise
    return con


def _discard(database: Path) -> None:
    """Remove a DuckDB database file and its write-ahead log."""
    for path in (database, database.with_name(database.name + ".wal")):
        with contextlib.suppress(OSError):   # cleaning up must not hide the error that stopped the demo
            path.unlink(missing_ok=True)


def run_demo(project: Path, workdir: Path, say: Callable[[str], None] = print) -> RunResult:
    workdir.mkdir(parents=True, exist_ok=True)
    scripts = estate_scripts()
    database = workdir / "estate.duckdb"
    con = build_estate(database, scripts)
    try:
        return _demo_run(project, workdir, con, scripts, say)
    except BaseException:   # a demo that did not finish leaves no estate behind (generated/ is atomic already)
        con.close()
        _discard(database)
        raise


def _demo_run(project: Path, workdir: Path, con, scripts: dict[str, Path], say: Callable[[str], None]) -> RunResult:
    say(f"built demo estate {workdir / 'estate.duckdb'} ({', '.join(scripts)})")
    plan = load_plan(project)
    say(f"validated: {len(plan.dictionary.classes)} classes, {len(plan.sources)} mapped sources, {len(plan.views())} derivations")
    targets = generator_names()
    changed = generate(project, targets, workdir / "generated", plan=plan, dialect="duckdb")
    say(f"generated {', '.join(targets)} into {workdir / 'generated'} ({len(changed)} files changed)")
    missing = [name for name in scripts if name not in {s.name for s in plan.sources}]
    if missing:
        say(f"note: no mapping yet for demo system(s) {', '.join(missing)}")
    demo_sources = {name: None for name in scripts if name not in missing}
    result = run_report(plan, demo_sources, con=con)
    for line in policy_lines(con, plan):
        say(line)
    from toolkit.run.matching.run import unique_parties

    for line in unique_parties(plan, con):
        say(line)
    return result


def policy_lines(con, plan) -> list[str]:
    """Create the policy views over the integrated views and say which customers each policy acts on."""
    from sqlglot import exp

    from toolkit.dialects import get
    from toolkit.emit.policies import policy_statements

    duckdb = get("duckdb")
    for _name, statement in policy_statements(plan.policies):
        for sql in duckdb.statements(statement):
            con.execute(sql)
    lines = []
    for policy in plan.policies:
        party = exp.column(exp.to_identifier("party_id", quoted=True))
        query = exp.select(party, exp.Count(this=exp.Star())).from_(
            exp.Table(this=exp.to_identifier(policy.view_name, quoted=True))).group_by(party.copy()).order_by(party.copy())
        rows = con.execute(duckdb.to_sql(query)).fetchall()
        parties = ", ".join(f"{party} ({n}x)" if n > 1 else str(party) for party, n in rows) or "no one in the demo estate"
        lines.append(f"policy {policy.name} -> {policy.action} on {policy.channel}: {len(rows)} {policy.party_class.lower()}(s): "
                     f"{parties}")
    return lines
