"""The regeneration cache (.dict-cache/) is never stale: after each kind of input edit, a cached run gives
byte for byte what a cold run gives, and it re-renders only the statements whose tree changed."""
from __future__ import annotations

import json
import shutil

import pytest

from projects import ROOT, copy_project, edit, snapshot
from toolkit.emit import cache
from toolkit.emit.generate import generate, render
from toolkit.emit import python, sql
from toolkit.plan import load_plan


TARGETS = ["sql", "python"]
DIALECT = "duckdb,postgres"


@pytest.fixture
def cached(monkeypatch):
    """The cache turned on as the `dict` command turns it on, and a count of the statements rendered."""
    monkeypatch.setattr(cache, "_state", {"enabled": True, "root": None})
    rendered = []
    real = sql.render_jobs
    monkeypatch.setattr(sql, "render_jobs", lambda jobs: rendered.extend(jobs) or real(jobs))
    return rendered


def cold(root, dialect=DIALECT) -> dict[str, bytes]:
    files, _owned = render(load_plan(root), TARGETS, dialect=dialect)
    return {rel: text.encode("utf-8") for rel, text in files.items()}


def warm(root, out, dialect=DIALECT) -> dict[str, bytes]:
    if out.exists():
        shutil.rmtree(out)
    generate(root, TARGETS, out=out, dialect=dialect)
    return snapshot(out)


EDITS = [
    ("dictionary", "dictionary/enterprise.yaml", "    minimum_value: 1\n", "    minimum_value: 2\n"),
    ("mapping", "mappings/chinook.yaml", "expr: TRIM(FirstName) || ' ' || TRIM(LastName)",
     "expr: TRIM(FirstName) || '  ' || TRIM(LastName)"),
    ("source schema", "mappings/chinook.source.yaml", "      Total:\n        type: NUMERIC(10,2)",
     "      Total:\n        type: NUMERIC(12,2)"),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind, file, old, new", EDITS, ids=[e[0] for e in EDITS])
def test_after_an_edit_the_cached_run_equals_a_cold_run_byte_for_byte(tmp_path, cached, kind, file, old, new):
    root = copy_project(tmp_path / "project")
    before = warm(root, tmp_path / "out")
    assert before == cold(root)
    cached.clear()
    assert warm(root, tmp_path / "out") == before and not cached, "nothing changed: nothing is rendered"
    edit(root / file, old, new)
    after = warm(root, tmp_path / "out")
    assert after == cold(root), f"stale after a {kind} edit"
    assert after != before, f"the {kind} edit changes the output"


@pytest.mark.slow
def test_one_mapping_edited_re_renders_only_its_changed_statements_and_translator(tmp_path, cached, monkeypatch):
    modules = []
    real = python.source_module
    monkeypatch.setattr(python, "source_module", lambda plan, source: modules.append(source.name) or real(plan, source))
    root = copy_project(tmp_path / "project")
    warm(root, tmp_path / "out")
    everything = len(cached)
    assert sorted(modules) == ["chinook", "northwind"]
    cached.clear()
    modules.clear()
    edit(root / EDITS[1][1], EDITS[1][2], EDITS[1][3])
    warm(root, tmp_path / "out")
    assert 0 < len(cached) < everything / 10
    assert modules == ["chinook"]


@pytest.mark.slow
def test_dialects_toolkit_code_and_new_files_are_part_of_the_key(tmp_path, cached, monkeypatch):
    root = copy_project(tmp_path / "project")
    warm(root, tmp_path / "out")
    assert warm(root, tmp_path / "out2", dialect="sqlite") == cold(root, dialect="sqlite")
    # the toolkit's code: another key, another folder, nothing reused
    monkeypatch.setattr(cache, "_CODE_KEY", ["another-toolkit-version"])
    cached.clear()
    assert warm(root, tmp_path / "out") == cold(root) and cached
    # a mapping file removed: the listing of mappings/ is part of the key
    for name in ("northwind.yaml", "northwind.source.yaml"):
        (root / "mappings" / name).unlink()
    assert warm(root, tmp_path / "out") == cold(root)


@pytest.mark.unit
def test_the_code_key_changes_with_any_file_of_the_package(tmp_path, monkeypatch):
    package = tmp_path / "toolkit"
    (package / "dialects").mkdir(parents=True)
    (package / "dialects" / "duckdb.py").write_text("A = 1\n", encoding="utf-8")
    monkeypatch.setattr(cache, "PACKAGE", package)
    monkeypatch.setattr(cache, "_CODE_KEY", [])
    first = cache.code_key()
    (package / "dialects" / "duckdb.py").write_text("A = 2\n", encoding="utf-8")
    monkeypatch.setattr(cache, "_CODE_KEY", [])
    assert cache.code_key() != first


@pytest.mark.slow
def test_a_corrupt_or_deleted_cache_is_recomputed(tmp_path, cached):
    root = copy_project(tmp_path / "project")
    expected = warm(root, tmp_path / "out")
    for path in (root / cache.CACHE_DIR).rglob("*.json"):
        path.write_text("{not json", encoding="utf-8")
    assert warm(root, tmp_path / "out") == expected
    shutil.rmtree(root / cache.CACHE_DIR)
    assert warm(root, tmp_path / "out") == expected
    assert (root / cache.CACHE_DIR / ".gitignore").read_text(encoding="utf-8") == "*\n"
    # the run's record intact, the texts it names (stored under their hashes) changed or gone
    texts = sorted(p for p in (root / cache.CACHE_DIR).rglob("texts/*") if p.is_file())
    assert texts
    for i, path in enumerate(texts):
        path.write_text("tampered\n", encoding="utf-8") if i % 2 else path.unlink()
    assert warm(root, tmp_path / "out") == expected


@pytest.mark.slow
def test_after_an_edit_only_the_texts_that_changed_are_stored_again(tmp_path, cached):
    root = copy_project(tmp_path / "project")
    before = warm(root, tmp_path / "out")
    stored = {p.name for p in (root / cache.CACHE_DIR).rglob("texts/*")}
    assert len(stored) == len(set(before.values()))   # one stored text per distinct file content
    edit(root / EDITS[1][1], EDITS[1][2], EDITS[1][3])
    after = warm(root, tmp_path / "out")
    new = {p.name for p in (root / cache.CACHE_DIR).rglob("texts/*")} - stored
    changed = {rel for rel in after if after[rel] != before.get(rel)}
    assert changed and len(new) == len({after[rel] for rel in changed})


@pytest.mark.unit
def test_library_callers_get_no_cache_unless_the_command_turns_it_on(tmp_path):
    root = copy_project(tmp_path / "project")
    generate(root, ["sql"], out=tmp_path / "out")
    assert not (root / cache.CACHE_DIR).exists()


@pytest.mark.slow
def test_validate_answers_from_the_cache_only_while_nothing_it_read_changed(tmp_path, monkeypatch, capsys):
    """`dict validate` on an unchanged project is answered from .dict-cache/ without loading the plan; after an edit,
    a new policy file or a broken mapping it says what a cold run says, and a failed run is never stored."""
    from toolkit import cli, plan as plan_module

    root = copy_project(tmp_path / "project")
    shutil.copytree(ROOT / "policies", root / "policies")

    def run() -> tuple[int, str, str]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_:
            cli.main(["validate", "--project", str(root), "--format", "json"])
        captured = capsys.readouterr()   # the consoles write to sys.stdout/stderr as they are at each call
        return exit_.value.code, captured.out, captured.err

    def cold() -> tuple[int, str, str]:
        shutil.rmtree(root / cache.CACHE_DIR, ignore_errors=True)
        return run()

    first = cold()
    assert first[0] == 0 and json.loads(first[1])["policies"] == 2
    loads = []
    real = plan_module.load_plan
    monkeypatch.setattr(plan_module, "load_plan", lambda *a, **k: loads.append(1) or real(*a, **k))
    assert run() == first and not loads, "nothing changed: the plan is not loaded"
    # a policy file more: the listing of policies/ is part of the key
    policy = sorted((root / "policies").glob("*.yaml"))[0]
    text = policy.read_text(encoding="utf-8")
    name = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("name:"))
    (root / "policies" / "zz_copy.yaml").write_text(text.replace(f"name: {name}", f"name: {name}_copy", 1),
                                                     encoding="utf-8")
    second = run()
    assert loads and json.loads(second[1])["policies"] == 3 and second == cold()
    # a broken mapping: exit 1 with its problem, every time (a failure is not cached)
    edit(root / EDITS[1][1], EDITS[1][2], "expr: TRIM(NoSuchColumn)")
    broken = run()
    assert broken[0] == 1 and "NoSuchColumn" in broken[1] and run() == broken == cold()


@pytest.mark.slow
def test_lineage_impact_answers_from_the_cache_and_reads_the_translators_on_disk_each_time(tmp_path, monkeypatch,
                                                                                           capsys):
    """`dict lineage impact` on an unchanged project is answered from .dict-cache/ without loading the plan; the
    translators it names are read from generated/python/ as it stands at each run; after a mapping edit, or with
    an unknown node, it says what a cold run says."""
    from toolkit import cli, plan as plan_module

    root = copy_project(tmp_path / "project")
    shutil.copytree(ROOT / "policies", root / "policies")
    shutil.copytree(ROOT / "generated" / "python", root / "generated" / "python")

    def run(node="chinook.Customer.Email", *options) -> tuple[int, str, str]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_:
            cli.main(["lineage", "impact", node, "--project", str(root), *options])
        captured = capsys.readouterr()
        return exit_.value.code, captured.out, captured.err

    def cold(*args) -> tuple[int, str, str]:
        shutil.rmtree(root / cache.CACHE_DIR, ignore_errors=True)
        return run(*args)

    first = cold()
    assert first[0] == 0 and "chinook.Customer in generated/python/chinook.py:" in first[1]
    first_json = cold("chinook.Customer.Email", "--format", "json")
    loads = []
    real = plan_module.load_plan
    monkeypatch.setattr(plan_module, "load_plan", lambda *a, **k: loads.append(1) or real(*a, **k))
    assert run() == first and run("chinook.Customer.Email", "--format", "json") == first_json and not loads
    shutil.rmtree(root / "generated" / "python")
    assert run() == cold() and "translators: none generated" in run()[1]
    loads.clear()
    edit(root / EDITS[1][1], EDITS[1][2], "expr: TRIM(Email) || ' ' || TRIM(LastName)")
    edited = run()
    assert loads and edited == cold() and edited != first
    unknown = run("chinook.Customer.Emial")
    assert unknown[0] == 1 and "did you mean column:chinook.Customer.Email" in unknown[2] and unknown == cold(
        "chinook.Customer.Emial")


@pytest.mark.slow
def test_lineage_upstream_and_downstream_answer_from_the_cache_as_a_cold_run_does(tmp_path, monkeypatch, capsys):
    from toolkit import cli, plan as plan_module

    root = copy_project(tmp_path / "project")

    def run(*args) -> tuple[int, str, str]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_:
            cli.main(["lineage", *args, "--project", str(root)])
        captured = capsys.readouterr()
        return exit_.value.code, captured.out, captured.err

    def cold(*args) -> tuple[int, str, str]:
        shutil.rmtree(root / cache.CACHE_DIR, ignore_errors=True)
        return run(*args)

    queries = [("upstream", "Customer.full_name"), ("downstream", "chinook.Customer.Email"),
               ("upstream", "Customer.full_name", "--format", "json")]
    firsts = [cold(*q) for q in queries]
    for q in queries:
        run(*q)   # fills the cache for each query
    loads = []
    real = plan_module.load_plan
    monkeypatch.setattr(plan_module, "load_plan", lambda *a, **k: loads.append(1) or real(*a, **k))
    assert [run(*q) for q in queries] == firsts and not loads
    assert firsts[0][0] == 0 and "chinook.Customer.FirstName" in firsts[0][1]
    edit(root / EDITS[1][1], EDITS[1][2], "expr: TRIM(Email) || ' ' || TRIM(LastName)")
    edited = run(*queries[0])
    assert loads and edited == cold(*queries[0]) and "chinook.Customer.Email" in edited[1]


PROJECT_EDITS = [
    ("mapping", "mappings/chinook.yaml", "expr: TRIM(FirstName) || ' ' || TRIM(LastName)",
     "expr: TRIM(FirstName) || '  ' || TRIM(LastName)"),
    ("source schema", "mappings/chinook.source.yaml", "      Total:\n        type: NUMERIC(10,2)",
     "      Total:\n        type: NUMERIC(12,2)"),
    ("dictionary", "dictionary/enterprise.yaml", "    minimum_value: 1\n", "    minimum_value: 2\n"),
    ("policy", "policies/address_change_mortgage_offer.yaml", "LOWER(topic) LIKE '%moving%'",
     "LOWER(topic) LIKE '%relocat%'"),
]


@pytest.mark.slow
def test_every_generator_after_each_input_edit_equals_a_cold_run_byte_for_byte(tmp_path, cached):
    """`dict generate all`: each source's parts (SQL files and view texts per dialect, translator, LinkML-Map
    specs) come from the cache when that source's plan did not change; after editing a mapping, a source
    schema, the dictionary or a policy, and adding or removing a mapping, every file equals a cold run's."""
    from toolkit.emit.generate import generator_names

    targets = generator_names()
    root = copy_project(tmp_path / "project", mappings=tuple(
        p.name for p in sorted((ROOT / "mappings").glob("*.yaml")) if not p.name.startswith("chinook.")))
    shutil.copytree(ROOT / "policies", root / "policies")

    def warm_all() -> dict[str, bytes]:
        out = tmp_path / "out"
        if out.exists():
            shutil.rmtree(out)
        generate(root, targets, out=out, dialect=DIALECT)
        return snapshot(out)

    def cold_all() -> dict[str, bytes]:
        files, _owned = render(load_plan(root), targets, dialect=DIALECT)
        return {rel: text.encode("utf-8") for rel, text in files.items()}

    before = warm_all()
    assert before == cold_all()
    for name in ("chinook.yaml", "chinook.source.yaml"):   # a mapping added
        shutil.copy(ROOT / "mappings" / name, root / "mappings" / name)
    steps = [("mapping added", None)] + [(kind, (file, old, new)) for kind, file, old, new in PROJECT_EDITS] + [
        ("mapping removed", None)]
    for kind, change in steps:
        if change is not None:
            edit(root / change[0], change[1], change[2])
        elif kind == "mapping removed":
            for name in ("northwind.yaml", "northwind.source.yaml"):
                (root / "mappings" / name).unlink()
        cached.clear()
        after = warm_all()
        assert after == cold_all(), f"stale after: {kind}"
        assert after != before, f"the {kind} edit changes the output"
        before = after
    cached.clear()
    assert warm_all() == before and not cached, "nothing changed: nothing is rendered"
