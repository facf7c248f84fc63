"""Determinism and atomicity of generated/.

- Every generator, in every dialect generated/ holds, writes byte-identical files run after run
  and whatever PYTHONHASHSEED is, and the committed generated/ is what they write now.
- Generation builds the new tree beside generated/ and swaps it in at the end: a failure at any
  point (while rendering, while writing, during the swap, or an interrupt) leaves the previous
  generated/ exactly as it was, with nothing left behind.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from projects import ROOT, copy_project, edit, snapshot
from toolkit import dialects
from toolkit.core import output
from toolkit.analyze.drift import generated_dialects
from toolkit.emit.generate import GENERATORS, Generator, committed_generators, generate, generator_names, render
from toolkit.plan import load_plan

SEEDS = ("1", "4242")


def _generate_in_subprocess(out: Path, seed: str, dialect: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    return subprocess.Popen([sys.executable, "-m", "toolkit.cli", "generate", "all", "--dialect", dialect,
                             "--project", str(ROOT), "--out", str(out)],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def generations(tmp_path_factory):
    """generated/ of this repository written three times: here, and under two hash seeds at once."""
    base = tmp_path_factory.mktemp("determinism")
    dialect = ",".join(generated_dialects(ROOT / "generated"))
    runs = {seed: _generate_in_subprocess(base / f"seed-{seed}", seed, dialect) for seed in SEEDS}
    generate(ROOT, generator_names(), base / "here", dialect=dialect)
    trees = {"here": snapshot(base / "here")}
    for seed, run in runs.items():
        _out, err = run.communicate(timeout=900)
        assert run.returncode == 0, err.decode()
        trees[f"PYTHONHASHSEED={seed}"] = snapshot(base / f"seed-{seed}")
    return trees


def test_every_generator_writes_the_same_bytes_in_every_run_and_under_every_hash_seed(generations):
    here = generations["here"]
    assert here, "nothing generated"
    prefixes = {rel.split("/")[0] for rel in here}
    assert {"sql"} <= prefixes
    for run, tree in generations.items():
        assert sorted(tree) == sorted(here), f"{run} wrote other files"
        differing = [rel for rel in here if tree[rel] != here[rel]]
        assert not differing, f"{run} differs in {differing[:5]}"


def test_the_committed_generated_folder_is_what_the_generators_write_now(generations):
    """What `dict check` guards in CI, for every generator: run `dict generate all --dialect ...` and commit."""
    committed = snapshot(ROOT / "generated")
    dialect = ",".join(generated_dialects(ROOT / "generated"))
    # the committed generators only: the docs site and lineage exports are built, not committed (a checkout
    # may hold a local build of them, which git ignores)
    owned = tuple(f for n in committed_generators() for f in GENERATORS[n].owns(dialect=dialect))
    fresh = {rel: data for rel, data in generations["here"].items()
             if any(rel == o or rel.startswith(o + "/") for o in owned) or "/" not in rel}
    committed = {rel: data for rel, data in committed.items()
                 if any(rel == o or rel.startswith(o + "/") for o in owned) or "/" not in rel}
    stale = sorted(rel for rel, data in fresh.items() if committed.get(rel) != data)
    extra = sorted(rel for rel in committed if rel not in fresh and any(rel.startswith(o + "/") for o in owned)
                   and "__pycache__" not in rel.split("/"))   # bytecode of imported translators is not output
    assert not stale and not extra, (f"generated/ is out of date: stale or missing {stale[:8]}, extra {extra[:8]}; "
                                     f"run: dict generate all --dialect {dialect}")


# ---------------------------------------------------------------------------- atomicity

@pytest.fixture(scope="module")
def generated_project(tmp_path_factory):
    """A project whose generated/ holds SQL for two dialects and a hand-written note (kept by generate)."""
    root = copy_project(tmp_path_factory.mktemp("atomic") / "project")
    generate(root, _targets(), dialect=DIALECTS)
    (root / "generated" / "NOTES.md").write_text("kept by hand\n", encoding="utf-8")
    # a mapping change, so that a successful run would change files
    edit(root / "mappings" / "chinook.yaml", "expr: TRIM(FirstName)\n", "expr: UPPER(TRIM(FirstName))\n")
    return root


@pytest.fixture()
def project(generated_project, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(generated_project, root)
    return root


TWO_DIALECTS = ("duckdb", "postgres")   # named, so a new dialect never changes what these tests cover

# Writing is the same for every generator: the SQL generator (in two dialects) is enough to prove it.
DIALECTS = ",".join(TWO_DIALECTS)


def _targets() -> list[str]:
    return ["sql"]


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".generated"))


@pytest.mark.parametrize("written", [0, 1, 3, -1])
def test_a_failure_after_any_number_of_files_leaves_the_previous_generated_folder_intact(project, written):
    before = snapshot(project / "generated")
    total = len(render(load_plan(project), _targets(), dialect=DIALECTS)[0])
    with pytest.raises(OSError, match="injected failure"):
        generate(project, _targets(), dialect=DIALECTS, _fail_after=written if written >= 0 else total - 1)   # -1: all but the last
    assert snapshot(project / "generated") == before
    assert _leftovers(project) == []
    # and the next run goes through, changing only what the mapping change changes
    changed = generate(project, _targets(), dialect=DIALECTS)
    assert "sql/duckdb/chinook.sql" in changed and "sql/duckdb/northwind.sql" not in changed
    assert (project / "generated" / "NOTES.md").read_text(encoding="utf-8") == "kept by hand\n"


def test_a_generator_that_fails_while_rendering_writes_nothing(project, monkeypatch):
    def broken(plan, **_):
        raise RuntimeError("generator bug")

    monkeypatch.setitem(GENERATORS, "broken", Generator("broken", broken, lambda **_: ("broken",)))
    before = snapshot(project / "generated")
    with pytest.raises(RuntimeError, match="generator bug"):
        generate(project, _targets() + ["broken"], dialect=DIALECTS)
    assert snapshot(project / "generated") == before
    assert _leftovers(project) == []


def test_an_interrupt_while_writing_leaves_the_previous_generated_folder_intact(project, monkeypatch):
    before = snapshot(project / "generated")
    real_write = Path.write_bytes
    calls = []

    def interrupted(self, data):
        calls.append(self)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", interrupted)
    with pytest.raises(KeyboardInterrupt):
        generate(project, _targets(), dialect=DIALECTS)
    monkeypatch.undo()
    assert snapshot(project / "generated") == before
    assert _leftovers(project) == []


def test_the_swap_is_one_atomic_exchange_where_the_system_offers_it(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "new.txt").write_text("new")
    (b / "old.txt").write_text("old")
    if not output._exchange(a, b):
        pytest.skip("this kernel or file system cannot exchange directories; the two-rename swap is used")
    assert [p.name for p in b.iterdir()] == ["new.txt"] and [p.name for p in a.iterdir()] == ["old.txt"]


def test_a_failure_during_a_two_rename_swap_puts_the_previous_folder_back(project, monkeypatch):
    """Where directories cannot be exchanged in one step, the swap is two renames; if the second fails
    the first is undone."""
    monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    real_replace = os.replace

    def failing(src, dst):
        if Path(src).name.startswith(".generated.new-"):
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    before = snapshot(project / "generated")
    with pytest.raises(OSError, match="disk full"):
        generate(project, _targets(), dialect=DIALECTS)
    assert snapshot(project / "generated") == before
    assert _leftovers(project) == []


def test_generating_into_a_folder_that_does_not_exist_yet(tmp_path):
    root = copy_project(tmp_path / "fresh")
    changed = generate(root, ["sql"])
    assert "sql/duckdb/chinook.sql" in changed
    assert generate(root, ["sql"]) == []   # a second run changes nothing


@pytest.mark.unit
def test_staging_links_what_stays_writes_what_changes_and_copies_what_links_lead_to(tmp_path):
    """The new folder takes the files that keep their bytes as the very same files (hard links: nothing is
    copied or rewritten, their times stay), writes only the changed ones, drops what the replaced folders no
    longer hold, and copies what a symbolic link leads to, so it shares no file with anything outside it."""
    target, outside = tmp_path / "generated", tmp_path / "outside"
    (target / "sql").mkdir(parents=True)
    (target / "notes" / "empty").mkdir(parents=True)
    outside.mkdir()
    (outside / "elsewhere.txt").write_text("outside\n")
    (outside / "folder").mkdir()
    (outside / "folder" / "inner.txt").write_text("inner\n")
    (target / "sql" / "same.sql").write_text("select 1;\n")
    (target / "sql" / "changed.sql").write_text("select 2;\n")
    (target / "sql" / "stale.sql").write_text("select 3;\n")
    (target / "notes" / "kept.txt").write_text("kept\n")
    (target / "notes" / "link.txt").symlink_to(outside / "elsewhere.txt")
    (target / "notes" / "linked-folder").symlink_to(outside / "folder", target_is_directory=True)
    (target / "sql-link.sql").symlink_to(outside / "elsewhere.txt")
    before = {name: (target / name).stat().st_ino for name in ("sql/same.sql", "sql/changed.sql", "notes/kept.txt")}

    changed = output.write_generated(target, {"sql/same.sql": "select 1;\n", "sql/changed.sql": "select 22;\n",
                                              "sql/new.sql": "select 4;\n", "sql-link.sql": "outside\n"}, ("sql",))

    assert sorted(changed) == ["sql/changed.sql", "sql/new.sql"]
    assert snapshot(target) == {"sql/same.sql": b"select 1;\n", "sql/changed.sql": b"select 22;\n",
                                "sql/new.sql": b"select 4;\n", "sql-link.sql": b"outside\n",
                                "notes/kept.txt": b"kept\n", "notes/link.txt": b"outside\n",
                                "notes/linked-folder/inner.txt": b"inner\n"}
    assert (target / "notes" / "empty").is_dir()
    assert (target / "sql" / "same.sql").stat().st_ino == before["sql/same.sql"]
    assert (target / "notes" / "kept.txt").stat().st_ino == before["notes/kept.txt"]
    assert (target / "sql" / "changed.sql").stat().st_ino != before["sql/changed.sql"]
    for name in ("notes/link.txt", "notes/linked-folder/inner.txt", "sql-link.sql"):   # copies, not links
        path = target / name
        assert not path.is_symlink() and path.stat().st_nlink == 1, name
    (target / "notes" / "link.txt").write_text("changed here\n")
    assert (outside / "elsewhere.txt").read_text() == "outside\n"
    assert _leftovers(tmp_path) == []
