"""A source's data that is not that source's database is one error naming the missing tables, never a traceback."""
from __future__ import annotations

import sqlite3

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import ROOT
from toolkit.cli import app


@pytest.fixture()
def wrong(tmp_path):
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE unrelated (a INTEGER)")
    con.commit()
    con.close()
    return path


@pytest.mark.unit
@pytest.mark.parametrize("command", [["run"], ["materialize", "--target", "duckdb:{tmp}/t.duckdb"]])
def test_run_and_materialize_on_the_wrong_database_name_what_is_missing(wrong, tmp_path, command):
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    result = CliRunner().invoke(app, [*args, "-d", f"chinook={wrong}", "--project", str(ROOT)])
    assert result.exit_code == 1, result.output
    assert "source 'chinook'" in result.output and "Customer" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


@pytest.mark.unit
def test_a_duckdb_file_without_the_source_schema_is_named(tmp_path):
    path = tmp_path / "estate.duckdb"
    duckdb.connect(str(path)).close()
    result = CliRunner().invoke(app, ["run", "-d", f"crm={path}", "--project", str(ROOT)])
    assert result.exit_code == 1 and "source 'crm'" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_run_into_a_duckdb_file_holding_objects_dict_did_not_create_is_refused(tmp_path, wrong):
    from conftest import CHINOOK

    target = tmp_path / "mine.duckdb"
    con = duckdb.connect(str(target))
    con.execute("CREATE TABLE customer (a INTEGER)")
    con.execute("INSERT INTO customer VALUES (1)")
    con.close()
    result = CliRunner().invoke(app, ["run", "-d", f"chinook={CHINOOK}", "--database", str(target), "--project", str(ROOT)])
    assert result.exit_code == 1 and "main.customer (table)" in result.output
    con = duckdb.connect(str(target), read_only=True)
    assert con.execute("SELECT * FROM customer").fetchall() == [(1,)]
    assert [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()] == ["customer"]
    con.close()
    fresh = tmp_path / "views.duckdb"
    for _ in range(2):   # a second run replaces only the views the first created
        again = CliRunner().invoke(app, ["run", "-d", f"chinook={CHINOOK}", "--database", str(fresh), "--project", str(ROOT)])
        assert again.exit_code == 0, again.output
