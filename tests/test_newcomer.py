"""README's first-hour transcript runs as written: install, demo, open the docs, edit a mapping, validate,
generate, check — each command succeeds, and check is clean after generate."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest

from projects import ROOT, copy_project

START, END = "<!-- newcomer-transcript", "<!-- end newcomer-transcript -->"


def transcript() -> list[str]:
    """The command lines of README's transcript block, comments stripped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index(START):text.index(END)]
    code = block.split("```bash\n", 1)[1].split("```", 1)[0]
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in code.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


@pytest.mark.slow
def test_readme_newcomer_transcript_runs_as_written(tmp_path):
    project = copy_project(tmp_path / "project")   # dictionary/ and the Chinook and Northwind mappings
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    lines = transcript()
    assert lines[0] == "pip install -e ." and [l.split()[0] for l in lines[1:]] == ["dict", "dict", "sed", "dict",
                                                                                   "dict", "dict"]
    for line in lines[1:]:   # the package is installed already (CI: pip install -e '.[test]')
        argv = shlex.split(line)
        if argv[0] == "dict":
            argv = [sys.executable, "-m", "toolkit.cli", *argv[1:]]
        done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{line}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        if line == "dict demo":
            index = (project / "demo-output" / "generated" / "docs" / "index.html").resolve()
            assert index.is_file() and done.stdout.rstrip().splitlines()[-1].startswith(f"open {index} in a browser")
        if line.startswith("sed "):
            assert "customer has no e-mail address (login key)" in (project / "mappings" / "chinook.yaml").read_text()
        if line == "dict check":
            assert done.stdout.startswith("ok: generated/ is up to date")
