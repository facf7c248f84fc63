"""One honest benchmark: the issue-14 table, dict and its anchors side by side in one run.

    python benchmarks/run.py [--quick] [--repeat N] [--workdir DIR] [--views] [--translators]

Every measurement runs a whole process (the command as a user types it) in a child, sides
alternating (anchor, dict, dict, anchor, ...), and prints the medians of CPU time (the child's user +
system time from os.wait4, which load from other jobs on a shared machine inflates far less than
wall time), wall time and the child's peak resident memory. Ratios are dict / anchor on CPU time.
Where an anchor (LinkML's gen-sqltables, gen-doc, linkml-lint) is not installed, its rows say so.

Rows:
  - `dict check` on this repository's project, cold (no .dict-cache/) and warm (nothing changed);
  - `dict validate` and `dict lineage impact` whole process vs `linkml-lint` on the dictionary, on an unchanged
    project (answered from the cache) and cold (DICT_CACHE=0: the whole plan loaded, as after an edit);
  - on the estate of benchmarks/estate.py (200 classes x 50 sources; --quick: 40 x 10):
    `dict generate all --dialect all` cold, and again after editing one mapping (warm cache);
    `dict generate sql --dialect all`; `dict generate sql --dialect postgres` (one dialect),
    all against `gen-sqltables` on the dictionary alone; `dict generate docs` against `gen-doc`;
    `dict lineage verify` (one dialect, its default), cold and with every view traced before;
  - with --views / --translators, the 10M-row views and the translator rows are measured by
    benchmarks/sql_benchmark.py and benchmarks/translator_benchmark.py (minutes each), run here.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from estate import write_estate  # noqa: E402

DICT = [sys.executable, "-m", "toolkit.cli"]


def run_child(args: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, float]:
    """(CPU seconds, wall seconds, peak MiB) of one child process; a failure stops the benchmark."""
    start = time.perf_counter()
    # bytecode as an installed package has it (pip compiles it): PYTHONDONTWRITEBYTECODE in the caller's
    # environment would have every dict child compile the toolkit again, while the anchors' are compiled
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    child = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env={**base, "PYTHONPATH": str(ROOT), **(env or {})})
    # the child's stderr is read to its end before waiting, so a chatty child cannot block on a full pipe
    stderr = child.stderr.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"failed ({child.returncode}): {' '.join(args)}\n{stderr.decode(errors='replace')[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


class Side:
    """One command line, with what to do before each timed run (not timed)."""

    def __init__(self, label: str, args: list[str], cwd: Path, before=None, env: dict | None = None):
        self.label, self.args, self.cwd, self.before, self.env = label, args, cwd, before, env
        self.runs: list[tuple[float, float, float]] = []

    def once(self) -> None:
        if self.before:
            self.before()
        self.runs.append(run_child(self.args, self.cwd, self.env))

    def median(self) -> tuple[float, float, float]:
        return tuple(statistics.median(r[i] for r in self.runs) for i in range(3))   # type: ignore[return-value]


def alternate(sides: list[Side], repeat: int) -> None:
    """Each side ``repeat`` times, in turn, the order reversed every round (no side always goes first)."""
    for i in range(repeat):
        for side in (sides if i % 2 == 0 else sides[::-1]):
            side.once()


ROWS: list[tuple[str, str, str, str]] = []
BASELINE: list[Path] = []    # --baseline: another checkout of the toolkit, timed as a third side


def twin(side: Side) -> Side | None:
    """The same command run with the --baseline checkout's toolkit."""
    if not BASELINE:
        return None
    env = {**(side.env or {}), "PYTHONPATH": str(BASELINE[0])}
    return Side(f"before: {side.label}", side.args, side.cwd, side.before, env)


def with_twins(sides: list[Side | None]) -> list[Side]:
    out = []
    for side in sides:
        if side is None:
            continue
        out.append(side)
        if side.label.split(":")[0] not in ANCHORS:
            side.twin = twin(side)
            if side.twin:
                out.append(side.twin)
    return out


ANCHORS = {"linkml-lint", "gen-sqltables", "gen-doc"}


def row(what: str, ours: Side, anchor: Side | None, goal: str) -> None:
    cpu, wall, mem = ours.median()
    before = getattr(ours, "twin", None)
    if before is not None and before.runs:
        b_cpu, b_wall, b_mem = before.median()
        what = f"{what} (before: {b_cpu:.2f} CPU-s / {b_wall:.2f} s / {b_mem:.0f} MiB" + (
            f" = {b_cpu / anchor.median()[0]:.2f}×)" if anchor is not None and anchor.runs else ")")
    if anchor is None or not anchor.runs:
        versus = "—" if anchor is None else f"{anchor.label}: not installed"
    else:
        a_cpu, a_wall, a_mem = anchor.median()
        versus = f"{anchor.label} {a_cpu:.2f} CPU-s / {a_wall:.2f} s / {a_mem:.0f} MiB → **{cpu / a_cpu:.2f}×** CPU"
    ROWS.append((what, f"{cpu:.2f} CPU-s / {wall:.2f} s / {mem:.0f} MiB", versus, goal))
    print(f"| {what} | {ROWS[-1][1]} | {versus} | {goal} |", flush=True)


def tool(name: str) -> str | None:
    return shutil.which(name)


def project_copy(work: Path) -> Path:
    """This repository's project (dictionary, mappings, generated) in a scratch folder."""
    target = work / "repo"
    if target.exists():
        shutil.rmtree(target)
    for folder in ("dictionary", "mappings", "policies", "generated"):
        shutil.copytree(ROOT / folder, target / folder)
    return target


def no_cache(project: Path):
    def cold() -> None:
        shutil.rmtree(project / ".dict-cache", ignore_errors=True)
    return cold


def cold_copy(project: Path) -> Path:
    """A copy of ``project`` (without its cache) for the cold sides: deleting the cache before each cold run, of
    dict and of a --baseline alike (both write their cache as a user's run does), never chills the warm sides."""
    target = project.with_name(project.name + "-cold")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(project, target, ignore=shutil.ignore_patterns(".dict-cache"))
    return target


def repo_rows(work: Path, repeat: int) -> None:
    project = project_copy(work)
    fresh = cold_copy(project)
    cold = Side("check cold", DICT + ["check"], fresh, before=no_cache(fresh))
    warm = Side("check warm", DICT + ["check"], project)
    run_child(warm.args, project)    # fills the cache the warm side reads
    alternate(with_twins([cold, warm]), repeat)
    row("`dict check` on this repo, cold (no cache)", cold, None, "≤ 3 s")
    row("`dict check` on this repo, warm (nothing changed)", warm, None, "≤ 1 s")
    lint = tool("linkml-lint")
    anchor = Side("linkml-lint", [lint, str(project / "dictionary" / "enterprise.yaml")], project) if lint else None
    validate = Side("validate", DICT + ["validate"], project)
    impact = Side("impact", DICT + ["lineage", "impact", "chinook.Customer.Email"], project)
    # cold: DICT_CACHE=0, as after an edit to any file the plan is read from (the whole plan is loaded)
    validate_cold = Side("validate cold", DICT + ["validate"], project, env={"DICT_CACHE": "0"})
    impact_cold = Side("impact cold", DICT + ["lineage", "impact", "chinook.Customer.Email"], project,
                       env={"DICT_CACHE": "0"})
    helps = Side("help", DICT + ["--help"], project)
    alternate(with_twins([anchor, validate, impact, validate_cold, impact_cold, helps]), repeat)
    row("`dict validate` whole process (unchanged project: cached)", validate, anchor, "≤ 0.4 s")
    row("`dict lineage impact chinook.Customer.Email` whole process (unchanged project: cached)", impact, anchor,
        "≤ 0.4 s")
    row("`dict validate` whole process, cold (DICT_CACHE=0)", validate_cold, anchor, "≤ 0.4 s")
    row("`dict lineage impact chinook.Customer.Email`, cold (DICT_CACHE=0)", impact_cold, anchor, "≤ 0.4 s")
    row("`dict --help` whole process", helps, None, "")


def edit_one_mapping(estate: Path, state: dict) -> None:
    """A new code in one derivation's code map, a different one each time (so no run finds it cached): its
    views, its source's translator module and its docs pages change, the rest of the estate does not."""
    mapping = estate / "mappings" / "sys00.yaml"
    state["n"] = state.get("n", 0) + 1
    lines = [line for line in mapping.read_text(encoding="utf-8").splitlines() if "# benchmark edit" not in line]
    at = next(i for i, line in enumerate(lines) if line.strip() == "D: closed")
    lines.insert(at + 1, lines[at].replace("D: closed", f"X{state['n']}: closed  # benchmark edit"))
    mapping.write_text("\n".join(lines) + "\n", encoding="utf-8")


def estate_rows(work: Path, repeat: int, classes: int, sources: int) -> None:
    estate = work / "estate"
    if estate.exists():
        shutil.rmtree(estate)
    write_estate(estate, classes=classes, sources=sources)
    dictionary = estate / "dictionary" / "estate.yaml"
    run_child(DICT + ["generate", "all", "--dialect", "all"], estate)   # generated/ as a user has it
    fresh = cold_copy(estate)
    sqltables = tool("gen-sqltables")
    anchor = Side("gen-sqltables", [sqltables, str(dictionary)], estate) if sqltables else None
    cold_all = Side("all cold", DICT + ["generate", "all", "--dialect", "all"], fresh, before=no_cache(fresh))
    state: dict = {}
    warm_all = Side("all after one edit", DICT + ["generate", "all", "--dialect", "all"], estate,
                    before=lambda: edit_one_mapping(estate, state))
    sql_all = Side("sql all", DICT + ["generate", "sql", "--dialect", "all"], fresh, before=no_cache(fresh))
    sql_one = Side("sql postgres", DICT + ["generate", "sql", "--dialect", "postgres"], fresh,
                   before=no_cache(fresh))
    alternate(with_twins([anchor, cold_all, sql_all, sql_one]), repeat)
    run_child(DICT + ["generate", "all", "--dialect", "all"], estate)   # the cache warm_all starts from
    alternate(with_twins([warm_all]), repeat)
    scale = f"{classes}×{sources} estate"
    row(f"`dict generate all --dialect all`, {scale}, cold", cold_all, anchor, "≤ 3×")
    row("same, after editing one mapping (cache warm)", warm_all, anchor, "≤ 0.5×")
    row(f"`dict generate sql --dialect all`, {scale}", sql_all, anchor, "≤ 1.5×")
    row(f"`dict generate sql --dialect postgres` (one dialect), {scale}", sql_one, anchor, "≤ 0.5×")
    gendoc = tool("gen-doc")
    doc_anchor = Side("gen-doc", [gendoc, "-d", str(work / "gen-doc"), str(dictionary)], estate) if gendoc else None
    docs = Side("docs", DICT + ["generate", "docs"], fresh, before=no_cache(fresh))
    verify_args = DICT + ["lineage", "verify", "--dialect", "duckdb"]   # before, 'all' was the default
    verify = Side("verify cold", verify_args, fresh, before=no_cache(fresh))
    verify_warm = Side("verify warm", verify_args, estate)
    run_child(verify_args, estate)   # what verify_warm starts from: every view traced once
    alternate(with_twins([doc_anchor, docs, verify, verify_warm]), repeat)
    row(f"`dict generate docs`, {scale}, cold", docs, doc_anchor, "≤ 1×")
    row(f"`dict lineage verify` (one dialect, the default), {scale}, cold", verify, None, "≤ 5 s")
    row("same, every view traced before (cache warm)", verify_warm, None, "≤ 5 s")


def passthrough(script: str, args: list[str]) -> None:
    print(f"\n$ python benchmarks/{script} {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], cwd=ROOT, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a 40×10 estate and 3 runs a side: minutes, not tens of them")
    ap.add_argument("--repeat", type=int, help="runs per side (default 5, --quick 3)")
    ap.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "dict-bench-run")
    ap.add_argument("--views", action="store_true", help="also the 10M-row views vs hand-written SQL (sql_benchmark.py)")
    ap.add_argument("--translators", action="store_true", help="also translators vs LinkML-Map (translator_benchmark.py)")
    ap.add_argument("--baseline", type=Path, help="another checkout (e.g. the main branch): its toolkit is timed "
                    "as a third side of every dict row, alternating with the others")
    ap.add_argument("--only", choices=("repo", "estate"), help="only this repository's rows, or only the estate's")
    ap.add_argument("--estate", help="CLASSESxSOURCES of the estate (default 200x50, --quick 40x10)")
    args = ap.parse_args()
    if args.baseline:
        BASELINE.append(args.baseline.resolve())
    repeat = args.repeat or (3 if args.quick else 5)
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"medians of {repeat} alternated runs per side; CPU = the child's user+system time; "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}\n")
    print("| what | dict: CPU / wall / peak | anchor and ratio | goal |\n|---|---|---|---|", flush=True)
    if args.only != "estate":
        repo_rows(args.workdir, repeat)
    classes, sources = (40, 10) if args.quick else (200, 50)
    if args.estate:
        classes, sources = (int(n) for n in args.estate.lower().split("x"))
    if args.only != "repo":
        estate_rows(args.workdir, repeat, classes, sources)
    if args.views:
        passthrough("sql_benchmark.py", ["--repeat", str(min(repeat, 3))])
    if args.translators:
        passthrough("translator_benchmark.py", [])


if __name__ == "__main__":
    main()
