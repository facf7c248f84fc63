"""Options mean one thing in every command: --target is a database or engine (materialize, deploy, test, run),
--only narrows check and diff to generators (--target there is the deprecated spelling, with a warning),
--out DIR is the folder written itself, --output FILE a file (changelog's --out is its deprecated spelling)."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from projects import ROOT, copy_project, edit, git, init_repo
from toolkit.cli import app

runner = CliRunner()
WARNING = "warning: --target is deprecated here: use --only"


def invoke(*argv: str):
    return runner.invoke(app, list(argv))


@pytest.fixture(scope="module")
def generated_project(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("options") / "project")
    result = invoke("generate", "sql", "--dialect", "duckdb", "-p", str(project))
    assert result.exit_code == 0, result.output
    return project


@pytest.mark.unit
def test_check_takes_only_and_its_old_target_spelling_warns_but_works(generated_project):
    only = invoke("check", "--only", "sql", "-p", str(generated_project))
    assert only.exit_code == 0 and WARNING not in only.output, only.output
    old = invoke("check", "--target", "sql", "-p", str(generated_project))
    assert old.exit_code == 0 and WARNING in old.output
    assert old.output.replace(old.output.splitlines()[0] + "\n", "", 1) == only.output
    both = invoke("check", "--only", "sql", "--target", "sql", "-p", str(generated_project))
    assert both.exit_code == 2
    assert both.output.strip() == "error: give either --only or --target (its deprecated spelling), not both"
    unknown = invoke("check", "--only", "sqll", "-p", str(generated_project))
    assert unknown.exit_code == 2 and "unknown generator 'sqll' for --only" in unknown.output


@pytest.mark.unit
def test_diff_refuses_only_and_target_together_before_any_work():
    both = invoke("diff", "--only", "sql", "--target", "docs", "-p", str(ROOT))
    assert both.exit_code == 2 and both.output.strip().startswith("error: give either --only or --target")


@pytest.mark.unit
@pytest.mark.parametrize("command", [["check"], ["diff"]])
def test_help_of_check_and_diff_names_only_not_target(command):
    text = invoke(*command, "--help").output
    assert "--only" in text and "--target" not in text


@pytest.mark.unit
@pytest.mark.parametrize("command", [["materialize"], ["deploy"], ["test"], ["run"]])
def test_target_is_a_database_or_engine_where_it_is_an_option(command):
    text = " ".join(invoke(*command, "--help").output.split())
    assert "--target" in text
    assert any(word in text for word in ("duckdb:", "postgresql://", "sc://", "server"))


@pytest.mark.unit
def test_generate_out_is_the_folder_itself(generated_project, tmp_path):
    result = invoke("generate", "sql", "--dialect", "duckdb", "--out", str(tmp_path / "here"), "-p", str(generated_project))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "here" / "sql" / "duckdb" / "chinook.sql").is_file()   # as generated/sql/duckdb/chinook.sql
    assert not (tmp_path / "here" / "generated").exists()


@pytest.mark.unit
def test_export_out_is_the_folder_itself(generated_project, tmp_path):
    dbt = invoke("export", "dbt", "--out", str(tmp_path / "dbt"), "-p", str(generated_project), "-s", "chinook")
    assert dbt.exit_code == 0, dbt.output
    assert (tmp_path / "dbt" / "dbt_project.yml").is_file()
    spec = invoke("export", "linkml-map", "--out", str(tmp_path / "specs"), "-p", str(generated_project))
    assert spec.exit_code == 0, spec.output
    assert (tmp_path / "specs" / "chinook.transform.yaml").is_file()


@pytest.mark.unit
def test_changelog_writes_output_file_and_its_old_out_spelling_warns(tmp_path):
    repo = init_repo(copy_project(tmp_path / "repo"))
    edit(repo / "dictionary" / "enterprise.yaml", "  support_agent:\n    title: Support Agent\n",
         "  support_agent:\n    title: Support agent\n")
    git(repo, "commit", "-qam", "retitle")
    new = invoke("changelog", "HEAD~1", "HEAD", "--output", str(tmp_path / "new.md"), "-p", str(repo))
    assert new.exit_code == 0, new.output
    assert "warning" not in new.output and (tmp_path / "new.md").read_text().startswith("# Dictionary changelog")
    old = invoke("changelog", "HEAD~1", "HEAD", "--out", str(tmp_path / "old.md"), "-p", str(repo))
    assert old.exit_code == 0, old.output
    assert "warning: --out is deprecated here: use --output (--out is always a folder; this is a file)" in old.output
    assert (tmp_path / "old.md").read_text() == (tmp_path / "new.md").read_text()
