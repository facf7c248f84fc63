"""Each generated view is headed by what it holds and where it comes from (mapping file:line, derivation,
target class); a hostile name in a header stays inside its comment."""
from __future__ import annotations

import re

import pytest
import sqlglot
from sqlglot import exp
from typer.testing import CliRunner

from hostile_project import DERIVATION, write_project
from projects import ROOT
from toolkit import dialects
from toolkit.cli import app


@pytest.mark.unit
def test_every_committed_view_has_its_origin_above_it():
    text = (ROOT / "generated" / "sql" / "duckdb" / "chinook.sql").read_text(encoding="utf-8")
    views = re.findall(r'^CREATE OR REPLACE VIEW "([^"]+)"', text, flags=re.M)
    assert len(views) > 20
    for name in views:
        header = re.search(rf'^-- {re.escape(name)}: (.+)\n-- from derivation (\S+) of chinook -> class (\S+) '
                           rf'\((mappings/chinook\.yaml):(\d+)\)\nCREATE OR REPLACE VIEW "{re.escape(name)}"', text, flags=re.M)
        assert header is not None, name
        line = int(header.group(5))
        mapping = (ROOT / "mappings" / "chinook.yaml").read_text(encoding="utf-8").splitlines()
        assert mapping[line - 1].strip() == f"{header.group(2)}:"   # the derivation's own line
    integrated = (ROOT / "generated" / "sql" / "duckdb" / "integrated.sql").read_text(encoding="utf-8")
    assert re.search(r"^-- customer: every source's canonical Customer rows with provenance\n"
                     r"-- class Customer \(dictionary/enterprise\.yaml:\d+\)\n", integrated, flags=re.M)


@pytest.mark.unit
@pytest.mark.parametrize("dialect", ["duckdb", "sqlite", "tsql"])
def test_a_hostile_derivation_name_stays_inside_its_header_comment(tmp_path, dialect):
    root = write_project(tmp_path / "hostile")
    result = CliRunner().invoke(app, ["generate", "sql", "--dialect", dialect, "--project", str(root)])
    assert result.exit_code == 0, result.output
    text = (root / "generated" / "sql" / dialect / "hostile.sql").read_text(encoding="utf-8")
    headers = [line for line in text.split("\n") if "from derivation " in line]
    assert headers and all(line.startswith("-- from derivation ") for line in headers)
    assert not any(sep in line for line in headers for sep in ("\u2028", "\u2029", "\r"))
    assert " ".join(DERIVATION.split()) in headers[0]
    statements = [s for s in sqlglot.parse(text, read=dialects.get(dialect).sqlglot) if s is not None]
    preamble = len(dialects.get(dialect).preamble)
    assert all(isinstance(s, (exp.Create, exp.Drop)) for s in statements[preamble:])
