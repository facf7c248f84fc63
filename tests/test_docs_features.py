"""The docs site's navigation aids: terms link to the terms that reference them, a mapping page has one dialect
tab bar with each view's SQL folded, the lineage picture has a DIRECT-only toggle, a trace depth and a system
filter (run here on the real lineage.js under Node with a minimal DOM; in Chromium by test_browser.py), and the
run page charts what `dict run --record` saved, every name and reason as escaped text."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lineage_support import docs_files
from projects import ROOT, copy_project
from toolkit.emit.docs import site_files
from toolkit.plan import load_plan
from toolkit.emit.runrecord import RECORD

pytestmark = pytest.mark.slow   # each builds the whole site once (the record tests a site per record)
HERE = Path(__file__).parent


def page(rel: str) -> str:
    return docs_files()[f"docs/{rel}"]


def graph_data(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="lineage-data">(.*?)</script>', html, re.S).group(1))


def test_the_customer_page_links_to_the_terms_that_reference_it():
    customer = page("terms/Customer.html")
    section = customer[customer.index('class="referenced-by"'):customer.index('class="references"')]
    assert '<a class="chip" href="../terms/ContactPoint.html">ContactPoint</a>' in section
    assert '<a href="../slots/customer_id.html#ContactPoint"><code>ContactPoint.customer_id</code></a>' in section
    contact = page("terms/ContactPoint.html")
    references = contact[contact.index('class="references"'):]
    assert '<a class="chip" href="../terms/Customer.html">Customer</a>' in references


def test_a_mapping_page_has_one_dialect_tab_bar_and_each_views_sql_folded():
    html = page("mappings/chinook.html")
    assert html.count("data-tab-bar") == 1
    assert len(re.findall(r'role="tab" data-tab="', html)) == 9     # the one bar: a button per dialect
    folded = re.findall(r'<details class="sql-view"><summary>([^<]+)</summary>', html)
    assert len(folded) > 20 and "canonical view chinook__customer" in folded
    assert html.count('data-panel="postgres"') == len(folded)


def test_lineage_data_names_the_system_of_each_table_and_derivation_group():
    data = graph_data(page("lineage.html"))
    assert len(data["systems"]) == len(data["groups"])
    for group, system in zip(data["groups"], data["systems"]):
        kind = group[0].split(":", 1)[0]
        assert (system != "") == (kind in ("table", "derivation"))
        if system:
            assert group[0].split(":", 1)[1].startswith(system + ".")


def _run_lineage_js(data: dict, steps: list[dict]) -> list[dict]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed (the browser tests drive the same script in Chromium)")
    script = ROOT / "toolkit" / "emit" / "templates" / "docs" / "assets" / "lineage.js"
    result = subprocess.run(["node", str(HERE / "lineage_node.js"), str(script)], input=json.dumps({"data": data, "steps": steps}),
                            capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


def test_direct_only_and_depth_narrow_a_trace_and_a_system_keeps_its_groups_and_the_classes_they_feed():
    data = graph_data(page("lineage.html"))
    slot = next(n[0] for n in data["nodes"] if n[0] == "slot:Customer.full_name")
    steps = [{"select": slot}, {"view": {"direct": True}}, {"view": {"direct": False, "depth": 1}},
             {"view": {"depth": 0, "system": "chinook"}}, {"view": {"system": ""}}]
    every, direct, one_hop, chinook, back = _run_lineage_js(data, steps)
    assert 0 < direct["traced"][0] < every["traced"][0]          # the INDIRECT columns (conditions, joins) drop out
    assert 0 < one_hop["traced"][0] < every["traced"][0]          # only the derivation field and what it reads
    assert back == every
    systems = data["systems"]
    fed = {data["nodes"][e[1]][3] for e in data["edges"] if systems[data["nodes"][e[0]][3]] == "chinook"}
    expected = sum(1 for g, s in enumerate(systems) if s == "chinook" or (s == "" and g in fed))
    assert chinook["visible"] == expected < len(data["groups"])


def test_direct_only_matches_the_lineage_graph_direct_edges():
    """The toggle's upstream of a slot is exactly the columns DIRECT edges reach, as `dict lineage` computes them."""
    data = graph_data(page("lineage.html"))
    slot = "slot:Customer.full_name"
    index = {n[0]: i for i, n in enumerate(data["nodes"])}
    seen, todo = set(), [index[slot]]
    while todo:
        n = todo.pop()
        for a, b, sub, _x in data["edges"]:
            if b == n and sub < 3 and a not in seen:
                seen.add(a)
                todo.append(a)
        if data["nodes"][n][4] == 1:
            for a, g, sub, _x in data["gedges"]:
                if g == data["nodes"][n][3] and sub < 3 and a not in seen:
                    seen.add(a)
                    todo.append(a)
    [every, direct] = _run_lineage_js(data, [{"select": slot}, {"view": {"direct": True}}])
    assert direct["traced"][0] == len(seen)


HOSTILE = "<script>alert(1)</script> & \"quoted\" ' </svg>"


def _site_with_record(tmp_path, record) -> str:
    project = copy_project(tmp_path / "project")
    (project / RECORD).parent.mkdir()
    (project / RECORD).write_text(record if isinstance(record, str) else json.dumps(record), encoding="utf-8")
    return site_files(load_plan(project))["docs/run.html"]


def test_without_a_record_the_run_page_says_how_to_make_one():
    html = page("run.html")
    assert "No run recorded" in html and "dict run --record" in html
    assert 'href="run.html">Last run</a>' in page("index.html")


def test_the_run_page_charts_a_record_and_shows_hostile_reasons_as_text(tmp_path):
    record = {"format": 1, "recorded_at": "2026-12-04T10:00:00+00:00", "engine": "duckdb", "balanced": True,
              "derivations": [
                  {"source": "chinook", "derivation": "Customer", "class": "Customer", "grouped": False, "source_rows": 60,
                   "canonical": 59, "rejected": 1, "balanced": True, "reasons": [{"reason": HOSTILE, "rows": 1}]},
                  {"source": "northwind", "derivation": "Customer", "class": "Customer", "grouped": False,
                   "source_rows": 120, "canonical": 100, "rejected": 20, "balanced": True,
                   "reasons": [{"reason": "slot email: not an e-mail", "rows": 20}]}],
              "integrated": {"customer": 159}}
    html = _site_with_record(tmp_path, record)
    bars = re.findall(r'<g class="run-bar" transform="translate\(0,(\d+)\)" data-canonical="(\d+)" data-rejected="(\d+)">', html)
    assert [(c, r) for _y, c, r in bars] == [("59", "1"), ("100", "20")]
    widths = [float(w) for w in re.findall(r'<rect class="ok" x="[\d.]+" y="0" width="([\d.]+)"', html)]
    assert widths[0] / widths[1] == pytest.approx(59 / 100, rel=0.02)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quoted&#34; &#39; &lt;/svg&gt;" in html
    assert '<a href="mappings/chinook.html#Customer">Customer</a>' in html or 'href="mappings/chinook.html#' in html


@pytest.mark.parametrize("text, says", [
    ("{not json", "is not a run record"),
    (json.dumps({"format": 1, "derivations": [{"source": "a", "derivation": "b", "class": "c", "source_rows": -1,
                                                "canonical": 0, "rejected": 0, "reasons": []}]}), "is not a row count"),
    (json.dumps({"format": 99, "derivations": []}), "format is not 1"),
])
def test_a_broken_record_is_named_on_the_run_page_not_trusted(tmp_path, text, says):
    html = _site_with_record(tmp_path, text)
    assert "No run recorded" in html and says in html and "run-bar" not in html


def test_dict_run_record_saves_the_counts_that_the_run_page_then_charts(tmp_path):
    from typer.testing import CliRunner

    from conftest import CHINOOK, _require
    from toolkit.cli import app

    project = copy_project(tmp_path / "project")
    runner = CliRunner()
    assert runner.invoke(app, ["generate", "docs", "-p", str(project)]).exit_code == 0
    result = runner.invoke(app, ["run", "-d", f"chinook={_require(CHINOOK)}", "--record", "-p", str(project)])
    assert result.exit_code == 0, result.output
    assert "recorded " in result.output and "run dict generate docs" in result.output
    record = json.loads((project / RECORD).read_text(encoding="utf-8"))
    customer = next(d for d in record["derivations"] if (d["source"], d["derivation"]) == ("chinook", "Customer"))
    assert customer["source_rows"] == customer["canonical"] + customer["rejected"] == 59
    assert record["engine"] == "duckdb" and "chinook" not in json.dumps(record.get("data", ""))
    assert str(CHINOOK) not in (project / RECORD).read_text(encoding="utf-8")   # never where the data is
    check = runner.invoke(app, ["check", "--only", "docs", "-p", str(project)])
    assert check.exit_code == 1 and "generated/docs/run.html" in check.output   # the record is an input of the docs
    assert runner.invoke(app, ["generate", "docs", "-p", str(project)]).exit_code == 0
    html = (project / "generated" / "docs" / "run.html").read_text(encoding="utf-8")
    assert html.count('class="run-bar"') == len(record["derivations"])
    assert 'data-canonical="59" data-rejected="0"' in html


@pytest.mark.unit
def test_a_record_is_read_back_checked_and_scaled_for_the_chart(tmp_path):
    from toolkit.emit.runrecord import chart, load_record

    assert load_record(tmp_path) == (None, "missing")
    (tmp_path / RECORD).parent.mkdir()
    rows = [{"source": "s", "derivation": f"d{i}", "class": "C", "source_rows": n + 1, "canonical": n, "rejected": 1,
             "reasons": [{"reason": HOSTILE, "rows": 1}]} for i, n in enumerate((10, 40))]
    (tmp_path / RECORD).write_text(json.dumps({"format": 1, "derivations": rows, "integrated": {"c": 50}}), encoding="utf-8")
    record, why = load_record(tmp_path)
    assert why == "" and record["derivations"][0]["reasons"] == [{"reason": HOSTILE, "rows": 1}]
    bars = chart(record)["bars"]
    assert [b["label"] for b in bars] == ["s d0", "s d1"]
    assert (bars[0]["ok"] + bars[0]["bad"]) / (bars[1]["ok"] + bars[1]["bad"]) == pytest.approx(11 / 41, rel=0.01)
    (tmp_path / RECORD).write_text(json.dumps({"format": 1, "derivations": [{**rows[0], "canonical": True}]}))
    assert load_record(tmp_path)[0] is None and "True is not a row count" in load_record(tmp_path)[1]
