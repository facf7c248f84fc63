"""Both sides of a diff: dictionary/ and mappings/ at a git revision, loaded into the model and the plan."""
from __future__ import annotations

import subprocess
from pathlib import Path

from toolkit.analyze.diff.report import Snapshot
from toolkit.core.errors import DictError, Problem
from toolkit.load.dictionary import load_dictionary
from toolkit.load.mapping import MappingSpec, load_mapping
from toolkit.load.source_schema import SourceSchema, load_source_schema
from toolkit.plan import Project, build_plan


def _git(root: Path, *args: str) -> bytes:
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, check=True)
    except FileNotFoundError:
        raise DictError(Problem(str(root), 1, "git is not installed", "dict diff reads the revision with git")) from None
    except subprocess.CalledProcessError as exc:
        detail = exc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DictError(Problem(f"git {args[0]}", 1, detail[-1] if detail else f"git {' '.join(args)} failed")) from None
    return result.stdout


def default_base(root: Path) -> str:
    """The merge base of HEAD with main (or origin/main, master, origin/master)."""
    for branch in ("main", "origin/main", "master", "origin/master"):
        try:
            _git(root, "rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}")
        except DictError:
            continue
        return _git(root, "merge-base", "HEAD", branch).decode().strip()
    raise DictError(Problem(str(root), 1, "no branch main (or master) to compare with",
                            "name a revision: dict diff REV (e.g. origin/main or HEAD~1)"))


def export_revision(root: Path, rev: str, into: Path) -> str:
    """Write dictionary/ and mappings/ of ``root`` at ``rev`` into ``into``; return the commit id."""
    root = root.resolve()
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    listing = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", f"{prefix}dictionary", f"{prefix}mappings")
    for entry in filter(None, listing.split(b"\0")):
        meta, path = entry.split(b"\t", 1)
        mode, kind, _blob = meta.split()
        if kind != b"blob" or mode == b"120000":   # no submodules or symlinks
            continue
        full = path.decode("utf-8")
        target = into / full[len(prefix):]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_git(root, "cat-file", "blob", f"{commit}:{full}"))
    return commit


def load_snapshot(root: Path, label: str) -> Snapshot:
    """Everything of ``root`` that loads; what does not is kept as problems."""
    project = Project(root)
    problems: list[Problem] = []
    dictionary = None
    if project.dictionary_dir.is_dir():
        try:
            dictionary = load_dictionary(project.dictionary_dir, root)
        except DictError as err:
            problems.extend(err.problems)
    else:
        problems.append(Problem("dictionary", 1, f"no dictionary/ folder in {label}"))
    mappings: dict[str, MappingSpec] = {}
    schemas: dict[str, SourceSchema] = {}
    unreadable = set()
    pairs = []
    for path in project.mapping_files() if project.mappings_dir.is_dir() else []:
        display = project.display(path)
        try:
            spec = load_mapping(path, display, root)
            schema_path = spec.source_schema_path(root)
            schema = load_source_schema(schema_path, project.display(schema_path), root) if schema_path.exists() else None
        except DictError as err:
            problems.extend(err.problems)
            unreadable.add(display)
            continue
        mappings.setdefault(spec.source, spec)
        if schema is not None:
            schemas[spec.source] = schema
            pairs.append((spec, schema))
        else:
            problems.append(Problem(display, 1, f"source schema of '{spec.source}' not found"))
    plan = None
    if dictionary is not None and not problems:
        try:
            plan = build_plan(dictionary, pairs)
        except DictError as err:
            problems.extend(err.problems)
    return Snapshot(label, root, dictionary, mappings, schemas, plan, tuple(problems), frozenset(unreadable))
