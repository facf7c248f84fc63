"""Record translators laid out for review (statements within 100 columns), computing exactly what they did on
one line: the layout changes no node of the module's AST."""
from __future__ import annotations

import ast

import pytest

from projects import ROOT
from toolkit.emit._pyformat import WIDTH, format_module
from toolkit.emit.python import source_module
from toolkit.plan import load_plan

# statements the translators are made of; none of them may run past the width
CODE = ("v_", "return {'", "staged = ", "if (", "elif (", "return Reject(", "key = ")


@pytest.fixture(scope="module")
def modules():
    plan = load_plan(ROOT)
    return {s.name: source_module(plan, s) for s in plan.sources}


@pytest.mark.unit
def test_layout_changes_nothing_a_translator_computes(modules):
    for name, flat in modules.items():
        laid_out = format_module(flat)
        assert ast.dump(ast.parse(laid_out)) == ast.dump(ast.parse(flat)), name
        assert format_module(laid_out) == laid_out, name   # stable: generating again changes no file


@pytest.mark.unit
def test_translator_statements_fit_in_100_columns(modules):
    """Each long statement is broken at its brackets; only fragments nested deep inside one (a CASE inside a
    cast inside a CASE) may still run past the width."""
    for name, flat in modules.items():
        wide_before = [line for line in flat.splitlines() if len(line) > WIDTH and line.lstrip().startswith(CODE)]
        laid_out = format_module(flat).splitlines()
        wide = [line for line in laid_out if len(line) > WIDTH and line.lstrip().startswith(CODE)
                and len(line) - len(line.lstrip()) < 40]
        assert len(wide_before) >= 10 and wide == [], f"{name}: {wide[:3]}"


@pytest.mark.unit
def test_the_committed_translators_are_laid_out():
    text = (ROOT / "generated" / "python" / "chinook.py").read_text(encoding="utf-8")
    assert format_module(text) == text
    assert max(len(line) for line in text.splitlines() if line.lstrip().startswith(CODE)
               and len(line) - len(line.lstrip()) < 40) <= WIDTH
