"""`dict profile` against DuckDB's SUMMARIZE on one table of 1M rows × 12 columns, in one run.

    python benchmarks/profile_benchmark.py [--rows 1000000] [--repeat 5]

A seeded DuckDB file holds one table of 12 columns (an integer key, integers, decimals, a date, a
timestamp, names, e-mails, phones, postcodes, codes, a boolean, a reference). Both sides start
from the file: SUMMARIZE attaches it and summarises the table; `dict profile` (the library call the
command makes) attaches it, profiles every column (exact distinct counts, top values, shapes,
meanings) and looks for key and foreign-key candidates. The sides alternate; printed are the medians
of wall time and of CPU time (time.process_time: every DuckDB thread of this process), and the
ratio against the goal of 2× SUMMARIZE.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL = 2.0


def make_table(path: Path, rows: int) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute(f"""
        CREATE TABLE people AS SELECT
          i AS person_id,
          (i * 7919) % 5000 AS branch_no,
          (hash(i) % 100000)::INTEGER AS score,
          round(((hash(i * 3) % 1000000) / 100.0)::DECIMAL(12, 2), 2) AS balance,
          DATE '2000-01-01' + CAST(i % 9000 AS INTEGER) AS joined_on,
          TIMESTAMP '2020-01-01' + to_seconds(i * 37) AS last_seen,
          ['Anna', 'Bruno', 'Chen', 'Dora', 'Emil', 'Fatima', 'Gus'][1 + i % 7] || ' ' || 'Name' || (i % 50000) AS full_name,
          'user' || i || '@example.' || ['com', 'org', 'fr'][1 + i % 3] AS email,
          '+33 1 ' || lpad(CAST(i % 100000000 AS VARCHAR), 8, '0') AS phone,
          lpad(CAST(i % 99999 AS VARCHAR), 5, '0') AS zip,
          ['G', 'S', 'P', 'B'][1 + i % 4] AS segment,
          CASE WHEN i % 10 = 0 THEN NULL ELSE 1 + (i * 13) % {rows} END AS referrer_id
        FROM range({rows}) t(i)""")
    con.close()


def run_summarize(path: Path) -> None:
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{path}' AS src (READ_ONLY)")
    con.execute('SUMMARIZE src."people"').fetchall()
    con.close()


def run_profile(path: Path) -> None:
    from toolkit.run.profile import profile_source

    profile_source(str(path))


def clock(fn, path: Path) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn(path)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        make_table(path, args.rows)
        run_profile(path)   # warm-up: imports and the file in the page cache, for both sides
        run_summarize(path)
        times: dict[str, list[tuple[float, float]]] = {"SUMMARIZE": [], "dict profile": []}
        for _ in range(args.repeat):
            times["SUMMARIZE"].append(clock(run_summarize, path))
            times["dict profile"].append(clock(run_profile, path))
    medians = {side: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
               for side, runs in times.items()}
    print(f"{args.rows:,} rows x 12 columns, {args.repeat} alternated runs each, medians")
    print(f"{'side':<14} {'wall s':>8} {'CPU s':>8}")
    for side, (wall, cpu) in medians.items():
        print(f"{side:<14} {wall:>8.3f} {cpu:>8.3f}")
    wall_ratio = medians["dict profile"][0] / medians["SUMMARIZE"][0]
    cpu_ratio = medians["dict profile"][1] / medians["SUMMARIZE"][1]
    print(f"dict profile / SUMMARIZE: wall {wall_ratio:.2f}x, CPU {cpu_ratio:.2f}x (goal <= {GOAL:.1f}x): "
          + ("met" if wall_ratio <= GOAL else "NOT met"))


if __name__ == "__main__":
    main()
