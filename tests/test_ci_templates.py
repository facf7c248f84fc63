"""The templates users copy into their repositories: the pre-commit hooks and the CI workflow call
real `dict` commands with options that exist, and cover validate, generate, check and diff."""
from __future__ import annotations

import shlex

import yaml
from typer.testing import CliRunner

from projects import ROOT, copy_project
from toolkit.cli import app

HOOKS = ROOT / ".pre-commit-hooks.yaml"
WORKFLOW = ROOT / "docs" / "ci" / "dict-pull-request.yml"
runner = CliRunner()


# the workflow's variables, with values they take in a pull request
VARIABLES = {"$BASE": "origin/main", "$FAIL_ON": "breaking", "$DIALECTS": "duckdb"}


def _accepted(command: list[str]) -> None:
    """`dict ...` parses: the subcommand and every option exist (click checks them before --help)."""
    assert command[0] == "dict", command
    args = [VARIABLES.get(a, a) for a in command[1:]]
    result = runner.invoke(app, args + ["--help"])
    assert result.exit_code == 0, f"{shlex.join(command)}: {result.output}"


def test_pre_commit_hooks_run_real_commands():
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert {h["id"] for h in hooks} == {"dict-validate", "dict-check", "dict-generate", "dict-diff"}
    for hook in hooks:
        assert hook["language"] == "python" and hook["pass_filenames"] is False, hook["id"]
        _accepted(shlex.split(hook["entry"]) + hook.get("args", []))
    diff = next(h for h in hooks if h["id"] == "dict-diff")
    assert "--fail-on breaking" in diff["entry"] and diff["stages"] == ["pre-push"]


def test_the_validate_hook_fails_a_commit_with_a_broken_mapping(tmp_path):
    root = copy_project(tmp_path / "repo")
    hook = next(h for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8")) if h["id"] == "dict-validate")
    args = shlex.split(hook["entry"])[1:] + ["--project", str(root)]
    assert runner.invoke(app, args).exit_code == 0
    mapping = root / "mappings" / "chinook.yaml"
    mapping.write_text(mapping.read_text(encoding="utf-8").replace("populated_from: Company", "populated_from: Compny"),
                       encoding="utf-8")
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "mappings/chinook.yaml:" in result.output


def test_the_ci_workflow_runs_validate_generate_check_and_diff_on_pull_requests():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))   # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    (job,) = workflow["jobs"].values()
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0, "dict diff needs the base branch's history"
    commands = [shlex.split(line) for s in job["steps"] if "run" in s
                for line in s["run"].splitlines() if line.strip().startswith("dict ")]
    for command in commands:
        _accepted(command[:_end(command)])
    used = {c[1] for c in commands}
    assert {"validate", "generate", "check", "diff"} <= used
    assert any("--fail-on" in c for c in commands if c[1] == "diff")


def _end(command: list[str]) -> int:
    """Where the dict command ends (before a redirect or a pipe)."""
    for i, part in enumerate(command):
        if part in (">", "|"):
            return i
    return len(command)
