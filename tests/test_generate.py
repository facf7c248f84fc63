"""dict generate: committed generated/ is reproduced byte for byte, deterministically and atomically."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot

from toolkit.emit.generate import generate
from toolkit.plan import load_plan

ROOT = Path(__file__).resolve().parents[1]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_generate_sql_reproduces_the_committed_files_byte_for_byte(tmp_path):
    out = tmp_path / "generated"
    generate(ROOT, ["sql"], out)
    fresh = _tree(out)
    committed = _tree(ROOT / "generated")
    assert fresh, "nothing generated"
    for rel, data in fresh.items():
        assert committed.get(rel) == data, f"generated/{rel} is out of date: run `dict generate sql`"


@pytest.mark.parametrize("seed", ["1", "4242"])
def test_generation_does_not_depend_on_hash_seed(tmp_path, seed):
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONHASHSEED=seed)
    subprocess.run([sys.executable, "-m", "toolkit.cli", "generate", "sql", "--project", str(ROOT), "--out", str(out)],
                   check=True, env=env, capture_output=True)
    assert _tree(out) == {rel: data for rel, data in _tree(ROOT / "generated").items() if rel in _tree(out)}


def test_generated_sql_parses_back_and_quotes_awkward_identifiers():
    text = (ROOT / "generated" / "sql" / "duckdb" / "northwind.sql").read_text(encoding="utf-8")
    statements = sqlglot.parse(text, read="duckdb")
    assert len([s for s in statements if s is not None]) >= 3 * 8
    assert '"northwind"."Order Details" AS "line"' in text


def test_a_failure_midway_leaves_the_previous_generated_folder_intact(tmp_path):
    out = tmp_path / "generated"
    generate(ROOT, ["sql"], out)
    before = _tree(out)
    (out / "sql" / "duckdb" / "chinook.sql").write_text("-- previous content\n", encoding="utf-8")
    before = _tree(out)
    with pytest.raises(OSError, match="injected failure"):
        generate(ROOT, ["sql"], out, _fail_after=1)
    assert _tree(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".generated")], "staging folder left behind"


def test_views_render_from_the_plan_alone(plan):
    # every (source, derivation) yields staged, canonical and rejects views
    from toolkit.emit.sql import source_statements

    for view in plan.views():
        names = [n for n, _ in source_statements(view)]
        assert names[0] == view.staged_name and view.view_name in names and view.rejects_name in names
