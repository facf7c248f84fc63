"""Each generated view is headed by what it holds and where it comes from (mapping file:line, derivation,
target class); a hostile name in a header stays inside its comment."""
from __future__ import annotations

import re

import pytest
import sqlglot
from sqlglot import exp
from typer.testing import CliRunner

from hostile_project import CLASS, DERIVATION, write_project
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
    headers = [line for line in text.split("\n") if "from derivation " in line and not line.startswith("COMMENT ON ")]
    assert headers and all(line.startswith("-- from derivation ") for line in headers)
    assert not any(sep in line for line in headers for sep in ("\u2028", "\u2029", "\r"))
    assert " ".join(DERIVATION.split()) in headers[0]
    statements = [s for s in sqlglot.parse(text, read=dialects.get(dialect).sqlglot) if s is not None]
    preamble = len(dialects.get(dialect).preamble)
    assert all(isinstance(s, (exp.Create, exp.Drop, exp.Comment)) for s in statements[preamble:])


# ------------------------------------------------------------------ COMMENT ON from the dictionary's descriptions

def _statements(text: str, dialect: str) -> list[exp.Expression]:
    return [s for s in sqlglot.parse(text, read=dialects.get(dialect).sqlglot) if s is not None]


@pytest.mark.unit
@pytest.mark.parametrize("dialect", ["postgres", "duckdb"])
def test_every_committed_view_is_described_and_its_columns_carry_the_slot_descriptions(dialect):
    from toolkit.load.dictionary import load_dictionary

    text = (ROOT / "generated" / "sql" / dialect / "chinook.sql").read_text(encoding="utf-8")
    assert "-- comments: COMMENT ON VIEW and COMMENT ON COLUMN after each view" in text
    statements = _statements(text, dialect)
    views = [s.this.name for s in statements if isinstance(s, exp.Create)]
    commented = {s.this.name: s.expression.this for s in statements if isinstance(s, exp.Comment) and s.args["kind"] == "VIEW"}
    assert set(views) == set(commented) and len(views) > 20
    assert commented["chinook__customer"].startswith("chinook__customer: the canonical rows (no reject reason); "
                                                     "from derivation Customer of chinook -> class Customer (mappings/chinook.yaml:")
    dictionary = load_dictionary(ROOT / "dictionary")
    columns = {(s.this.table, s.this.name): s.expression.this for s in statements
               if isinstance(s, exp.Comment) and s.args["kind"] == "COLUMN"}
    customer = dictionary.classes["Customer"]
    assert customer.description.strip() in commented["chinook__customer"]
    described = [s for s in customer.slots if s.description]
    assert described and all(columns[("chinook__customer", s.name)] == " ".join(s.description.split()) for s in described
                             if ("chinook__customer", s.name) in columns)
    assert len([k for k in columns if k[0] == "chinook__customer"]) >= 5


@pytest.mark.unit
def test_mysql_files_say_views_cannot_carry_comments_and_snowflake_comments_only_views():
    mysql = (ROOT / "generated" / "sql" / "mysql" / "chinook.sql").read_text(encoding="utf-8")
    assert "-- comments: MySQL/MariaDB views cannot carry comments" in mysql
    assert not any(isinstance(s, exp.Comment) for s in _statements(mysql, "mysql"))
    snowflake = _statements((ROOT / "generated" / "sql" / "snowflake" / "chinook.sql").read_text(encoding="utf-8"), "snowflake")
    kinds = {s.args["kind"] for s in snowflake if isinstance(s, exp.Comment)}
    assert kinds == {"VIEW"}


@pytest.mark.unit
def test_the_sharp_s_rewrite_is_explained_where_it_appears():
    postgres = (ROOT / "generated" / "sql" / "postgres" / "billing.sql").read_text(encoding="utf-8")
    assert "'ß', 'ẞ'" in postgres
    assert "\n-- UPPER(REPLACE(x, 'ß', 'ẞ')): " in postgres.split("\n\n")[0] + "\n"
    duckdb_text = (ROOT / "generated" / "sql" / "duckdb" / "billing.sql").read_text(encoding="utf-8")
    assert "'ß', 'ẞ'" not in duckdb_text and "-- UPPER(REPLACE" not in duckdb_text   # DuckDB upper-cases ß to ẞ itself


HOSTILE_DESCRIPTION = "it's */ DROP TABLE canary; /* \\' -- x \\\n\t\"q\" $$ end"


@pytest.mark.unit
@pytest.mark.parametrize("dialect", ["duckdb", "snowflake"])   # PostgreSQL: test_hostile_sql_servers (sqlglot reads no E'')
def test_a_hostile_description_is_one_escaped_literal_and_a_star_slash_never_closes_a_header(tmp_path, dialect):
    import json

    root = write_project(tmp_path / "hostile")
    dictionary = root / "dictionary" / "hostile.yaml"
    text = dictionary.read_text(encoding="utf-8")
    text = re.sub(r'^    description: .*$', lambda _m: "    description: " + json.dumps(HOSTILE_DESCRIPTION), text, count=1, flags=re.M)
    dictionary.write_text(text, encoding="utf-8")
    mapping = root / "mappings" / "hostile.yaml"
    mapping.write_text(re.sub(r"^title: .*$", 'title: "T */ DROP TABLE canary; /*"', mapping.read_text(encoding="utf-8"),
                              count=1, flags=re.M), encoding="utf-8")
    result = CliRunner().invoke(app, ["generate", "sql", "--dialect", dialect, "--project", str(root)])
    assert result.exit_code == 0, result.output
    sql = (root / "generated" / "sql" / dialect / "hostile.sql").read_text(encoding="utf-8")
    comments = [line for line in sql.split("\n") if line.startswith("--")]
    assert "-- source hostile: T * / DROP TABLE canary; /* (mappings/hostile.yaml)" in comments
    assert not any("*/" in line for line in comments)
    statements = _statements(sql, dialect)
    assert all(isinstance(s, (exp.Create, exp.Comment)) for s in statements)
    assert not any(isinstance(s, (exp.Drop, exp.Command)) for s in statements)
    one_line = " ".join(HOSTILE_DESCRIPTION.split())
    views = [s.expression.this for s in statements if isinstance(s, exp.Comment) and s.args["kind"] == "VIEW"]
    assert any(v.endswith("; " + CLASS + ": " + one_line) for v in views), views[:3]
