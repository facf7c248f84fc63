"""`dict suggest` against the shipped mappings: hide each one in turn, draft it again, measure Recall@GT.

    python benchmarks/suggest_benchmark.py [--coma-python /path/to/python3.12]

For each shipped source (chinook, northwind, and the demo estate's crm, billing, callcentre) a scratch
copy of the project without that source's mapping is made; `dict suggest` drafts it from the source
schema, a profile of the data and the other mappings. The ground truth is the hidden mapping's
slot ← column pairs: (class, slot, table, column) for every slot it fills from exactly one column
(copies, casts, trims, GLOBAL_ID references; constants and multi-column expressions are not pairs), and
(class, id, table, key) where a derivation leaves its identifier to the table's one-column key.
Recall@GT = ground-truth pairs the draft contains / ground-truth pairs.

Valentine's COMA runs on the same pairs when a Python with ``valentine==1.1.0`` is given (it needs
Python >= 3.12): per (class, table) of the ground truth, the source table against an empty frame whose
columns are the class's slots, COMA's matches ranked by score and the top |GT| kept (Valentine's own
Recall@GT). Schema only: COMA with instances downloads NLTK data (punkt_tab, stopwords, wordnet) at
run time, which an offline machine cannot, so that variant is reported as not runnable. Timing: wall and CPU (time.process_time) per source, dict suggest only.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATASETS = Path("/work/shared/datasets")
GOAL = 0.9


def sources(tmp: Path) -> dict[str, tuple[str, str | None]]:
    """source -> (data location, database schema)."""
    from toolkit.run.demo import build_estate

    estate = tmp / "estate.duckdb"
    build_estate(estate).close()
    return {"chinook": (str(DATASETS / "chinook" / "Chinook_Sqlite.sqlite"), None),
            "northwind": (str(DATASETS / "northwind" / "northwind.db"), None),
            "crm": (str(estate), "crm"), "billing": (str(estate), "billing"), "callcentre": (str(estate), "callcentre")}


def hidden_project(tmp: Path, source: str) -> Path:
    project = tmp / f"project-{source}"
    shutil.copytree(ROOT / "dictionary", project / "dictionary")
    shutil.copytree(ROOT / "mappings", project / "mappings")
    (project / "mappings" / f"{source}.yaml").unlink()
    return project


def truth(path: Path, root: Path, source: str) -> set:
    from toolkit.load.mapping import load_mapping
    from toolkit.load.source_schema import load_source_schema
    from toolkit.run.suggest import ground_truth

    schema = load_source_schema(root / "mappings" / f"{source}.source.yaml", f"{source}.source.yaml", root)
    return ground_truth(load_mapping(path, path.name, root), schema)


def coma_recall(python: str, data: str, schema: str | None, gt: set, tmp: Path) -> float | str:
    """COMA's Recall@GT on the ground truth's (class, table) pairs, run in the other Python."""
    from toolkit.load.dictionary import load_dictionary

    dictionary = load_dictionary(ROOT / "dictionary")
    tables = sorted({(c, t) for c, _s, t, _col in gt})
    jobs = []
    for cls, table in tables:
        csv = tmp / f"{abs(hash((data, schema, table)))}.csv"
        if not csv.exists():
            _export(data, schema, table, csv)
        jobs.append({"csv": str(csv), "slots": [s.name for s in dictionary.classes[cls].slots],
                     "truth": sorted([col, slot] for c, slot, t, col in gt if (c, t) == (cls, table))})
    script = tmp / "coma_job.py"
    script.write_text(COMA_JOB, encoding="utf-8")
    run = subprocess.run([python, str(script)], input=json.dumps(jobs), capture_output=True, text=True, timeout=1800)
    if run.returncode != 0:
        return "not runnable: " + (run.stderr.strip().splitlines() or ["?"])[-1][:200]
    hits, total = json.loads(run.stdout)
    return hits / total if total else 0.0


def _export(data: str, schema: str | None, table: str, csv: Path) -> None:
    from sqlglot import exp

    from toolkit.run.profile import _table, opened

    with opened(data, schema) as (con, _schema):
        select = exp.select("*").from_(_table(table)).sql("duckdb")
        con.execute(f"COPY ({select}) TO '{csv}' (HEADER)")


COMA_JOB = r'''
import json, sys
import pandas as pd
from valentine import valentine_match
from valentine.algorithms import Coma
hits = total = 0
for job in json.load(sys.stdin):
    source = pd.read_csv(job["csv"], dtype=str, keep_default_na=False, nrows=50)
    target = pd.DataFrame({slot: pd.Series([], dtype=str) for slot in job["slots"]})
    matches = valentine_match([source, target], Coma(use_instances=False), df_names=["source", "target"])
    ranked = sorted(((score, p.source_column, p.target_column) for p, score in matches.items()), reverse=True)
    truth = {tuple(p) for p in job["truth"]}
    top = {(a, b) for _s, a, b in ranked[:len(truth)]}
    hits += len(top & truth)
    total += len(truth)
print(json.dumps([hits, total]))
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coma-python", default="", help="A Python >= 3.12 with valentine==1.1.0 installed.")
    args = parser.parse_args()
    from toolkit.run.suggest import write_suggestion

    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for source, (data, schema) in sources(tmp).items():
            gt = truth(ROOT / "mappings" / f"{source}.yaml", ROOT, source)
            project = hidden_project(tmp, source)
            wall, cpu = time.perf_counter(), time.process_time()
            write_suggestion(project, source, data, schema)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            draft = project / "mappings" / f"{source}.suggested.yaml"
            found = truth(draft, project, source)
            missed = sorted(gt - found)
            coma = coma_recall(args.coma_python, data, schema, gt, tmp) if args.coma_python else "not run"
            rows.append((source, len(gt), len(gt & found), wall, cpu, coma, missed))
    print(f"{'source':<11} {'GT pairs':>8} {'found':>6} {'Recall@GT':>9} {'COMA':>9} {'wall s':>7} {'CPU s':>6}")
    for source, n, hit, wall, cpu, coma, _missed in rows:
        shown = f"{coma:.3f}" if isinstance(coma, float) else coma
        print(f"{source:<11} {n:>8} {hit:>6} {hit / n:>9.3f} {shown:>9} {wall:>7.2f} {cpu:>6.2f}")
    total, hits = sum(r[1] for r in rows), sum(r[2] for r in rows)
    comas = [r for r in rows if isinstance(r[5], float)]
    coma_all = sum(r[5] * r[1] for r in comas) / sum(r[1] for r in comas) if comas else None
    print(f"{'all':<11} {total:>8} {hits:>6} {hits / total:>9.3f} "
          f"{(f'{coma_all:.3f}' if coma_all is not None else '-'):>9}   goal >= {GOAL}: "
          + ("met" if hits / total >= GOAL else "NOT met"))
    for source, *_rest, missed in rows:
        for pair in missed:
            print(f"  missed {source}: {pair[0]}.{pair[1]} <- {pair[2]}.{pair[3]}")


if __name__ == "__main__":
    main()
