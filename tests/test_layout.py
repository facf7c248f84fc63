"""The package's folders are the pipeline in order, and imports point only down it."""
import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[1] / "toolkit"
# bottom to top: a module may import from its own folder and from folders before it, never after
LAYERS = ("core", "load", "expressions", "dialects", "plan", "emit", "analyze", "run", "cli")


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").startswith("toolkit"):
            parts = node.module.split(".")
            if len(parts) == 1:
                yield from ((node.lineno, a.name) for a in node.names)
            else:
                yield node.lineno, parts[1]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("toolkit."):
                    yield node.lineno, a.name.split(".")[1]


def test_the_top_of_the_package_is_the_pipeline():
    entries = sorted(p.name for p in PACKAGE.iterdir() if p.name != "__pycache__")
    assert entries == sorted(("__init__.py",) + LAYERS)


def test_imports_point_only_down_the_pipeline():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if len(rel.parts) < 2 or "templates" in rel.parts:
            continue
        layer = LAYERS.index(rel.parts[0])
        for line, target in _imports(path):
            if target in LAYERS and LAYERS.index(target) > layer:
                wrong.append(f"toolkit/{rel.as_posix()}:{line} imports toolkit.{target}")
    assert not wrong, "\n".join(wrong)


def test_no_relative_imports_reach_outside_a_folder():
    """Imports between folders are absolute (``from toolkit.plan import ...``): a move shows in every importer."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if "templates" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.level == 1, f"{path}:{node.lineno}: relative import above its own folder"
