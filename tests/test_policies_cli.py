"""Policies through the command line: `dict validate` refuses broken ones with file:line and warns about
conflicts naming both purposes; `dict lineage impact` lists the policies a legacy change breaks."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _seed(name: str) -> dict:
    return yaml.safe_load((ROOT / "policies" / f"{name}.yaml").read_text(encoding="utf-8"))


def _write(folder: Path, policy: dict, name: str) -> None:
    (folder / name).write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")


def test_the_seed_policies_do_not_conflict_and_validate_says_so():
    result = subprocess.run([sys.executable, "-m", "toolkit.cli", "validate", "--project", str(ROOT)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "2 policies" in result.stdout and "warning" not in result.stderr


def test_dict_validate_warns_about_a_conflict_with_both_purposes(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "dictionary", project / "dictionary")
    (project / "policies").mkdir()
    a = _seed("platinum_large_withdrawal")
    b = _seed("address_change_mortgage_offer")
    b["action"]["channel"] = "call_centre"
    _write(project / "policies", a, "a.yaml")
    _write(project / "policies", b, "b.yaml")
    result = subprocess.run([sys.executable, "-m", "toolkit.cli", "validate", "--project", str(project)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "warning" in result.stderr and "policies/a.yaml" in result.stderr
    assert "Retain our most valuable customers" in " ".join(result.stderr.split())


def test_dict_validate_refuses_a_broken_policy_with_file_and_line(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "dictionary", project / "dictionary")
    (project / "policies").mkdir()
    policy = _seed("platinum_large_withdrawal")
    policy["condition"] = "customer.customer_tier = 'diamond'"
    _write(project / "policies", policy, "bad.yaml")
    result = subprocess.run([sys.executable, "-m", "toolkit.cli", "validate", "--project", str(project)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert "policies/bad.yaml:" in result.stderr and "'diamond' is not a value of customer_tier" in result.stderr
    assert "Traceback" not in result.stderr


def test_lineage_impact_lists_the_policies_a_legacy_column_change_breaks():
    from typer.testing import CliRunner

    from toolkit.cli import app

    result = CliRunner().invoke(app, ["lineage", "impact", "crm.contacts.segment", "--format", "json", "--project", str(ROOT)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [p["policy"] for p in report["policies"]] == ["platinum_large_withdrawal"]
    assert report["policies"][0]["reads"] == ["Customer.customer_tier"]
    assert report["policies"][0]["file"] == "policies/platinum_large_withdrawal.yaml"
    subject = CliRunner().invoke(app, ["lineage", "impact", "crm.activities.subject", "--project", str(ROOT)])
    assert "address_change_mortgage_offer  reads Interaction.topic" in subject.output
    unrelated = CliRunner().invoke(app, ["lineage", "impact", "billing.catalogue.list_price", "--format", "json",
                                         "--project", str(ROOT)])
    assert json.loads(unrelated.output)["policies"] == []


def test_policy_language_json_schema_is_what_linkml_generates():
    if shutil.which("gen-json-schema") is None:
        pytest.skip("linkml (test extra) not installed")
    result = subprocess.run(["gen-json-schema", str(ROOT / "toolkit" / "plan" / "policy_language.yaml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "toolkit" / "plan" / "policy_language.schema.json").read_text(encoding="utf-8")


def test_a_policy_page_shows_purpose_inputs_and_lineage_with_hostile_text_escaped(tmp_path):
    import dataclasses

    from toolkit.emit.docs import Site, policy_pages
    from toolkit.plan import load_plan
    from toolkit.plan.policies import load_policy

    plan = load_plan(ROOT)
    policy = _seed("platinum_large_withdrawal")
    policy["purpose"] = "<script>alert('x')</script> keep platinum customers"
    policy["owner"] = "<img src=x onerror=alert(1)>"
    _write(tmp_path, policy, "p.yaml")
    hostile = load_policy(tmp_path / "p.yaml", "policies/p.yaml", plan.dictionary)
    site = Site(dataclasses.replace(plan, policies=(hostile,)))
    pages = {p.path: p for p in policy_pages(site)}
    assert set(pages) == {"policies/platinum_large_withdrawal.html", "policies/index.html"}
    page = pages["policies/platinum_large_withdrawal.html"]
    html = site.env.get_template(page.template).render(page=page, root=page.root, dictionary=plan.dictionary,
                                                       nav={}, subtypes={}, **page.context)
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html and "<img src=x" not in html
    assert "crm/contacts/segment.html" in html          # Customer.customer_tier comes from crm.contacts.segment
    assert "Customer.customer_tier" in html and "ABS(total_amount) &gt; 10000" in html
