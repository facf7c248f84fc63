"""A file system that refuses (read-only, full, permission denied, a file where a folder should be) makes every
writing command fail with ONE line naming the file and the reason, exit code 1 and no traceback, and leaves the
project exactly as it was: the previous generated/ whole, no staging folder or temporary file, no half-built estate.

Tests run as root, where chmod stops nothing: faults are injected at the operating-system calls Python makes
(``FileSystemFault``), and, where the machine allows, by real means: a file-size limit on a child process (EFBIG),
and a tiny or read-only tmpfs mount.
"""
from __future__ import annotations

import builtins
import errno
import io
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import CHINOOK
from hostile_project import HOSTILE, SOURCE, TABLE, not_mysql, write_project

NOT_MYSQL = not_mysql()
from projects import snapshot
from toolkit.core import output
from toolkit.cli import app
from toolkit.core.output import OutputError, write_file_atomic, write_generated

ROOT = Path(__file__).resolve().parents[1]
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class _FullFile:
    """A file opened on a full disk: it exists, but nothing can be written into it."""

    def __init__(self, real, fault: "FileSystemFault"):
        self._real = real
        fault.full_fds.add(real.fileno())

    def write(self, _data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    writelines = write

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._real.close()

    def __getattr__(self, name):
        return getattr(self._real, name)


class FileSystemFault:
    """Make the file system holding ``folder`` behave as read-only (EROFS), denied (EACCES) or full (ENOSPC)
    for every Python-level call that creates, changes or removes something in it. A read-only or denied folder
    also cannot be renamed or exchanged (as a mount point: EBUSY)."""

    def __init__(self, monkeypatch, folder: Path, kind: str):
        self.folder, self.kind = Path(os.path.abspath(folder)), kind
        self.code = {"read-only": errno.EROFS, "permission-denied": errno.EACCES, "disk-full": errno.ENOSPC}[kind]
        self.full_fds: set[int] = set()
        self.real = {name: getattr(os, name) for name in ("mkdir", "open", "replace", "rename", "unlink", "remove",
                                                          "rmdir", "chmod", "sendfile")}
        self.real_open, self.real_exchange = io.open, output._exchange
        for name in ("mkdir", "replace", "rename", "unlink", "remove", "rmdir", "chmod"):
            monkeypatch.setattr(os, name, self._guarded(name))
        monkeypatch.setattr(os, "open", self._os_open)
        monkeypatch.setattr(os, "sendfile", self._sendfile)
        monkeypatch.setattr(io, "open", self._open)
        monkeypatch.setattr(builtins, "open", self._open)
        monkeypatch.setattr(output, "_exchange", self._exchange)

    def inside(self, path) -> bool:
        if isinstance(path, int):
            return False
        p = Path(os.path.abspath(os.fsdecode(path)))
        return p == self.folder or self.folder in p.parents

    def _refuse(self, path, code: int | None = None):
        code = code or self.code
        raise OSError(code, os.strerror(code), os.fsdecode(path))

    def _guarded(self, name):
        real = self.real[name]

        def call(path, *args, **kwargs):
            others = [a for a in args if isinstance(a, (str, bytes, os.PathLike))]
            if "dir_fd" not in kwargs and any(self.inside(p) for p in [path, *others]):
                if self.kind != "disk-full":
                    if name in ("replace", "rename") and self.folder in (Path(os.path.abspath(p)) for p in [path, *others]):
                        self._refuse(self.folder, errno.EBUSY)
                    self._refuse(path)
            return real(path, *args, **kwargs)
        return call

    def _os_open(self, path, flags, *args, **kwargs):
        if flags & _WRITE_FLAGS and "dir_fd" not in kwargs and self.inside(path) and self.kind != "disk-full":
            self._refuse(path)
        fd = self.real["open"](path, flags, *args, **kwargs)
        if flags & _WRITE_FLAGS and self.inside(path):
            self.full_fds.add(fd)
        return fd

    def _open(self, file, mode="r", *args, **kwargs):
        writing = any(c in mode for c in "wax+")
        if writing and self.inside(file) and self.kind != "disk-full":
            self._refuse(file)
        real = self.real_open(file, mode, *args, **kwargs)
        if writing and (self.inside(file) or (isinstance(file, int) and file in self.full_fds)):
            return _FullFile(real, self)
        return real

    def _sendfile(self, out_fd, in_fd, offset, count):
        if out_fd in self.full_fds:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.real["sendfile"](out_fd, in_fd, offset, count)

    def _exchange(self, a: Path, b: Path) -> bool:
        if self.kind != "disk-full" and (self.inside(a) or self.inside(b)):
            self._refuse(b, errno.EBUSY if self.folder in (Path(a), Path(b)) else self.code)
        return self.real_exchange(a, b)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """The hostile project (small, every generator runs on it) with generated/ and a source schema written."""
    root = write_project(tmp_path_factory.mktemp("faults"))
    result = CliRunner().invoke(app, ["generate", "all", "--project", str(root)])
    assert result.exit_code == 0, result.output
    for path in (root / "generated").rglob("*"):   # out of date, so every generator has something to write
        if path.is_file():
            path.write_bytes(path.read_bytes() + b"\n")
    (root / "mappings" / "chinook.source.yaml").write_text("# previous import, kept whole\n", encoding="utf-8")
    (root / "demo" / "generated").mkdir(parents=True)
    (root / "demo" / "generated" / "from-the-last-demo.txt").write_text("kept\n", encoding="utf-8")
    return root


@pytest.fixture()
def project(base, tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(base, root)
    return root


def everything(root: Path) -> dict[str, bytes]:
    """Every file and folder under ``root`` (folders as b"/"), so an empty staging folder left behind shows;
    the regeneration cache aside."""
    found = snapshot(root)
    found.update({p.relative_to(root).as_posix() + "/": b"/" for p in root.rglob("*") if p.is_dir()})
    # the regeneration cache a `dict` process keeps is no project data (safe to delete, never read as output)
    return {rel: data for rel, data in found.items() if not rel.startswith(".dict-cache/")}


def run(args: list[str], project: Path):
    return CliRunner().invoke(app, [*args, "--project", str(project)])


def assert_one_line_failure(result, *expected: str) -> str:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), f"unexpected exception: {result.exception!r}"
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("dict:") or line.startswith("error")]
    last = result.output.rstrip("\n").splitlines()[-1]
    assert len(lines) == 1 and last in (lines[0], "1 problem(s); nothing was written."), result.output
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


# (case id, command, the folder whose file system refuses: {fault: folder relative to the project})
COMMANDS = [
    ("generate-sql", ["generate", "sql"], {}),
    ("generate-all", ["generate", "all", "--dialect", NOT_MYSQL], {}),
    ("generate-docs", ["generate", "docs"], {}),
    ("generate-lineage", ["generate", "lineage"], {}),
    ("generate-python", ["generate", "python"], {}),
    ("generate-ddl", ["generate", "ddl"], {}),
    ("generate-out", ["generate", "sql", "--out", "{root}/elsewhere/out"], {"*": "elsewhere"}),
    ("export-linkml-map", ["export", "linkml-map"], {}),
    ("import-source", ["import-source", "chinook", "--from", str(CHINOOK)], {"*": "mappings"}),
    ("demo", ["demo", "--workdir", "{root}/demo"], {"read-only": "demo/generated", "permission-denied": "demo/generated",
                                                    "disk-full": "demo"}),
]
FAULTS = {"read-only": ("Read-only file system", "Device or resource busy"), "disk-full": ("No space left on device",),
          "permission-denied": ("Permission denied", "Device or resource busy")}
CASES = [pytest.param(args, where.get(fault, where.get("*", ".")), fault, id=f"{case}-{fault}")
         for case, args, where in COMMANDS for fault in FAULTS]


@pytest.mark.parametrize("args, folder, fault", CASES)
def test_a_refusing_file_system_gives_one_line_exit_1_and_changes_nothing(project, monkeypatch, args, folder, fault):
    if "generate" in args and "out" in " ".join(args):
        (project / "elsewhere" / "out").mkdir(parents=True)
        (project / "elsewhere" / "out" / "previous.sql").write_text("-- previous\n", encoding="utf-8")
    args = [a.replace("{root}", str(project)) for a in args]
    before = everything(project)
    FileSystemFault(monkeypatch, project / folder, fault)

    result = run(args, project)
    monkeypatch.undo()

    line = assert_one_line_failure(result, "dict: cannot write ")
    assert any(reason in line for reason in FAULTS[fault]), line
    assert line.endswith("is unchanged") or "nothing was written" in line, line
    after = everything(project)
    assert sorted(set(after) - set(before)) == [], "left behind"
    assert sorted(set(before) - set(after)) == [], "removed"
    assert after == before


def test_a_read_only_project_root_creates_no_generated_folder(project, monkeypatch):
    shutil.rmtree(project / "generated")
    before = everything(project)
    FileSystemFault(monkeypatch, project, "read-only")
    result = run(["generate", "all"], project)
    monkeypatch.undo()
    assert_one_line_failure(result, f"dict: cannot write {project / 'generated'}: Read-only file system; nothing was written")
    assert everything(project) == before


def test_generated_as_a_mount_point_that_cannot_be_renamed_says_so(project, monkeypatch):
    before = everything(project)
    real = output._exchange

    def busy(a, b):
        if Path(b) == (project / "generated").resolve():
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(b))
        return real(a, b)

    monkeypatch.setattr(output, "_exchange", busy)
    result = run(["generate", "sql"], project)
    assert_one_line_failure(result, "Device or resource busy", "is it a mount point? write elsewhere with --out",
                            "generated/ is unchanged")
    assert everything(project) == before


@pytest.mark.unit
@pytest.mark.parametrize("where", ["out-is-a-file", "generated-is-a-file", "out-parent-is-a-file"])
def test_a_file_where_the_output_folder_should_be(tmp_path, where):
    project = tmp_path / "p"
    (project / "dictionary").mkdir(parents=True)
    if where == "generated-is-a-file":
        (project / "generated").write_text("not a folder\n")
        target = project / "generated"
    elif where == "out-is-a-file":
        target = tmp_path / "out.txt"
        target.write_text("not a folder\n")
    else:
        (tmp_path / "file").write_text("not a folder\n")
        target = tmp_path / "file" / "out"
    before = everything(tmp_path)
    with pytest.raises(OutputError) as caught:
        write_generated(target, {"sql/a.sql": "select 1;\n"}, ("sql",))
    message = str(caught.value)
    assert "\n" not in message and message.startswith("cannot write ")
    assert "Not a directory (a file stands where a folder is needed)" in message or "File exists (a file" in message, message
    assert everything(tmp_path) == before


@pytest.mark.unit
def test_import_source_into_a_mappings_file_and_demo_into_a_file_are_one_line(project):
    shutil.rmtree(project / "mappings")
    (project / "mappings").write_text("a file\n")
    result = run(["import-source", "chinook", "--from", str(CHINOOK)], project)
    assert_one_line_failure(result, "cannot write", "a file stands where a folder is needed")
    (project / "workdir").write_text("a file\n")
    result = run(["demo", "--workdir", str(project / "workdir")], project)
    assert_one_line_failure(result, "File exists (a file stands where a folder is needed)")
    assert (project / "workdir").read_text() == "a file\n"


def test_materialize_into_a_duckdb_file_under_a_file_is_one_line(project):
    data = project / "hostile.sqlite"
    with sqlite3.connect(data) as con:
        columns = ", ".join('"' + name.replace('"', '""') + '" VARCHAR(10)' for _case, name in HOSTILE)
        con.execute(f'CREATE TABLE "{TABLE}" (Id INTEGER PRIMARY KEY, {columns})')
        con.execute(f'INSERT INTO "{TABLE}" (Id) VALUES (1)')
    con.close()
    (project / "blocker").write_text("a file\n")
    before = everything(project)
    result = run(["materialize", "--target", f"duckdb:{project / 'blocker' / 'canonical.duckdb'}",
                  "--data", f"{SOURCE}={data}"], project)
    assert_one_line_failure(result, "dict: ", "canonical.duckdb")
    assert everything(project) == before


@pytest.mark.unit
@pytest.mark.parametrize("fault", ["disk-full", "read-only", "permission-denied"])
def test_write_file_atomic_keeps_the_previous_file_whole(tmp_path, monkeypatch, fault):
    path = tmp_path / "dir" / "schema.yaml"
    path.parent.mkdir()
    path.write_text("previous\n")
    FileSystemFault(monkeypatch, tmp_path / "dir", fault)
    with pytest.raises(OutputError) as caught:
        write_file_atomic(path, "new\n" * 1000)
    monkeypatch.undo()
    reason = {"disk-full": "No space left on device", "read-only": "Read-only file system",
              "permission-denied": "Permission denied"}[fault]
    assert str(caught.value) == f"cannot write {path}: {reason}; {path} is unchanged"
    assert sorted(p.name for p in path.parent.iterdir()) == ["schema.yaml"] and path.read_text() == "previous\n"


# ---------------------------------------------------------------------- inputs the environment refuses

@pytest.mark.unit
@pytest.mark.parametrize("folder", ["mappings", "dictionary"])
def test_an_unreadable_input_folder_is_an_error_not_an_empty_folder(project, monkeypatch, folder):
    real = os.scandir

    def denied(path="."):
        if Path(os.fsdecode(path)).name == folder:
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", denied)
    before = everything(project)
    result = run(["generate", "sql"], project)
    assert_one_line_failure(result, f"{folder}", "cannot read folder: Permission denied")
    assert everything(project) == before   # generated/sql is not replaced by the SQL of "no mappings"


def deny_reading(monkeypatch, denied) -> None:
    """Opening a file whose path satisfies ``denied`` fails with EACCES, as an unreadable file would."""
    real = io.open

    def opener(file, mode="r", *args, **kwargs):
        if not isinstance(file, int) and denied(os.fsdecode(file)):
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(file))
        return real(file, mode, *args, **kwargs)

    real_os_open = os.open

    def os_opener(path, flags, *args, **kwargs):   # the YAML loader opens with os.open (O_NONBLOCK: no FIFO hangs)
        if not flags & (os.O_WRONLY | os.O_RDWR) and denied(os.fsdecode(path)):
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(io, "open", opener)
    monkeypatch.setattr(builtins, "open", opener)
    monkeypatch.setattr(os, "open", os_opener)


@pytest.mark.unit
@pytest.mark.parametrize("rel", ["dictionary/hostile.yaml", "mappings/hostile.yaml", "mappings/hostile.source.yaml"])
def test_an_unreadable_input_file_is_a_file_line_error(project, monkeypatch, rel):
    denied_path = (project / rel).resolve()
    deny_reading(monkeypatch, lambda path: Path(os.path.abspath(path)) == denied_path)
    result = run(["validate"], project)
    assert_one_line_failure(result, "cannot read file: Permission denied")
    assert result.output.count("problem(s)") == 1


@pytest.mark.unit
def test_an_unreadable_import_source_input_is_one_line(project, monkeypatch):
    source = project / "legacy.sqlite"
    shutil.copy(CHINOOK, source)
    before = everything(project)
    deny_reading(monkeypatch, lambda path: Path(path).name == "legacy.sqlite")
    result = run(["import-source", "legacy", "--from", str(source)], project)
    monkeypatch.undo()
    assert_one_line_failure(result, "legacy.sqlite: Permission denied")
    assert everything(project) == before


# ---------------------------------------------------------------------- real faults, real processes

def _limit_file_size(limit: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_file_size_limit_in_a_real_process_is_one_line_and_changes_nothing(project):
    before = everything(project)
    result = subprocess.run([sys.executable, "-m", "toolkit.cli", "generate", "all", "--project", str(project)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, preexec_fn=_limit_file_size(4096))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("dict: cannot write "), result.stderr
    assert "File too large" in result.stderr and result.stderr.rstrip().endswith("generated/ is unchanged")
    assert everything(project) == before


@pytest.fixture()
def tiny_mount(tmp_path):
    """A 256 kB tmpfs (only where this process may mount: root in a privileged container); unmounted after."""
    point = tmp_path / f"mnt-{uuid.uuid4().hex[:8]}"
    point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()}); the simulated faults cover this")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_a_real_full_disk_and_a_real_read_only_mount(tiny_mount, base):
    for folder in ("dictionary", "mappings"):
        shutil.copytree(base / folder, tiny_mount / folder)
    ok = subprocess.run([sys.executable, "-m", "toolkit.cli", "generate", "sql", "--project", str(tiny_mount)],
                        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    before = everything(tiny_mount)
    full = subprocess.run([sys.executable, "-m", "toolkit.cli", "generate", "all", "--dialect", NOT_MYSQL,
                           "--project", str(tiny_mount)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert full.returncode == 1 and full.stderr.startswith("dict: cannot write "), full.stderr
    assert "No space left on device" in full.stderr and full.stderr.count("\n") == 1, full.stderr
    assert everything(tiny_mount) == before
    stale = sorted((tiny_mount / "generated" / "sql" / "duckdb").glob("*.sql"))[0]
    stale.write_bytes(stale.read_bytes()[:-1])   # out of date (and smaller: the disk is full), so generate must write
    before = everything(tiny_mount)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_mount)], check=True)
    for args in (["generate", "sql"], ["import-source", "chinook", "--from", str(CHINOOK)], ["export", "linkml-map"]):
        refused = subprocess.run([sys.executable, "-m", "toolkit.cli", *args, "--project", str(tiny_mount)],
                                 cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert refused.stderr.startswith("dict: cannot write ") and "Read-only file system" in refused.stderr, refused.stderr
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert everything(tiny_mount) == before
