"""`dict translate`'s stream: the hardened reader/writer (bytes read line by line, per-line rejects,
key checks, strict JSON) against the one before it (text lines, no checks), on the same records.

Both sides read an in-memory JSON Lines input of chinook Customer records (with a few malformed lines)
and write canonical records and rejects to memory, translating with the same generated module. Sides
alternate, each round timed with time.process_time (CPU) and time.perf_counter (wall); medians reported.

    python benchmarks/translate_io_benchmark.py [records] [rounds] [base-commit]
"""
from __future__ import annotations

import io
import json
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit.run import translate as new  # noqa: E402
from toolkit.plan import load_plan  # noqa: E402


def old_module(commit: str) -> types.ModuleType:
    """toolkit/run/translate.py as it was at ``commit``, imported under another name."""
    text = subprocess.run(["git", "show", f"{commit}:toolkit/run/translate.py"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout
    module = types.ModuleType("toolkit._translation_base")
    module.__package__ = "toolkit"
    sys.modules[module.__name__] = module   # dataclasses look their module up
    exec(compile(text, "toolkit/run/translate.py@base", "exec"), module.__dict__)
    return module


def records(count: int) -> bytes:
    lines = []
    for i in range(1, count + 1):
        lines.append(json.dumps({"CustomerId": i, "FirstName": f"Ann {i}", "LastName": "Lee", "Company": None,
                                 "Email": f"ann{i}@example.org", "Country": "France", "Address": "1 rue Haute",
                                 "PostalCode": "75001", "SupportRepId": 3,
                                 "rep": {"EmployeeId": 3, "FirstName": "Jane", "LastName": "Peacock"}}))
        if i % 1000 == 0:
            lines.append("{not json")
    return ("\n".join(lines) + "\n").encode()


def run_old(old, module, views, data: bytes):
    out, rej = io.StringIO(), io.StringIO()
    items = old.read_records(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=""), "jsonl")
    return old.translate_stream(module, views, items, out, rej)


def run_new(module, views, data: bytes):
    out, rej = io.BytesIO(), io.BytesIO()
    return new.translate_stream(module, views, new.read_records(new.LineSource(io.BytesIO(data)), "jsonl"), out, rej)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    base = sys.argv[3] if len(sys.argv) > 3 else "959e346"
    plan = load_plan(ROOT)
    views = new.choose_derivations(plan, "chinook", "Customer", None)
    module = new.load_translator(plan, "chinook")
    old = old_module(base)
    data = records(count)
    sides = {"before": lambda: run_old(old, module, views, data), "hardened": lambda: run_new(module, views, data)}
    cpu: dict[str, list[float]] = {k: [] for k in sides}
    wall: dict[str, list[float]] = {k: [] for k in sides}
    tallies = {}
    for r in range(rounds):
        for name in (list(sides) if r % 2 == 0 else list(reversed(sides))):
            c0, w0 = time.process_time(), time.perf_counter()
            tallies[name] = sides[name]()
            cpu[name].append(time.process_time() - c0)
            wall[name].append(time.perf_counter() - w0)
    print(f"{count} records (+{count // 1000} malformed lines), {rounds} rounds, base {base}")
    for name in sides:
        t = tallies[name][0]
        c, w = statistics.median(cpu[name]), statistics.median(wall[name])
        print(f"  {name:9} cpu {c * 1000:8.1f} ms  wall {w * 1000:8.1f} ms  {t.records_in / c:10.0f} records/s (cpu)  "
              f"{t.records_in} in = {t.canonical} + {t.rejected}")
    ratio = statistics.median(cpu["hardened"]) / statistics.median(cpu["before"])
    print(f"  hardened / before (cpu): {ratio:.2f}")


if __name__ == "__main__":
    main()
