"""`dict export dbt`: a dbt project from the plan that `dbt build` (dbt-duckdb) runs on the demo estate, every
model and test, giving the rows `dict run` gives; hostile mapping text stays text under dbt's Jinja."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from decimal import Decimal

import pytest
import yaml
from typer.testing import CliRunner

from engine_support import missing
from hostile_project import write_project
from projects import copy_project, edit, snapshot
from toolkit.cli import app
from toolkit.run.demo import build_estate

DEMO = ("crm", "billing", "callcentre")
HOSTILE = "{{ 7*7 }}{% if true %}x{% endif %}{# c #}{%raw%}"


def _dbt() -> str:
    """The dbt executable next to this Python (dbt-core 1.10 with dbt-duckdb: the `dbt` extra)."""
    found = shutil.which("dbt", path=os.path.dirname(sys.executable)) or shutil.which("dbt")
    if found is None:
        missing("dbt is not installed: pip install 'dict-toolkit[dbt]'")
    return found


def _demo_project(root):
    """The demo sources' mappings, a reject reason and a derivation description holding Jinja."""
    project = copy_project(root, tuple(f"{s}{ext}" for s in DEMO for ext in (".yaml", ".source.yaml")))
    mapping = project / "mappings" / "crm.yaml"
    edit(mapping, "reason: junk TEST record", f"reason: \"{HOSTILE} junk TEST record")
    edit(mapping, "not a real customer\n", "not a real customer\"\n")
    edit(mapping, "      One customer per contact card.", f"      {HOSTILE} One customer per contact card.")
    return project


def _rows(con, name: str) -> list[tuple]:
    """A view's rows in a stable order (text sorts any mix of types; floats compared as decimals)."""
    rows = con.execute(f'SELECT * FROM "{name}"').fetchall()
    norm = [tuple(Decimal(repr(v)) if isinstance(v, float) else v for v in r) for r in rows]
    return sorted(norm, key=repr)


@pytest.mark.slow
def test_dbt_build_runs_every_model_and_test_and_equals_dict_run(tmp_path):
    dbt = _dbt()
    project = _demo_project(tmp_path / "project")
    exported = CliRunner().invoke(app, ["export", "dbt", "--out", str(tmp_path / "dbt"), "--project", str(project)])
    assert exported.exit_code == 0, exported.output
    database = tmp_path / "estate.duckdb"
    build_estate(database).close()
    (tmp_path / "profiles.yml").write_text(yaml.safe_dump({"dict": {"target": "dev", "outputs": {"dev": {
        "type": "duckdb", "path": str(database), "threads": 1}}}}), encoding="utf-8")
    env = dict(os.environ, DBT_PROFILES_DIR=str(tmp_path), DBT_SEND_ANONYMOUS_USAGE_STATS="false",
               DBT_LOG_PATH=str(tmp_path / "logs"), DBT_TARGET_PATH=str(tmp_path / "target"), NO_COLOR="1")
    build = subprocess.run([dbt, "build", "--no-partial-parse"], cwd=tmp_path / "dbt", env=env, capture_output=True,
                           text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-2000:]

    from toolkit.plan import load_plan
    from toolkit.run.engines.reconcile import run_report

    plan = load_plan(project)
    models = sorted(p.stem for p in (tmp_path / "dbt" / "models").rglob("*.sql"))
    assert "ERROR=0 SKIP=0" in build.stdout and f"{len(models)} view models" in build.stdout
    tests = sum(1 for line in build.stdout.splitlines() if " START test " in line)
    assert tests > 2 * len(plan.views())
    # on_orphan: report keeps the billing transactions naming no account: dbt warns, dict reports them
    assert "WARN=2 " in build.stdout and "relationships_billing__transaction_account_id" in build.stdout

    import duckdb

    reference = build_estate(":memory:")
    result = run_report(plan, {s: None for s in DEMO}, con=reference)
    assert result.balanced
    built = duckdb.connect(str(database), read_only=True)
    for name in models:
        assert _rows(built, name) == _rows(reference, name), name
    reasons = [r for (r,) in built.execute('SELECT DISTINCT "_reject_reason" FROM "rejects"').fetchall()]
    assert any(r.startswith(HOSTILE) for r in reasons)   # Jinja in a mapping is data, not a template
    built.close()


@pytest.mark.unit
def test_export_dbt_writes_sources_models_and_dictionary_tests(tmp_path):
    project = _demo_project(tmp_path / "project")
    result = CliRunner().invoke(app, ["export", "dbt", "--out", str(tmp_path / "dbt"), "-p", str(project), "-s", "crm"])
    assert result.exit_code == 0, result.output
    files = snapshot(tmp_path / "dbt")
    sources = yaml.safe_load(files["models/sources.yml"])["sources"]
    assert [s["name"] for s in sources] == ["crm"]
    contacts = next(t for t in sources[0]["tables"] if t["name"] == "contacts")
    key = next(c for c in contacts["columns"] if c["name"] == contacts["meta"]["primary_key"][0])
    assert {next(iter(t)) for t in key["data_tests"]} == {"unique", "not_null"}
    models = {m["name"]: m for m in yaml.safe_load(files["models/schema.yml"])["models"]}
    customer = {c["name"]: c for c in models["customer"]["columns"]}
    assert customer["id"]["data_tests"][:2] == ["unique", "not_null"]
    tier = next(t for t in customer["customer_tier"]["data_tests"] if isinstance(t, dict))
    assert "standard" in tier["accepted_values"]["arguments"]["values"]
    model = files["models/crm/crm__customer.sql"].decode()
    assert "{{ ref('crm__customer__staged') }}" in model
    staged = files["models/crm/crm__customer__staged.sql"].decode()
    assert "{{ source('crm', 'contacts') }}" in staged
    # every '{' of mapping text is printed by Jinja, never read as a tag
    assert HOSTILE not in staged and "{{ '{' }}{{ '{' }} 7*7 }}" in staged
    import jinja2

    rendered = jinja2.Environment().from_string(staged).render(ref=lambda n: n, source=lambda s, t: f"{s}.{t}")
    assert HOSTILE in rendered
    described = models["crm__customer"]["description"]   # dbt renders each YAML string with Jinja once parsed
    assert HOSTILE not in described and HOSTILE in jinja2.Environment().from_string(described).render()


@pytest.mark.unit
def test_export_dbt_refuses_names_dbt_cannot_hold_and_writes_nothing(tmp_path):
    root = write_project(tmp_path / "hostile")
    result = CliRunner().invoke(app, ["export", "dbt", "--out", str(tmp_path / "dbt"), "-p", str(root)])
    assert result.exit_code == 1
    assert "not a plain identifier" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "dbt").exists()


@pytest.mark.unit
def test_export_dbt_unknown_source_is_a_usage_error(tmp_path):
    project = _demo_project(tmp_path / "project")
    result = CliRunner().invoke(app, ["export", "dbt", "-p", str(project), "-s", "nope"])
    assert result.exit_code == 2 and "no mapping for source 'nope'" in result.output


@pytest.mark.unit
def test_a_table_name_dbt_cannot_hold_gets_a_plain_name_and_keeps_its_own_as_identifier(tmp_path):
    from projects import ROOT

    result = CliRunner().invoke(app, ["export", "dbt", "--out", str(tmp_path / "dbt"), "-p", str(ROOT), "-s", "northwind"])
    assert result.exit_code == 0, result.output
    files = snapshot(tmp_path / "dbt")
    tables = yaml.safe_load(files["models/sources.yml"])["sources"][0]["tables"]
    details = next(t for t in tables if t.get("identifier") == "Order Details")
    assert details["name"] == "t_Order_Details"
    lines = files["models/northwind/northwind__transaction_line__staged.sql"].decode()
    assert "FROM {{ source('northwind', 't_Order_Details') }} AS \"Order Details\"" in lines
