"""DuckDB vs a local Spark standalone cluster on the same seeded estate: where does Spark start to pay off?

The estate (benchmarks/estate.py: 4 classes, 2 sources, 2 tables each, 10 columns, R source rows)
is generated once per size. Each side runs in a child process and computes what `dict run` reports
(every derivation's source rows, canonical rows and rejects, every integrated view's rows):

- duckdb: `dict run` over the DuckDB file, read where it is (the views created in a copy of it);
- cluster: `dict run --target spark://…` on a standalone cluster of one master and two workers (1 core
  each) that the benchmark starts on loopback once (its start is not timed: a real cluster is already
  up), the sources read from Parquet files (one per table, exported once, untimed), copied typed into
  the catalog and the views run there.

Both sides must report the same counts. Sides alternate; per side the median wall time, CPU time and
peak memory. CPU: the child's whole process tree (Python and the driver JVM) sampled from /proc every
50 ms, plus for the cluster side what the master, the workers and their executors used (the rusage the
kernel accumulates on the master's and workers' processes, utime+stime of themselves and of the
executors they reaped, before vs after). Peak memory: the sum of the RSS of all those processes.

    nice python benchmarks/spark_benchmark.py --rows 1000000 10000000 50000000 --repeat 1
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
WORKER, EXECUTOR = "5g", "4g"   # per worker (1 core each) and per executor


def estate(workdir: Path, rows: int) -> Path:
    """The project and its data (DuckDB file and Parquet folders per source)."""
    import duckdb

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from estate import write_estate

    root = workdir / f"estate-{rows}"
    if (root / "done").exists():
        return root
    write_estate(root, classes=4, sources=2, tables=2, columns=10, rows=rows)
    con = duckdb.connect(str(root / "estate.duckdb"), read_only=True)
    for schema, table in con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall():
        (root / "parquet" / schema).mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY \"{schema}\".\"{table}\" TO '{root / 'parquet' / schema / table}.parquet' (FORMAT parquet)")
    sources = sorted({s for (s,) in con.execute("SELECT DISTINCT table_schema FROM information_schema.tables").fetchall()})
    con.close()
    (root / "sources.json").write_text(json.dumps(sources))
    shutil.copyfile(root / "estate.duckdb", root / "duckdb-side.duckdb")   # the DuckDB side creates its views in it
    (root / "done").write_text("")
    return root


def child(side: str, root: Path, master: str) -> None:
    """One side's run; prints its counts as JSON (compared between sides)."""
    sys.path.insert(0, str(ROOT))
    from toolkit.plan import load_plan

    plan = load_plan(root)
    sources = json.loads((root / "sources.json").read_text())
    if side == "duckdb":
        from toolkit.run.engines.reconcile import run_report

        import duckdb

        con = duckdb.connect(str(root / "duckdb-side.duckdb"))   # the estate's schemas are in this file
        result = run_report(plan, {s: None for s in sources}, con=con)
    else:
        from pyspark.sql import SparkSession

        from toolkit.run.engines.spark_cluster import SESSION, SparkTarget, read_sources, run

        spark = (SparkSession.builder.master(master).appName("dict-benchmark")
                 .config("spark.driver.memory", "2g").config("spark.executor.memory", EXECUTOR)
                 .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC -Xss64m")
                 .config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false")
                 .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="spark-", dir=root))
                 .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC -Xss64m").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        for key, value in SESSION.items():
            spark.conf.set(key, value)
        data, where = read_sources(plan, {s: root / "parquet" / s for s in sources})
        engine = SparkTarget(master, "bench_views", spark=spark)
        engine.sources = where
        result = run(engine, plan, data)
    print(json.dumps({"views": sorted([r.view.view_name, r.source_rows, r.canonical, r.rejected]
                                      for r in result.reconciliations),
                      "integrated": result.integrated}))


def _tree(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += parents.get(p, [])
    return out


def _used(pid: int) -> float:
    """CPU seconds a process used and those of the children it reaped (utime, stime, cutime, cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICK


def measure(command: list[str], cluster: list[int]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds and peak RSS (MB) of the child's process tree and of the ``cluster`` processes
    (their trees: master, workers, executors), and the child's output."""
    cpu: dict[int, float] = {}   # the child's process tree, sampled
    peak = 0
    before = sum(_used(p) for p in cluster)
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    while process.poll() is None:
        rss = 0
        mine = _tree(process.pid)
        for p in mine + [q for c in cluster for q in _tree(c)]:
            try:
                fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
                rss += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
            except OSError:
                continue
            if p in mine:   # the cluster's processes (executors too) are counted below, from the kernel's totals
                cpu[p] = (int(fields[11]) + int(fields[12])) / TICK
        peak = max(peak, rss)
        time.sleep(0.05)
    wall = time.perf_counter() - start
    if cluster:   # the executors end with the application: wait until the workers reaped them
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(len(_tree(c)) > 1 for c in cluster[1:]):
            time.sleep(0.2)
        cpu["cluster"] = sum(_used(p) for p in cluster) - before   # master, workers, the executors they reaped
    output = process.stdout.read()
    if process.returncode != 0:
        raise SystemExit(f"{command} failed ({process.returncode})")
    return wall, sum(cpu.values()), peak / 2**20, output


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--master", default="")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/dict-spark-benchmark"))
    parser.add_argument("--child", choices=("duckdb", "cluster"))
    parser.add_argument("--root", type=Path)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.root, args.master)
    sys.path.insert(0, str(ROOT / "tests"))
    from spark_cluster_support import standalone_cluster, stop

    args.workdir.mkdir(parents=True, exist_ok=True)
    logs = Path(tempfile.mkdtemp(prefix="cluster-", dir=args.workdir))
    master, processes = standalone_cluster(logs, workers=2, memory=WORKER)
    try:
        _curve(args, master, [_jvm(p.pid) for p in processes])
    finally:
        stop(processes)


def _jvm(pid: int) -> int:
    """The JVM a launcher script started (spark-class execs java; else its one child)."""
    tree = _tree(pid)
    return next((p for p in tree if Path(f"/proc/{p}/comm").read_text().strip() == "java"), pid)


def _curve(args, master: str, cluster: list[int]) -> None:
    print(f"{'rows':>11} {'side':>8} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}   (medians of {args.repeat}, alternating;"
          f" cluster {master}: 1 master, 2 workers x 1 core, executors {EXECUTOR})", flush=True)
    for rows in args.rows:
        root = estate(args.workdir, rows)
        runs: dict[str, list[tuple[float, float, float]]] = {"duckdb": [], "cluster": []}
        answers = {}
        for _ in range(args.repeat):
            for side in runs:
                wall, cpu, peak, output = measure([sys.executable, __file__, "--child", side, "--root", str(root),
                                                   "--master", master], cluster if side == "cluster" else [])
                runs[side].append((wall, cpu, peak))
                answers[side] = json.loads(output.strip().splitlines()[-1])
        same = "same counts" if answers["duckdb"] == answers["cluster"] else "COUNTS DIFFER"
        for side, values in runs.items():
            wall, cpu, peak = (statistics.median(v[i] for v in values) for i in range(3))
            print(f"{rows:>11,} {side:>8} {wall:>8.1f} {cpu:>8.1f} {peak:>8.0f}   {same}", flush=True)


if __name__ == "__main__":
    main()
