"""`dict lineage verify` traces a view's SQL only once per text: a second run reads the view's reads from the
project's cache, an edited mapping re-traces only the views whose text changed, a damaged cache is traced
again, and the verdict with the cache always equals the verdict without it."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from projects import copy_project, edit
from toolkit.analyze import verify as verify_module
from toolkit.cli import app
from toolkit.emit import cache
from toolkit.emit.graph import build_lineage
from toolkit.plan import load_plan

MAPPING_EDIT = ("mappings/chinook.yaml", "expr: TRIM(FirstName) || ' ' || TRIM(LastName)",
                "expr: TRIM(FirstName) || ' ' || TRIM(LastName) || TRIM(Company)")


@pytest.fixture
def traced(monkeypatch):
    """The cache on as the `dict` command turns it on, and the views sqlglot traces."""
    monkeypatch.setattr(cache, "_state", {"enabled": True, "root": None})
    seen: list[str] = []
    real = verify_module._text_facts

    def counting(text, sqlglot_dialect):
        facts = real(text, sqlglot_dialect)
        seen.extend(facts)
        return facts

    monkeypatch.setattr(verify_module, "_text_facts", counting)
    return seen


def run_verify(root) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["lineage", "verify", "-p", str(root), "--dialect", "duckdb"])
    return result.exit_code, result.output


def verdict(root, g=None, cached=True) -> list[str]:
    plan = load_plan(root)
    with cache.opened(root.resolve()):
        return [str(m) for m in verify_module.verify(plan, g if g is not None else build_lineage(plan), "duckdb",
                                                     root.resolve() if cached else None)]


def test_a_second_verify_traces_nothing_and_an_edit_retraces_only_the_changed_views(tmp_path, traced):
    root = copy_project(tmp_path / "project")
    code, output = run_verify(root)
    assert code == 0 and "duckdb: ok" in output
    everything = set(traced)
    assert len(everything) > 50
    traced.clear()
    code, output = run_verify(root)
    assert code == 0 and "duckdb: ok" in output and traced == [], "every view was traced before"
    edit(root / MAPPING_EDIT[0], MAPPING_EDIT[1], MAPPING_EDIT[2])
    code, output = run_verify(root)
    assert code == 0, output   # the graph follows the edited mapping, and so does the SQL
    # the one view whose text changed: the views built on it select its columns by name, their texts are the same
    assert traced == ["chinook__customer__staged"]
    assert verdict(root) == verdict(root, cached=False) == []


def test_a_wrong_graph_fails_alike_with_the_cache_warm(tmp_path, traced):
    root = copy_project(tmp_path / "project")
    assert run_verify(root)[0] == 0
    g = build_lineage(load_plan(root))
    for kind in ("TRANSFORMATION", "CONDITIONAL"):
        g.remove_edge("column:chinook.Customer.Phone", "viewcol:chinook__contact_point_phone__staged.phone_number",
                      key=kind)
    traced.clear()
    warm = verdict(root, g)
    assert traced == [] and warm == verdict(root, g, cached=False)
    assert any("view chinook__contact_point_phone__staged, column phone_number: the SQL reads "
               "chinook.customer.phone" in m for m in warm)


@pytest.mark.parametrize("damage", ["not json", json.dumps({"x": [1, 2]}), "entries"])
def test_a_damaged_cache_is_traced_again(tmp_path, traced, damage):
    root = copy_project(tmp_path / "project")
    assert run_verify(root)[0] == 0
    (stored,) = (root / ".dict-cache").glob("*/verify/duckdb.json")
    if damage == "entries":   # well-formed JSON, each entry of the wrong shape
        stored.write_text(json.dumps({k: {"v": {"columns": "x"}} for k in json.loads(stored.read_text())}))
    else:
        stored.write_text(damage)
    traced.clear()
    code, output = run_verify(root)
    assert code == 0 and "duckdb: ok" in output
    assert len(traced) > 50


def test_without_the_cache_nothing_is_stored(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "_state", {"enabled": False, "root": None})
    root = copy_project(tmp_path / "project")
    assert run_verify(root)[0] == 0
    assert not list(root.glob(".dict-cache/*/verify"))
