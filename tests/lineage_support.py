"""Built-once artefacts the lineage, docs and browser tests share (one build per test process)."""
from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared")).resolve()
OPENLINEAGE_SPECS = SHARED / "specs" / "openlineage"
ARTIFACTS = ROOT / "tests" / "artifacts"


@lru_cache(maxsize=None)
def plan():
    from toolkit.plan import load_plan

    return load_plan(ROOT)


@lru_cache(maxsize=None)
def graph():
    from toolkit.emit.graph import build_lineage

    return build_lineage(plan())


@lru_cache(maxsize=None)
def lineage_files() -> dict[str, str]:
    from toolkit.emit.lineage import lineage_files as build

    return build(plan(), graph())


@lru_cache(maxsize=None)
def docs_files() -> dict[str, str]:
    from toolkit.emit.docs import site_files

    return site_files(plan(), graph())


@lru_cache(maxsize=None)
def docs_site() -> Path:
    """The freshly built docs site written to a temporary folder (what the browser opens)."""
    folder = Path(tempfile.mkdtemp(prefix="dict-docs-"))
    for rel, text in docs_files().items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return folder / "docs"


def artifacts() -> Path:
    """tests/artifacts/, ignored by git through its own .gitignore."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n", encoding="utf-8")
    return ARTIFACTS
