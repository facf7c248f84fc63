"""A newcomer's first day with `dict`: every mistake is one line with what to fix (usage: exit 2, input: exit 1),
never a traceback; help has examples; output for CI logs is never cut; the project is found from a subfolder."""
from __future__ import annotations

import io
import json

import duckdb
import pytest
from rich.console import Console
from typer.testing import CliRunner

import toolkit.cli as cli
from conftest import CHINOOK, _require
from projects import ROOT, copy_project, edit
from toolkit.cli import app, main
from toolkit.run.engines.duckdb import attach_file

runner = CliRunner()


def dict_main(capsys, *argv: str) -> tuple[int, str, str]:
    """`dict ARGV` as the console script runs it: exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as stop:
        main(list(argv))
    captured = capsys.readouterr()
    return stop.value.code, captured.out, captured.err


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("project: ")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.mark.unit
def test_version(capsys):
    code, stdout, _ = dict_main(capsys, "--version")
    assert code == 0 and stdout.startswith("dict ")


@pytest.mark.unit
@pytest.mark.parametrize("argv, says", [
    (["--nope"], "No such option: --nope"),
    (["nocommand"], "No such command 'nocommand'"),
    (["run", "-p", str(ROOT)], "Missing option '--data'"),
    (["check", "-p", str(ROOT), "--format", "yaml"], "--format must be text, json or github, not 'yaml'"),
    (["validate", "-p", str(ROOT), "--format", "xml"], "--format must be text, json or github, not 'xml'"),
    (["diff", "-p", str(ROOT), "--format", "yaml"], "--format must be text, json or github, not 'yaml'"),
    (["check", "-p", str(ROOT), "--dialect", "oracle"], "unknown dialect 'oracle'"),
    (["diff", "-p", str(ROOT), "--dialect", "oracle"], "unknown dialect 'oracle'"),
    (["generate", "sql", "-p", str(ROOT), "--dialect", "oracle"], "unknown dialect 'oracle'"),
    (["lineage", "verify", "-p", str(ROOT), "--dialect", "oracle"], "unknown dialect 'oracle'"),
    (["diff", "-p", str(ROOT), "--fail-on", "sometimes"], "--fail-on must be breaking, any or never"),
    (["export", "dbt", "-p", str(ROOT), "-s", "nope"], "no mapping for source 'nope'"),
])
def test_usage_errors_are_one_line_and_exit_2_in_every_command(capsys, argv, says):
    code, _, stderr = dict_main(capsys, *argv)
    line = one_line_error(stderr)
    assert code == 2 and line.startswith("error: ") and says in line, stderr


@pytest.mark.unit
@pytest.mark.parametrize("command", [["validate"], ["generate"], ["run"], ["demo"], ["check"], ["diff"],
                                     ["materialize"], ["export", "dbt"], ["import-source"]])
def test_help_shows_an_example(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Example: dict " in result.output, result.output


@pytest.mark.unit
def test_validate_reports_as_json(tmp_path):
    ok = runner.invoke(app, ["validate", "--format", "json", "-p", str(ROOT)])
    assert ok.exit_code == 0 and json.loads(ok.output)["ok"] is True
    project = copy_project(tmp_path)
    edit(project / "mappings" / "chinook.yaml", "      given_name:\n", "      first_name:\n")
    bad = runner.invoke(app, ["validate", "--format", "json", "-p", str(project)])
    report = json.loads(bad.output)
    assert bad.exit_code == 1 and report["ok"] is False
    problem = report["problems"][0]
    assert problem["file"] == "mappings/chinook.yaml" and problem["line"] > 1


@pytest.mark.unit
def test_did_you_mean_follows_the_dictionary_aliases(tmp_path):
    """first_name is nearest to family_name by spelling, but FirstName is an alias of given_name."""
    project = copy_project(tmp_path)
    edit(project / "mappings" / "chinook.yaml", "      given_name:\n", "      first_name:\n")
    result = runner.invoke(app, ["validate", "-p", str(project)])
    assert result.exit_code == 1
    assert "has no slot 'first_name'" in result.output and "did you mean 'given_name'?" in result.output


@pytest.mark.unit
def test_an_unquoted_yaml_no_says_to_quote_it(tmp_path):
    project = copy_project(tmp_path)
    mapping = project / "mappings" / "chinook.yaml"
    line = mapping.read_text(encoding="utf-8").splitlines().index(next(
        t for t in mapping.read_text(encoding="utf-8").splitlines() if 'Norway: "NO"' in t)) + 1
    edit(mapping, 'Norway: "NO"', "Norway: NO")
    result = runner.invoke(app, ["validate", "-p", str(project)])
    assert result.exit_code == 1 and f"mappings/chinook.yaml:{line}:" in result.output
    assert 'put the value in quotes, e.g. Norway: "NO"' in result.output


@pytest.mark.unit
@pytest.mark.parametrize("old, new, line, says", [
    ("      full_name:\n", "\tfull_name:\n", 24, "a tab character where YAML allows only spaces"),
    ("      given_name:\n", "     given_name:\n", 26, "the indentation of this line (5 spaces) does not line up"),
])
def test_tabs_and_bad_indents_point_at_their_line(tmp_path, old, new, line, says):
    project = copy_project(tmp_path)
    edit(project / "mappings" / "chinook.yaml", old, new)
    result = runner.invoke(app, ["validate", "-p", str(project)])
    assert result.exit_code == 1 and f"mappings/chinook.yaml:{line}: invalid YAML: {says}" in result.output
    assert "<block" not in result.output


@pytest.mark.unit
def test_dict_finds_the_project_from_a_subfolder(tmp_path, monkeypatch, capsys):
    project = copy_project(tmp_path / "project")
    monkeypatch.chdir(project / "mappings")
    code, stdout, stderr = dict_main(capsys, "validate")
    assert code == 0 and stdout.startswith("ok: ") and str(project) in stderr
    monkeypatch.chdir(tmp_path)
    code, _, stderr = dict_main(capsys, "validate")
    assert code == 1 and f"no dictionary/ folder in {tmp_path}" in stderr


@pytest.mark.unit
def test_unknown_function_lists_every_spelling_the_language_takes():
    from toolkit.expressions import ExpressionError, Scope, compile_expression
    from toolkit.expressions.functions import FUNCTIONS
    from toolkit.load.source_schema import Column, Table
    from toolkit.core.types import Type

    table = Table("Customer", {"Name": Column("Name", "TEXT", Type.STRING)})
    scope = Scope("crm", "Customer", {"Customer": table}, frozenset({"Customer"}))
    for text in ("LTRIM(Name)", "RTRIM(Name)", "IF(Name IS NULL, 1, 2)", "TRY_CAST(Name AS INTEGER)"):
        compile_expression(text, scope)   # each is in the language
    with pytest.raises(ExpressionError) as refused:
        compile_expression("SOUNDEX(Name)", scope)
    allowed = str(refused.value).split("allowed: ")[1].split(", ")
    assert {"LTRIM", "RTRIM", "IF", "TRY_CAST", "CASE", "CAST"} <= set(allowed)
    assert {f.name for f in FUNCTIONS} <= set(allowed)


@pytest.mark.unit
def test_run_on_the_wrong_database_names_the_missing_columns(tmp_path, capsys):
    wrong = tmp_path / "wrong.duckdb"
    con = duckdb.connect(str(wrong))
    for table in ("Customer", "Employee", "Genre", "Invoice", "InvoiceLine", "Track", "Album", "Artist", "MediaType"):
        con.execute(f'CREATE TABLE "{table}" (x INTEGER)')
    con.close()
    code, _, stderr = dict_main(capsys, "run", "-p", str(ROOT), "-d", f"chinook={wrong}")
    assert code == 1 and "Traceback" not in stderr
    assert f"source 'chinook': {wrong} has no column Customer." in stderr and "is this the source's database?" in stderr


@pytest.mark.unit
def test_materialize_given_a_duckdb_file_laid_out_for_run_says_what_is_wrong(tmp_path, capsys):
    laid_out = tmp_path / "chinook.duckdb"
    con = duckdb.connect(str(laid_out))
    attach_file(con, "s", _require(CHINOOK))  # the packaged scanner: a fresh machine has nothing to autoload
    con.execute('CREATE TABLE main."Customer" AS SELECT * FROM s."Customer"')
    con.close()
    code, _, stderr = dict_main(capsys, "materialize", "-p", str(ROOT), "-t", f"duckdb:{tmp_path / 'out.duckdb'}",
                                "-d", f"chinook={laid_out}")
    assert code == 1 and "Traceback" not in stderr and "source 'chinook'" in stderr
    assert "is this the source's database?" in stderr


@pytest.mark.unit
def test_tables_are_never_cut_when_output_is_not_a_terminal(tmp_path):
    """A CI log keeps every character of a reject reason (a table cut at 80 columns shows `canoni…`)."""
    from rich.table import Table

    console = cli._Console(file=io.StringIO(), emoji=False)
    table = Table(title="rejects by reason")
    for col in ("source", "derivation", "reason", "rows"):
        table.add_column(col)
    reason = "slot given_name: " + "a long reason explaining exactly which value broke which rule " * 3
    table.add_row("crm", "Customer", reason, "1")
    console.print(table)
    assert reason in console.file.getvalue()


@pytest.mark.unit
def test_a_step_over_a_second_says_what_it_does_and_how_long_it_took(monkeypatch):
    terminal = Console(file=io.StringIO(), force_terminal=True, width=100)
    monkeypatch.setattr(cli, "err", terminal)
    clock = iter([100.0, 112.5])
    monkeypatch.setattr(cli.time, "monotonic", lambda: next(clock))
    with cli.step("generating sql (duckdb)"):
        pass
    assert "generating sql (duckdb): 12.5 s" in terminal.file.getvalue()


@pytest.mark.slow
def test_generate_docs_ends_with_the_page_to_open(tmp_path):
    project = copy_project(tmp_path / "project")
    result = runner.invoke(app, ["generate", "docs", "-p", str(project)])
    assert result.exit_code == 0, result.output
    index = (project / "generated" / "docs" / "index.html").resolve()
    assert index.is_file() and result.output.strip().splitlines()[-1].startswith(f"open {index} in a browser")


@pytest.mark.slow
def test_generate_sql_then_check_is_clean_for_every_dialect_generated_holds(tmp_path):
    """The README walkthrough: edit a mapping, `dict generate sql`, `dict check` is clean (no --dialect needed)."""
    project = copy_project(tmp_path / "project")
    first = runner.invoke(app, ["generate", "sql", "--dialect", "duckdb,postgres", "-p", str(project)])
    assert first.exit_code == 0, first.output
    edit(project / "mappings" / "chinook.yaml", "customer has no e-mail address", "customer has no e-mail")
    again = runner.invoke(app, ["generate", "sql", "-p", str(project)])
    assert again.exit_code == 0, again.output
    assert "sql/postgres/chinook.sql" in again.output and "sql/duckdb/chinook.sql" in again.output
    check = runner.invoke(app, ["check", "--only", "sql", "-p", str(project)])
    assert check.exit_code == 0, check.output


@pytest.mark.unit
def test_validate_and_check_annotate_the_pull_request_lines_for_github(tmp_path):
    project = copy_project(tmp_path / "project")
    edit(project / "mappings" / "chinook.yaml", "      full_name:\n", "\tfull_name:\n")
    result = runner.invoke(app, ["validate", "--format", "github", "-p", str(project)])
    assert result.exit_code == 1
    assert result.output.strip() == ("::error file=mappings/chinook.yaml,line=24::invalid YAML: a tab character where "
                                     "YAML allows only spaces (indent with spaces, not tabs)")
    (project / "generated" / "sql" / "duckdb").mkdir(parents=True)
    (project / "generated" / "sql" / "duckdb" / "chinook.sql").write_text("-- old\n", encoding="utf-8")
    edit(project / "mappings" / "chinook.yaml", "\tfull_name:\n", "      full_name:\n")
    check = runner.invoke(app, ["check", "--only", "sql", "--format", "github", "-p", str(project)])
    assert check.exit_code == 1
    assert "::error file=generated/sql/duckdb/chinook.sql,line=1::stale: run dict generate" in check.output


@pytest.mark.unit
def test_a_github_annotation_cannot_be_ended_or_forged_by_project_text():
    line = cli.github_annotation("error", "mappings/a,b:c.yaml", 3, "100% bad\n::warning file=x::forged\r")
    assert line == "::error file=mappings/a%2Cb%3Ac.yaml,line=3::100%25 bad%0A::warning file=x::forged%0D"
    assert "\n" not in line and "\r" not in line
