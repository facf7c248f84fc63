"""A content-addressed regeneration cache in <project>/.dict-cache/, so `dict generate` and `dict check`
redo only what changed (and `dict validate` answers at once for a project it validated before).

Two levels, both keyed by the bytes of what they depend on, never by times:

- a **run**: the files a `generate`/`check` renders, keyed by the toolkit's own code (every file of the
  package, and sqlglot's version), the options (targets, dialects) and the bytes of every file the plan was
  read from (the loader reports each file it reads), plus the names of the files under dictionary/,
  mappings/ and policies/ (a new mapping or policy changes the plan). Nothing changed: no plan is even
  loaded. Each file's text is stored once under its own hash (``texts/``), so a run after an edit writes
  only the texts that changed. `dict validate` stores what it reports about a valid project the same way.
- a **source's part**: what one generator renders from one source alone (its SQL file and view texts per
  dialect, its translator module, its LinkML-Map specs), keyed by the repr of the source's plan (every field
  of every derivation, table, column and target class it reaches) and whatever else the part reads, so that
  after editing one mapping the other sources' parts are neither built nor rendered again.
- a **statement**: each SQL statement's text per dialect, keyed by the fingerprint of its neutral tree
  (every node, argument and recorded type) and the dialect, under the toolkit's code key. Editing one
  mapping re-renders only the statements whose tree changed.

Deleting the folder is always safe: everything is recomputed. A cache that cannot be read or written
(read-only project, corrupt file) is ignored. Only the `dict` command turns the cache on
(``enable()`` in ``cli.main``; DICT_CACHE=0 turns it off), so library callers and tests see no cache
unless they ask for it.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Callable, Iterator, Mapping

CACHE_DIR = ".dict-cache"
PACKAGE = Path(__file__).resolve().parents[1]
FORMAT = "1"

_state: dict[str, object] = {"enabled": False, "root": None}
_statements: dict[str, dict[str, str]] = {}     # dialect -> fingerprint -> text, loaded from the project
_used: dict[str, dict[str, str]] = {}           # the entries this run used or made (what is written back)


def enable(on: bool = True) -> None:
    _state["enabled"] = on and os.environ.get("DICT_CACHE", "1") != "0"


def enabled() -> bool:
    return bool(_state["enabled"])


_CODE_KEY: list[str] = []


def code_key() -> str:
    """Hash of the toolkit's code and data files and of the libraries that shape the output."""
    if not _CODE_KEY:
        from importlib.metadata import version   # not importing them: a warm run never loads sqlglot

        libraries = "|".join(f"{name}={version(name)}" for name in ("sqlglot", "jinja2", "networkx", "pyyaml"))
        digest = hashlib.sha256(f"{FORMAT}|{sys.version_info[:2]}|{libraries}".encode())
        for path in sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        _CODE_KEY.append(digest.hexdigest()[:32])
    return _CODE_KEY[0]


def _folder(root: Path) -> Path:
    return root / CACHE_DIR / code_key()


def _write(path: Path, data: dict) -> None:
    """Atomically, and quietly not at all where the project cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = next(p for p in path.parents if p.name == CACHE_DIR) / ".gitignore"
        if not ignore.exists():   # the cache never shows up in `git status`, whatever the project ignores
            ignore.write_text("*\n", encoding="utf-8")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# ---------------------------------------------------------------------------- runs

def _listing(root: Path) -> list[str]:
    """Names of the files under dictionary/, mappings/ and policies/: a file added or removed changes the plan."""
    names = []
    for folder in ("dictionary", "mappings", "policies", "runs"):   # runs/: the run record the docs chart
        base = root / folder
        if base.is_dir():
            names += sorted(p.relative_to(root).as_posix() for p in base.rglob("*") if p.is_file())
    return names


def _digest(inputs: dict[str, str], listing: list[str]) -> str:
    return hashlib.sha256(json.dumps([sorted(inputs.items()), listing]).encode()).hexdigest()


def _current(root: Path, inputs: dict[str, str]) -> dict[str, str] | None:
    """The hashes of the recorded input files as they are now (None when one is gone)."""
    now = {}
    for rel in inputs:
        try:
            now[rel] = hashlib.sha256((root / rel).read_bytes()).hexdigest()
        except OSError:
            return None
    return now


def cached_run(root: Path, options: dict, compute: Callable[[], tuple[dict[str, str], tuple[str, ...], object]]
               ) -> tuple[Mapping[str, str], tuple[str, ...], object]:
    """``compute()`` (files, owned folders, some JSON-able facts about them) of a generate/check run, or its
    cached result when neither the toolkit, nor ``options``, nor any file the plan is read from has changed
    since it was stored."""
    if not enabled():
        return compute()
    root = root.resolve()
    key = hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()[:32]
    path = _folder(root) / "runs" / f"{key}.json"
    stored = _read(path)
    listing = _listing(root)
    if stored and isinstance(stored.get("inputs"), dict) and isinstance(stored.get("files"), dict):
        now = _current(root, stored["inputs"])
        if now is not None and _digest(now, listing) == stored.get("digest"):
            return (StoredFiles(stored["files"], _folder(root) / "texts", compute), tuple(stored["owned"]),
                    stored.get("info"))
    with opened(root), _reading() as inputs:
        files, owned, info = compute()
    relative = {}
    for file, digest in inputs.items():
        try:
            relative[file.resolve().relative_to(root).as_posix()] = digest
        except ValueError:       # read from outside the project: cannot be keyed here, so not stored
            return files, owned, info
    digests = {}
    for rel, text in files.items():
        data = text.encode("utf-8")
        digests[rel] = _sha(data)
        _write_blob(_folder(root) / "texts" / digests[rel], data)
    _write(path, {"inputs": relative, "digest": _digest(relative, listing), "owned": list(owned), "info": info,
                  "files": digests})
    return files, owned, info


def _write_blob(path: Path, data: bytes) -> None:
    """A run's file text under its own hash, written once: after an edit only the texts that changed are new."""
    if path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class StoredFiles(Mapping):
    """A cached run's files: their names and hashes at once, each text (stored under its hash) only when
    asked for, so `dict check` with nothing changed compares hashes and reads no texts."""

    def __init__(self, digests: dict[str, str], texts: Path, compute: Callable):
        self._digests, self._texts_folder, self._compute = digests, texts, compute
        self._texts: dict | None = None

    def __iter__(self):
        return iter(self._digests)

    def __len__(self) -> int:
        return len(self._digests)

    def __getitem__(self, rel: str) -> str:
        if self._texts is not None:
            return self._texts[rel]
        try:
            data = (self._texts_folder / self._digests[rel]).read_bytes()
            if _sha(data) == self._digests[rel]:
                return data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            pass
        self._texts = dict(self._compute()[0])   # the text went missing or was changed: render them all again
        return self._texts[rel]

    def matches(self, rel: str, data: bytes) -> bool:
        return self._digests[rel] == _sha(data)


def same_content(files: Mapping[str, str], rel: str, data: bytes) -> bool:
    """Whether ``data`` is what ``files`` holds at ``rel`` (by hash for a cached run's files)."""
    if isinstance(files, StoredFiles):
        return files.matches(rel, data)
    return files[rel].encode("utf-8") == data


@contextlib.contextmanager
def _reading() -> Iterator[dict[Path, str]]:
    """Every file the YAML loader reads meanwhile, with the hash of the bytes it read."""
    from toolkit.load.yamlsource import READ_WATCHERS

    seen: dict[Path, str] = {}

    def watch(path, data: bytes) -> None:
        seen[Path(path)] = hashlib.sha256(data).hexdigest()

    READ_WATCHERS.append(watch)
    try:
        yield seen
    finally:
        READ_WATCHERS.remove(watch)


# ---------------------------------------------------------------------------- statements

@contextlib.contextmanager
def opened(root: Path) -> Iterator[None]:
    """Statement texts of ``root``'s cache are used and kept while the block runs, then written back (a
    command that renders SQL outside a generate/check run, such as `dict lineage verify`, opens it itself)."""
    if not enabled() or _state["root"] is not None:
        yield
        return
    _state["root"] = root
    _statements.clear()
    _used.clear()
    try:
        yield
        for dialect, entries in _used.items():
            _write(_folder(root) / "sql" / f"{dialect}.json", entries)
    finally:
        _state["root"] = None
        _statements.clear()
        _used.clear()


def _known(root: Path, dialect: str) -> dict[str, str]:
    """The statement texts of ``dialect`` stored in ``root``'s cache (fingerprint -> text)."""
    known = _statements.get(dialect)
    if known is None:
        known = _statements[dialect] = {k: v for k, v in (_read(_folder(root) / "sql" / f"{dialect}.json")
                                                          or {}).items() if isinstance(v, str)}
    return known


def keep_statements(dialect: str, texts: list[str]) -> None:
    """Keep the stored statements rendering to ``texts`` (a source's texts taken whole from the cache, so its
    trees were not built or fingerprinted this run): the statement cache holds what the current plan renders,
    and editing that source later re-renders only its statements whose tree changed."""
    root = _state["root"]
    if root is None or not texts:
        return
    wanted = set(texts)
    used = _used.setdefault(dialect, {})
    for key, text in _known(root, dialect).items():
        if text in wanted:
            used[key] = text


def cached_render(jobs: list, render: Callable[[list], list[str]]) -> list[str]:
    """``render(jobs)`` for (dialect, statement) jobs, taking the texts of trees rendered before from the
    statement cache when one is open."""
    root = _state["root"]
    if root is None or not jobs:
        return render(jobs)
    from toolkit.core.fingerprint import fingerprint

    keys: dict[int, str] = {}
    for _dialect, stmt in jobs:
        if id(stmt) not in keys:
            keys[id(stmt)] = fingerprint(stmt)
    out: list[str | None] = []
    missing = []
    for i, (dialect, stmt) in enumerate(jobs):
        text = _known(root, dialect.name).get(keys[id(stmt)])
        out.append(text)
        if text is None:
            missing.append(i)
    for i, text in zip(missing, render([jobs[i] for i in missing])):
        out[i] = text
    for (dialect, stmt), text in zip(jobs, out):
        _used.setdefault(dialect.name, {})[keys[id(stmt)]] = text
        _statements[dialect.name][keys[id(stmt)]] = text
    return out   # type: ignore[return-value]


# ---------------------------------------------------------------------------- whole texts

def cached_text(kind: str, inputs: str, compute: Callable[[], str]) -> str:
    """``compute()``, or the text it gave before for the same ``inputs`` (the complete description of what it
    reads, e.g. the repr of a source's plan) under the same toolkit code, when a cache is open."""
    root = _state["root"]
    if root is None:
        return compute()
    path = _folder(root) / kind / f"{_sha(inputs.encode('utf-8'))}.json"
    stored = _read(path)
    if stored is not None and isinstance(stored.get("text"), str):
        return stored["text"]
    text = compute()
    _write(path, {"text": text})
    return text


def cached_texts(kind: str, inputs: str, compute: Callable[[], list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """``cached_text`` for several named texts at once, in order (one source's files or statement texts):
    ``compute()``, or what it gave before for the same ``inputs`` under the same toolkit code, when a cache is
    open."""
    found = stored_texts(kind, inputs)
    if found is not None:
        return found
    texts = compute()
    store_texts(kind, inputs, texts)
    return texts


def stored_texts(kind: str, inputs: str) -> list[tuple[str, str]] | None:
    """What ``store_texts`` kept for ``inputs`` under the same toolkit code, when a cache is open."""
    root = _state["root"]
    if root is None:
        return None
    stored = _read(_folder(root) / kind / f"{_sha(inputs.encode('utf-8'))}.json")
    texts = stored.get("texts") if stored is not None else None
    if isinstance(texts, list) and all(isinstance(t, list) and len(t) == 2 and all(isinstance(x, str) for x in t)
                                       for t in texts):
        return [(name, text) for name, text in texts]
    return None


def store_texts(kind: str, inputs: str, texts: list[tuple[str, str]]) -> None:
    root = _state["root"]
    if root is not None:
        _write(_folder(root) / kind / f"{_sha(inputs.encode('utf-8'))}.json", {"texts": [list(t) for t in texts]})


def source_repr(plan, source) -> str:
    """The repr of ``source``'s plan, once per plan: the key of what a generator renders from that source
    alone (it holds every field of every derivation, table, column and target class the source reaches)."""
    from toolkit.core.memo import per_plan

    return per_plan(plan, f"cache.source.{source.name}", lambda: repr(source))


class Entries:
    """JSON-able facts stored under keys in one file of the cache (see ``entries``)."""

    def __init__(self, stored: dict):
        self._stored, self.used, self.added = stored, {}, False

    def get(self, key: str):
        value = self._stored.get(key)
        if value is not None:
            self.used[key] = value
        return value

    def set(self, key: str, value) -> None:
        self.used[key] = value
        self.added = True


@contextlib.contextmanager
def entries(root: Path | None, kind: str, name: str) -> Iterator[Entries]:
    """The facts of ``kind`` kept in ``root``'s cache under ``name`` (e.g. the lineage of each view text, per
    dialect), each under a key that is the hash of everything it depends on. After the block the file holds the
    entries read or set meanwhile (what the current project uses), when something was added or dropped. With
    the cache off or no project: an empty store that keeps nothing."""
    if root is None or not enabled():
        yield Entries({})
        return
    path = _folder(root.resolve()) / kind / f"{name}.json"
    stored = _read(path) or {}
    store = Entries(stored)
    yield store
    if store.added or len(store.used) != len(stored):   # something new, or entries no longer used
        _write(path, store.used)


def caching() -> bool:
    """Whether a cache is open (a run of a command that turned it on is being computed)."""
    return _state["root"] is not None
