"""Scale benchmark for `dict generate lineage` and `dict generate docs`, side by side with LinkML's gen-doc.

    python benchmarks/lineage_docs.py                      # 200 classes, 50 sources x 10 tables x 20 columns
    python benchmarks/lineage_docs.py --classes 60 --sources 12 --sql-dialects duckdb --no-browser

On one seeded synthetic estate (benchmarks/lineage_estate.py) it times, in one run:
  - LinkML `gen-doc` on the dictionary alone (the yardstick);
  - loading the plan (shared by every generator, reported apart);
  - the lineage graph and its exports; the docs pages (layout, templates) and writing them;
  - the SQL text the docs embed, per dialect, and the Python translators they show;
and prints each as a ratio to gen-doc. Then it opens the estate-wide lineage page (every legacy
column) in Chromium and measures when it becomes interactive and how fast it answers clicks.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lineage_estate import write_estate  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def gen_doc(dictionary: Path, out: Path) -> float:
    exe = shutil.which("gen-doc")
    if exe is None:
        raise SystemExit("gen-doc (LinkML) is not installed")
    start = time.perf_counter()
    subprocess.run([exe, str(dictionary), "-d", str(out)], check=True, capture_output=True)
    return time.perf_counter() - start


def browser(site: Path, rounds: int = 3) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    page_path = site / "lineage.html"
    figures: dict[str, list[float]] = {"ready_ms": [], "wall_ms": [], "expand_ms": [], "trace_ms": []}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(rounds):
            page = b.new_page(viewport={"width": 1400, "height": 1000})
            start = time.perf_counter()
            page.goto(page_path.as_uri(), wait_until="domcontentloaded")
            page.wait_for_selector("body[data-lineage-ready]", state="attached")
            figures["wall_ms"].append((time.perf_counter() - start) * 1000)
            # performance.now() at the first paint of the graph = milliseconds since navigation started
            figures["ready_ms"].append(page.evaluate("window.__lineageReadyAt || performance.now()"))
            group = page.locator("g.grp.layer0").first
            t = time.perf_counter()
            group.locator(".grp-label").click()
            page.wait_for_selector("g.node.kind0")
            figures["expand_ms"].append((time.perf_counter() - t) * 1000)
            node = page.locator("g.node.kind0").first
            t = time.perf_counter()
            node.click()
            page.wait_for_selector("#lineage-panel .downstream")
            figures["trace_ms"].append((time.perf_counter() - t) * 1000)
            page.close()
        b.close()
    return {k: min(v) for k, v in figures.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classes", type=int, default=200)
    ap.add_argument("--sources", type=int, default=50)
    ap.add_argument("--tables", type=int, default=10)
    ap.add_argument("--columns", type=int, default=20)
    ap.add_argument("--sql-dialects", default="all", help="dialects whose SQL the docs embed: all, none or a list")
    ap.add_argument("--no-translators", action="store_true", help="skip the Python translators")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--keep", type=Path, help="keep the estate and the site here")
    a = ap.parse_args()

    from toolkit import dialects
    from toolkit.emit import docs
    from toolkit.emit.lineage import lineage_files
    from toolkit.emit.graph import build_lineage
    from toolkit.core.output import write_generated
    from toolkit.plan import load_plan

    work = a.keep or Path(tempfile.mkdtemp(prefix="dict-bench-"))
    root = work / "estate"
    if root.exists():
        shutil.rmtree(root)
    write_estate(root, a.classes, a.sources, a.tables, a.columns)
    dictionary = next((root / "dictionary").glob("*.yaml"))
    columns = a.sources * a.tables * a.columns
    print(f"estate: {a.classes} classes, {a.sources} sources x {a.tables} tables x {a.columns} columns "
          f"= {columns} legacy columns ({root})")

    yard = gen_doc(dictionary, work / "gen-doc")
    print(f"LinkML gen-doc on the dictionary alone: {yard:.2f} s")

    plan, t_plan = timed(lambda: load_plan(root))
    g, t_graph = timed(lambda: build_lineage(plan))
    lineage, t_exports = timed(lambda: lineage_files(plan, g))
    site, t_site = timed(lambda: docs.Site(plan, g))
    wanted = [] if a.sql_dialects == "none" else dialects.names() if a.sql_dialects == "all" else a.sql_dialects.split(",")
    # the SQL text the docs embed, as Site.sql makes it: build each view's AST once, render it per dialect
    from toolkit.emit.sql import integrated_statements, source_statements

    statements, t_build = timed(lambda: [st for v in plan.views() for st in source_statements(v)]
                                + integrated_statements(plan))
    _, t_fingerprint = timed(lambda: [docs._fingerprint(st) for _name, st in statements])
    sql: dict[str, dict[str, str]] = {}
    sql_times = {}
    for name in wanted:
        dialect = dialects.get(name)

        def render(dialect=dialect):
            for view, st in statements:
                sql.setdefault(view, {})[dialect.name] = dialect.render(st.copy()) + ";"
        _, sql_times[name] = timed(render)
    site.__dict__["sql"] = sql
    t_sql_all = (t_build + t_fingerprint + sum(sql_times.values())) if wanted else 0.0
    if a.no_translators:
        site.__dict__["translators"], t_translators = {}, 0.0
    else:
        _, t_translators = timed(lambda: site.translators)
    files, t_pages = timed(lambda: docs.site_files(plan, g, site))
    out = work / "generated"
    _, t_write = timed(lambda: write_generated(out, {**lineage, **files}, ("lineage", "docs")))
    pages = sum(1 for rel in files if rel.endswith(".html"))

    core = t_graph + t_exports + t_site + t_pages + t_write
    rows = [
        ("plan load (shared by every generator)", t_plan),
        ("lineage graph", t_graph),
        ("lineage exports (OpenLineage, GraphML, CSV, Mermaid, SSSOM)", t_exports),
        (f"docs: {pages} pages (layout, templates)", t_site + t_pages),
        ("writing lineage + docs atomically", t_write),
        ("= lineage + docs, without embedded SQL and translators", core),
    ]
    if wanted:
        rows += [(f"docs: SQL, building {len(statements)} view ASTs (SQL generator, shared by dialects)", t_build),
                 ("docs: SQL, fingerprints for the per-process render memo", t_fingerprint)]
    rows += [(f"docs: SQL, rendering {name}", t) for name, t in sql_times.items()]
    rows += [(f"docs: SQL text, all {len(wanted)} dialects", t_sql_all),
             ("docs: Python translators (python generator)", t_translators),
             ("= lineage + docs, everything", core + t_sql_all + t_translators)]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'step':<{width}}  {'seconds':>8}  {'x gen-doc':>9}")
    for label, seconds in rows:
        print(f"{label:<{width}}  {seconds:8.2f}  {seconds / yard:9.3f}")
    print(f"\ntarget <= 0.1 x gen-doc = {0.1 * yard:.2f} s")

    if not a.no_browser:
        site_dir = out / "docs"
        lineage_page = (site_dir / "lineage.html").stat().st_size
        f = browser(site_dir)
        print(f"\nChromium, lineage.html with {columns} legacy columns ({lineage_page / 1e6:.1f} MB, best of 3):")
        print(f"  interactive (graph drawn, handlers bound) {f['ready_ms']:.0f} ms after navigation start "
              f"(target <= 1000 ms); goto -> ready as Playwright sees it {f['wall_ms']:.0f} ms")
        print(f"  expand a table on click {f['expand_ms']:.0f} ms; trace a column on click {f['trace_ms']:.0f} ms")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
