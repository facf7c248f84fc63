"""SQL scale benchmark: prints, side by side in one run, the ratios the engines work is held to.

1. ``dict generate sql --dialect all`` on a 200-class / 50-source synthetic estate, against
   LinkML's ``gen-sqltables`` on the same dictionary alone (target: ratio <= 0.5); every dict side
   runs cold, with ``DICT_CACHE=0`` (the regeneration cache in the project's ``.dict-cache/`` off),
   else every run after the first would only read back what the first rendered;
2. the generated views against hand-written equivalent SQL on DuckDB at 10 million source rows,
   both producing the canonical rows and the rejects (target: ratio <= 1.05), after checking
   that both produce exactly the same rows;
3. the peak memory (resident set) of each side.

Every side runs in its own child process (peak memory is the child's), alternately, ``--repeat``
times; the figures are medians. Generation is timed as whole processes (start-up included, as a
user runs them); the DuckDB workload is timed inside its process, after the views are created.

    python benchmarks/sql_benchmark.py [--rows 10000000] [--repeat 3] [--workdir /tmp/dict-bench]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from estate import _kind, _slot, write_estate  # noqa: E402


def run_child(args: list[str], cwd: Path | None = None, capture: bool = False):
    """Wall seconds and peak resident memory (MiB) of a child process; fails loudly if it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err)   # files, not pipes: a full pipe would block it
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        if code != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(args)} failed ({code}):\n{err.read().decode()[-2000:]}")
        out.seek(0)
        text = out.read().decode()
    return (elapsed, usage.ru_maxrss // 1024, text) if capture else (elapsed, usage.ru_maxrss // 1024)


def alternate(sides: dict[str, list[str]], repeat: int, cwd: Path | None = None) -> dict[str, tuple[float, int]]:
    """Median wall time and max peak memory of each side, run alternately."""
    times: dict[str, list[float]] = {k: [] for k in sides}
    memory: dict[str, int] = {k: 0 for k in sides}
    for _ in range(repeat):
        for name, args in sides.items():
            seconds, mib = run_child(args, cwd)
            times[name].append(seconds)
            memory[name] = max(memory[name], mib)
    return {k: (statistics.median(v), memory[k]) for k, v in times.items()}


# ------------------------------------------------------------------------ 1. generation

def generation(workdir: Path, repeat: int) -> dict[str, tuple[float, int]]:
    estate = workdir / "estate-200"
    shutil.rmtree(estate, ignore_errors=True)
    write_estate(estate, classes=200, sources=50, tables=4, columns=10)
    dict_cli = [sys.executable, "-m", "toolkit.cli"]
    gen_sqltables = shutil.which("gen-sqltables") or "gen-sqltables"
    # cold: DICT_CACHE=0 turns off the regeneration cache (<project>/.dict-cache/), which would otherwise
    # answer every run after the first from what the first rendered
    generate = ["env", "DICT_CACHE=0"] + dict_cli + ["generate", "sql", "--out", str(workdir / "out"),
                                                     "--project", str(estate), "--dialect"]
    one_process = ["env", "DICT_JOBS=1"] + generate
    return alternate({
        "dict generate sql --dialect all": generate + ["all"],
        "  same, one process (DICT_JOBS=1)": one_process + ["all"],
        "  one dialect (--dialect postgres)": one_process + ["postgres"],
        "gen-sqltables": [gen_sqltables, str(estate / "dictionary" / "estate.yaml")],
    }, repeat, cwd=HERE.parent)


# ------------------------------------------------------------------------ 2. views vs hand-written

SMALL = {"classes": 4, "sources": 2, "tables": 2, "columns": 10}


DATE_SHAPE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?)?$"
DECIMAL_SHAPE = r"^[+-]?([0-9]{1,10}([.][0-9]*)?|[.][0-9]+)$"


def hand_written(plan, strict: bool = False) -> list[tuple[str, str]]:
    """(canonical, rejects) SELECTs written by hand for each derivation of the small estate.

    What a data engineer would write for DuckDB to get the same canonical rows and rejects:
    DuckDB's own TRY_CAST, CASE for code maps and one CASE for the first reject reason. Both follow
    the views' rules: the id is GLOBAL_ID's '<source>:<Class>:<table>|<ID>' (the estate's ids name the
    table, as several tables may feed one class), and blank text (empty or only spaces) is NULL, so
    it is neither a canonical value nor checked against a pattern, and a required slot rejects it.
    DuckDB's TRY_CAST takes more spellings than the mapping language (' 2021-1-5', '1e3'), and a
    lookup's label is taken as it is, so the plain variant matches the views on this data but not on
    every input; ``strict`` adds the shape checks and the views' exact blank test of a looked-up label
    (only U+0020 spaces: DuckDB's TRIM() also strips other Unicode spaces) that make it match on every
    input, as the views do.
    """
    queries = []
    for source in plan.sources:
        for view in source.views:
            table = view.base.table.name
            cls = view.target
            c = int(cls.name[4:])
            values, checks = [f"'{source.name}:{cls.name}:{table}|' || CAST(t.\"ID\" AS VARCHAR) AS id"], []
            code = next((k for k in range(1, SMALL["columns"]) if _kind(c, k) == "code"), None)
            looked_up = next((k for k in range(2, SMALL["columns"]) if _kind(c, k) == "text" and k % 3), None)
            join = ""
            if view.joins:
                join = f' LEFT JOIN "{source.database_schema}"."LOOKUP" lk ON lk."CODE" = t."C{code:02d}"'
            for k in range(1, SMALL["columns"]):
                col, slot, kind = f't."C{k:02d}"', _slot(c, k), _kind(c, k)
                expr = {
                    "text": f"NULLIF(UPPER(TRIM({col})), '')" if k % 3 == 0 else f"NULLIF(TRIM({col}), '')",
                    "integer": f"CAST({col} AS BIGINT)",
                    "decimal": (f"CASE WHEN regexp_matches(TRIM({col}), '{DECIMAL_SHAPE}') THEN TRY_CAST(TRIM({col}) AS DECIMAL(12, 2)) END"
                                if strict else f"TRY_CAST(TRIM({col}) AS DECIMAL(12, 2))"),
                    "date": (f"CASE WHEN regexp_matches(TRIM({col}), '{DATE_SHAPE}') THEN TRY_CAST(SUBSTRING(TRIM({col}), 1, 10) AS DATE) END"
                             if strict else f"TRY_CAST(TRIM({col}) AS DATE)"),
                    "code": f"CASE {col} WHEN 'A' THEN 'new' WHEN 'B' THEN 'active' WHEN 'C' THEN 'dormant' "
                            f"WHEN 'D' THEN 'closed' END",
                }[kind]
                if join and k == looked_up:
                    label = f'COALESCE(lk."LABEL", TRIM({col}))'
                    expr = f"CASE WHEN TRIM({label}, ' ') <> '' THEN {label} END" if strict else f"NULLIF({label}, '')"
                values.append(f"{expr} AS {slot}")
                if kind in ("decimal", "date"):
                    checks.append((f"{col} IS NOT NULL AND {expr} IS NULL",
                                   f"'slot {slot}: value ''' || {col} || ''' cannot be converted'"))
                if kind == "code":
                    checks.append((f"{col} IS NOT NULL AND {expr} IS NULL",
                                   f"'slot {slot}: code ''' || {col} || ''' is not in value_mappings'"))
                if k == 1:
                    checks.append((f"{expr} IS NULL", f"'slot {slot} is required but empty'"))
                if kind == "text" and k % 3 == 0:
                    checks.append((f"{expr} IS NOT NULL AND NOT regexp_matches({expr}, '^[A-Z0-9 ]+$')",
                                   f"'slot {slot}: does not match'"))
            reason = ("CASE WHEN NOT COALESCE(t.\"C01\" IS NOT NULL, FALSE) THEN 'excluded by filter' "
                      "WHEN t.\"ID\" < 0 THEN 'negative keys are test rows' "
                      + " ".join(f"WHEN {w} THEN {r}" for w, r in checks) + " END")
            staged = (f"SELECT {', '.join(values)}, '{source.name}' AS _source_system, '{table}' AS _source_table, "
                      f"CAST(t.\"ID\" AS VARCHAR) AS _source_key, {reason} AS _reject_reason "
                      f"FROM \"{source.database_schema}\".\"{table}\" t{join}")
            queries.append((f"SELECT * EXCLUDE (_reject_reason) FROM ({staged}) WHERE _reject_reason IS NULL",
                            f"SELECT _source_system, _source_table, _source_key FROM ({staged}) WHERE _reject_reason IS NOT NULL"))
    return queries


def generated(plan) -> list[tuple[str, str]]:
    return [(f'SELECT * FROM "{v.view_name}"', f'SELECT _source_system, _source_table, _source_key FROM "{v.rejects_name}"')
            for v in plan.views()]


def workload(project: Path, side: str) -> tuple[list[str], list[str]]:
    """(setup, timed) statements of one side: the generated side creates its views (rendered by
    `dict generate sql`, as an integrator deploys them) before the clock starts; both sides then
    write every derivation's canonical rows and rejects to tables."""
    from toolkit import dialects
    from toolkit.emit.sql import integrated_statements, source_statements
    from toolkit.plan import load_plan

    plan = load_plan(project)
    duckdb_sql = dialects.get("duckdb")
    setup = []
    if side == "generated":
        setup = [duckdb_sql.render(stmt) for v in plan.views() for _n, stmt in source_statements(v)]
        setup += [duckdb_sql.render(stmt) for _n, stmt in integrated_statements(plan)]
    queries = generated(plan) if side == "generated" else hand_written(plan, strict=side == "strict")
    timed = []
    for i, (canonical, rejects) in enumerate(queries):
        timed += [f"CREATE OR REPLACE TEMP TABLE out_{i} AS {canonical}", f"CREATE OR REPLACE TEMP TABLE rej_{i} AS {rejects}"]
    return setup, timed


def child_queries(database: Path, statements: Path) -> None:
    """In a child process: run the setup statements, then time the workload; print the seconds."""
    import json

    import duckdb

    work = json.loads(statements.read_text(encoding="utf-8"))
    con = duckdb.connect(str(database))
    con.execute("SET enable_progress_bar = false")
    for sql in work["setup"]:
        con.execute(sql)
    start, cpu = time.perf_counter(), time.process_time()   # process time: every DuckDB thread's CPU
    for sql in work["timed"]:
        con.execute(sql)
    print(f"{time.perf_counter() - start:.6f} {time.process_time() - cpu:.6f}")
    con.close()


def same_rows(project: Path, database: Path) -> str:
    """Check the hand-written SQL gives exactly the generated views' rows (else the comparison means nothing)."""
    import duckdb

    from toolkit.run.engines import create_views
    from toolkit.run.engines.duckdb import DuckDBEngine
    from toolkit.plan import load_plan

    plan = load_plan(project)
    con = duckdb.connect(str(database))
    con.execute("SET enable_progress_bar = false")
    create_views(DuckDBEngine(con=con), plan)
    canonical = rejected = 0
    for (gen_c, gen_r), (hand_c, hand_r), (strict_c, strict_r) in zip(generated(plan), hand_written(plan),
                                                                      hand_written(plan, strict=True)):
        for a, b in ((gen_c, hand_c), (gen_r, hand_r), (gen_c, strict_c), (gen_r, strict_r)):
            diff = con.execute(f"SELECT COUNT(*) FROM (({a}) EXCEPT ALL ({b})) UNION ALL "
                               f"SELECT COUNT(*) FROM (({b}) EXCEPT ALL ({a}))").fetchall()
            if any(n for (n,) in diff):
                raise SystemExit(f"hand-written SQL differs from the generated views:\n{a}\n{b}\n{diff}")
        canonical += con.execute(f"SELECT COUNT(*) FROM ({gen_c})").fetchone()[0]
        rejected += con.execute(f"SELECT COUNT(*) FROM ({gen_r})").fetchone()[0]
    for view in plan.views():   # no view is left out of the comparison
        con.execute(f'SELECT COUNT(*) FROM "{view.view_name}"')
    con.close()
    return f"{canonical:,} canonical rows and {rejected:,} rejects, identical on both sides"


def views_vs_hand(workdir: Path, rows: int, repeat: int) -> tuple[dict[str, tuple[float, int, float]], str]:
    """Median wall seconds of the timed workload (measured in the child), peak memory and median CPU seconds
    (every thread of the child, over the same statements) of each side."""
    import json

    project = workdir / f"estate-{rows}"
    database = project / "estate.duckdb"
    if not database.exists():
        shutil.rmtree(project, ignore_errors=True)
        write_estate(project, rows=rows, **SMALL)
    agreement = same_rows(project, database)
    script = str(Path(__file__).resolve())
    sides = {}
    for name, side in (("generated views", "generated"), ("hand-written SQL", "hand"),
                       ("hand-written, strict shapes", "strict")):
        setup, timed = workload(project, side)
        path = workdir / f"workload-{side}.json"
        path.write_text(json.dumps({"setup": setup, "timed": timed}), encoding="utf-8")
        sides[name] = [sys.executable, script, "--child", str(path), "--project", str(project)]
    times: dict[str, list[float]] = {k: [] for k in sides}
    cpu: dict[str, list[float]] = {k: [] for k in sides}
    memory = {k: 0 for k in sides}
    for _ in range(repeat):
        for name, args in sides.items():
            _wall, mib, out = run_child(args, capture=True)
            wall, seconds = map(float, out.strip().splitlines()[-1].split())
            times[name].append(wall)
            cpu[name].append(seconds)
            memory[name] = max(memory[name], mib)
    return {k: (statistics.median(v), memory[k], statistics.median(cpu[k])) for k, v in times.items()}, agreement


# ------------------------------------------------------------------------ report

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "dict-bench")
    ap.add_argument("--child", type=Path, help="(internal) run one side's workload file")
    ap.add_argument("--project", type=Path)
    ap.add_argument("--views-only", action="store_true", help="only the views against hand-written SQL (part 2)")
    a = ap.parse_args()
    if a.child:
        child_queries(a.project / "estate.duckdb", a.child)
        return
    a.workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores; median of {a.repeat} alternating runs, each in its own process")
    if not a.views_only:
        report_generation(a.workdir, a.repeat)
    runs, agreement = views_vs_hand(a.workdir, a.rows, a.repeat)
    print(f"\n2. DuckDB at {a.rows:,} source rows ({SMALL['sources']} sources x {SMALL['tables']} tables x "
          f"{SMALL['columns']} columns): {agreement}")
    for name, (seconds, mib, cpu) in runs.items():
        print(f"   {name:34s} {seconds:7.2f} s wall {cpu:7.2f} s CPU   peak {mib:5d} MiB")
    g, h, k = runs["generated views"], runs["hand-written SQL"], runs["hand-written, strict shapes"]
    print(f"   ratio generated/hand-written      {g[0] / h[0]:7.2f} wall {g[2] / h[2]:5.2f} CPU   (target <= 1.10)  "
          f"memory ratio {g[1] / h[1]:.2f}")
    print(f"   ratio generated/strict hand       {g[0] / k[0]:7.2f} wall {g[2] / k[2]:5.2f} CPU   (same rows on every "
          f"input)  memory ratio {g[1] / k[1]:.2f}")


def report_generation(workdir: Path, repeat: int) -> None:
    gen = generation(workdir, repeat)
    ours, theirs = gen["dict generate sql --dialect all"], gen["gen-sqltables"]
    print("\n1. generation, 200 classes / 50 sources / 200 derivations (9 dialects vs gen-sqltables' 1); "
          "dict sides cold (DICT_CACHE=0: no regeneration cache)")
    for name, (seconds, mib) in gen.items():
        print(f"   {name:34s} {seconds:7.2f} s   peak {mib:5d} MiB")
    print(f"   ratio dict/gen-sqltables          {ours[0] / theirs[0]:7.2f}   (target <= 0.5)   "
          f"memory ratio {ours[1] / theirs[1]:.2f}")
    one = gen["  one dialect (--dialect postgres)"]
    print(f"   ratio one dialect/gen-sqltables   {one[0] / theirs[0]:7.2f}   (both write one dialect)")
    print("   (peak memory is the largest process's; --dialect all renders in one forked worker per core)")


if __name__ == "__main__":
    main()
