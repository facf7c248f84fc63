"""`dict serve` under a bounded loopback load, and one policy decision: generated Python vs zen-engine.

    python benchmarks/serve_benchmark.py [--rate 1000] [--seconds 5] [--events 50000] [--rounds 5]

1. Load test. `dict serve` runs in its own process over a DuckDB store holding the demo estate's CRM and call
   centre (the canonical store the policies read related records from). Client threads send
   POST /events/crm/activities open-loop at a fixed rate (every request has a scheduled time; its latency
   counts from that time, so a slow server cannot hide queueing). Printed: events/s achieved, p50/p99/max
   latency, the server's CPU seconds (from /proc) per event. Goal: p99 <= 5 ms at 1,000 events/s.
2. One decision per event, in process: the rule "platinum customer withdraws more than $10,000" as the
   generated evaluator (policies/platinum_large_withdrawal.yaml, with its customer lookup) and as a
   zen-engine decision table (the customer's tier handed in with the event, zen cannot look it up), on
   the same generated events, alternating sides per round; medians of CPU time (time.process_time) and
   wall time. Both must take the same decisions.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# ----------------------------------------------------------------------------- 1. load test

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _store(folder: Path) -> Path:
    from toolkit.run.demo import build_estate
    from toolkit.plan import load_plan
    from toolkit.run.engines.reconcile import run_report

    database = folder / "estate.duckdb"
    con = build_estate(database)
    run_report(load_plan(ROOT), {"crm": None, "callcentre": None}, con=con)
    con.close()
    return database


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _events(count: int) -> list[bytes]:
    rnd = random.Random(18)
    topics = ["Moving house", "Billing question", "Change of address", "Tech", "Sales"]
    contacts = list(range(1001, 1034))
    return [json.dumps({"activity_id": 100000 + i, "contact_no": rnd.choice(contacts), "channel": rnd.choice(["CALL", "WEB"]),
                        "activity_ts": f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d} 10:00:00",
                        "subject": rnd.choice(topics), "result": "DONE"}).encode() for i in range(count)]


def load_test(rate: int, seconds: float, threads: int) -> None:
    import httpx

    with tempfile.TemporaryDirectory() as folder:
        database = _store(Path(folder))
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "toolkit.cli", "serve", "--database", str(database),
                                   "--port", str(port), "--project", str(ROOT)], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(base + "/health", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("dict serve did not start: " + server.stderr.read().decode()[-2000:])
                    time.sleep(0.2)
            total = int(rate * seconds)
            bodies = _events(total)
            with httpx.Client(base_url=base) as warm:     # warm up: first requests compile and cache
                for body in bodies[:200]:
                    warm.post("/events/crm/activities", content=body, headers={"content-type": "application/json"})
            latencies: list[float] = []
            statuses: dict[int, int] = {}
            lock = threading.Lock()
            cpu_before = _cpu_seconds(server.pid)
            start = time.perf_counter() + 0.2

            def worker(k: int) -> None:
                mine, seen = [], {}
                with httpx.Client(base_url=base, timeout=30) as client:
                    for i in range(k, total, threads):
                        due = start + i / rate
                        pause = due - time.perf_counter()
                        if pause > 0:
                            time.sleep(pause)
                        reply = client.post("/events/crm/activities", content=bodies[i],
                                            headers={"content-type": "application/json"})
                        mine.append(time.perf_counter() - due)
                        seen[reply.status_code] = seen.get(reply.status_code, 0) + 1
                with lock:
                    latencies.extend(mine)
                    for code, n in seen.items():
                        statuses[code] = statuses.get(code, 0) + n

            pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
            elapsed = time.perf_counter() - start
            cpu = _cpu_seconds(server.pid) - cpu_before
            counts = httpx.get(base + "/health").json()["counts"]
        finally:
            server.terminate()
            server.wait(10)
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000  # noqa: E731
    print(f"load test: {total} events at {rate}/s scheduled over {threads} client threads (open loop)")
    print(f"  achieved {total / elapsed:,.0f} events/s; latency p50 {q(0.50):.2f} ms, p99 {q(0.99):.2f} ms, "
          f"max {latencies[-1] * 1000:.2f} ms; statuses {statuses}")
    print(f"  server CPU {cpu:.2f} s = {cpu / total * 1e6:.0f} us per event; counts {counts}")


# ----------------------------------------------------------------------------- 2. one decision

ZEN_TABLE = {
    "nodes": [
        {"id": "in", "type": "inputNode", "name": "request", "position": {"x": 0, "y": 0}},
        {"id": "table", "type": "decisionTableNode", "name": "platinum_large_withdrawal", "position": {"x": 200, "y": 0},
         "content": {"hitPolicy": "first",
                     "inputs": [{"id": "i1", "name": "type", "field": "transaction_type"},
                                {"id": "i2", "name": "currency", "field": "currency_code"},
                                {"id": "i3", "name": "amount", "field": "total_amount"},
                                {"id": "i4", "name": "tier", "field": "customer_tier"}],
                     "outputs": [{"id": "o1", "name": "action", "field": "action"}],
                     "rules": [{"_id": "r1", "i1": "'withdrawal'", "i2": "'USD'", "i3": "abs($) > 10000",
                                "i4": "'platinum'", "o1": "'sales_rep_call'"}]}},
        {"id": "out", "type": "outputNode", "name": "response", "position": {"x": 400, "y": 0}}],
    "edges": [{"id": "e1", "sourceId": "in", "targetId": "table", "type": "edge"},
              {"id": "e2", "sourceId": "table", "targetId": "out", "type": "edge"}],
}


def _decision_events(count: int) -> tuple[list[dict], dict]:
    rnd = random.Random(7)
    customers = {f"crm:Customer:{i}": {"id": f"crm:Customer:{i}", "customer_tier": rnd.choice(["platinum", "gold", "standard"])}
                 for i in range(200)}
    events = [{"id": f"billing:Transaction:{i}", "customer_id": rnd.choice(list(customers)), "account_id": None,
               "transaction_type": rnd.choice(["withdrawal", "purchase", "refund"]),
               "transaction_date": "2024-05-01 10:00:00", "currency_code": rnd.choice(["USD", "EUR"]),
               "total_amount": rnd.choice([-12000.5, 15000, 9999.99, -50, 10000.01])} for i in range(count)]
    return events, customers


def decision_benchmark(count: int, rounds: int) -> None:
    import zen

    from toolkit.emit.policies import python_module
    from toolkit.plan import load_plan

    plan = load_plan(ROOT)
    only = tuple(p for p in plan.policies if p.name == "platinum_large_withdrawal")
    module = types.ModuleType("policies")
    exec(compile(python_module(types.SimpleNamespace(policies=only)), "policies.py", "exec"), module.__dict__)
    events, customers = _decision_events(count)
    lookup = lambda cls, ident: customers.get(ident)  # noqa: E731
    zen_events = [{**e, "customer_tier": customers[e["customer_id"]]["customer_tier"]} for e in events]
    decision = zen.ZenEngine().create_decision(json.dumps(ZEN_TABLE))

    def generated() -> int:
        return sum(1 for e in events if module.evaluate("Transaction", e, lookup))

    def zen_engine() -> int:
        return sum(1 for e in zen_events if decision.evaluate(e)["result"].get("action"))

    fired = {"generated": generated(), "zen-engine": zen_engine()}
    assert fired["generated"] == fired["zen-engine"], fired
    timings: dict[str, list[tuple[float, float]]] = {"generated": [], "zen-engine": []}
    for r in range(rounds):
        order = [("generated", generated), ("zen-engine", zen_engine)]
        for name, fn in order if r % 2 == 0 else reversed(order):
            cpu, wall = time.process_time(), time.perf_counter()
            fn()
            timings[name].append((time.process_time() - cpu, time.perf_counter() - wall))
    print(f"one decision per event: {count} events, {fired['generated']} fire in both, {rounds} rounds alternating, medians")
    for name, values in timings.items():
        cpu = statistics.median(v[0] for v in values)
        wall = statistics.median(v[1] for v in values)
        print(f"  {name:<11} CPU {cpu * 1e6 / count:7.2f} us/event  wall {wall * 1e6 / count:7.2f} us/event  "
              f"({count / wall:,.0f} events/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--events", type=int, default=50000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    decision_benchmark(args.events, args.rounds)
    load_test(args.rate, args.seconds, args.threads)


if __name__ == "__main__":
    main()
