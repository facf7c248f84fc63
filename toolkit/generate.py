"""What `dict generate` writes: every generator's files from one plan."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from . import dialects
from .mapping import LANGUAGE_SCHEMA
from .output import write_generated
from .plan import Plan, load_plan

# Generator name -> (files it produces from a plan and options, folders it owns under generated/).
GENERATORS: dict[str, Callable[..., dict[str, str]]] = {}


def generator(name: str):
    def register(fn):
        GENERATORS[name] = fn
        return fn
    return register


def dialect_names(dialect: str) -> list[str]:
    return dialects.names() if dialect == "all" else [d.strip() for d in dialect.split(",") if d.strip()]


@generator("sql")
def _sql(plan: Plan, dialect: str = "duckdb", **_) -> dict[str, str]:
    from .generators.sql import generate_sql

    files = {"mapping-language.schema.json": LANGUAGE_SCHEMA.read_text(encoding="utf-8")}
    for name in dialect_names(dialect):
        files.update(generate_sql(plan, dialects.get(name)))
    return files


def owned_dirs(target: str, dialect: str = "duckdb") -> tuple[str, ...]:
    if target == "sql":
        return tuple(f"sql/{d}" for d in dialect_names(dialect))
    return (target,)


def generate(root: Path, targets: list[str], out: Path | None = None, plan: Plan | None = None, **options) -> list[str]:
    """Regenerate ``targets`` into ``out`` (default <root>/generated) atomically; returns changed files."""
    for t in targets:
        if t not in GENERATORS:
            raise KeyError(t)
    plan = plan or load_plan(root)
    files: dict[str, str] = {}
    owned: list[str] = []
    for t in targets:
        files.update(GENERATORS[t](plan, **options))
        owned.extend(owned_dirs(t, options.get("dialect", "duckdb")))
    return write_generated(out or root / "generated", files, tuple(owned), _fail_after=options.get("_fail_after"))
