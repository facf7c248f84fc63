"""Writing atomically: generated/ is built beside itself, then swapped in; a single file (a source
schema, `dict translate`'s outputs) is written to a temporary file beside it, then renamed over it.

A failure midway (bad input, a crash, a full disk, a read-only folder) leaves the previous
generated/ and files exactly as they were and no staging folder behind; the environment's refusal
becomes an ``OutputError`` whose message is one line naming the file and the reason.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator


class OutputError(OSError):
    """The environment refused a write (read-only file system, disk full, permission denied, a file where a
    folder should be ...). ``str()`` is one line: what could not be written, why, and that nothing changed."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.errno = code


def shown(path: Path | str) -> str:
    """``path`` as the user would type it: relative to the working folder when inside it."""
    path = Path(os.path.abspath(path))
    try:
        return path.relative_to(Path.cwd()).as_posix() or "."
    except ValueError:
        return str(path)


_IN_THE_WAY = {errno.ENOTDIR: "a file stands where a folder is needed", errno.EEXIST: "a file stands where a folder is needed",
               errno.EISDIR: "a folder stands where a file is needed"}


def describe(exc: BaseException) -> str:
    """The reason of an OS error without Python's decoration ("[Errno 30] ...: '/x'")."""
    if isinstance(exc, OSError) and exc.strerror:
        hint = _IN_THE_WAY.get(exc.errno)
        return f"{exc.strerror} ({hint})" if hint else exc.strerror
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _fault(exc: OSError, target: Path, staging: Path | None, outcome: str) -> OutputError:
    """One line for a failed write of ``target`` (staged in ``staging``), naming the file as the user knows it."""
    failed = Path(exc.filename) if exc.filename else target
    if staging is not None and (failed == staging or staging in failed.parents):
        failed = target / failed.relative_to(staging)
    elif failed.parent == target.parent and failed.name.startswith(f".{target.name}."):
        failed = target   # the temporary file or folder beside it
    hint = ""
    if exc.errno in (errno.EBUSY, errno.EXDEV):
        hint = f" ({shown(target)} cannot be renamed: is it a mount point? write elsewhere with --out)"
    return OutputError(f"cannot write {shown(failed)}: {describe(exc)}{hint}; {outcome}", exc.errno)


def write_generated(target: Path, files: dict[str, str], replace_dirs: tuple[str, ...] = (),
                    _fail_after: int | None = None) -> list[str]:
    """Replace ``target`` with its current content, minus ``replace_dirs``, plus ``files``.

    Returns the relative paths whose content changed. ``_fail_after`` injects a failure
    after that many files are written (tests use it to prove atomicity). Raises OutputError
    when the file system refuses; ``target`` is then as it was.
    """
    target = target.resolve()
    outcome = f"{shown(target)}/ is unchanged" if target.is_dir() else "nothing was written"
    staging = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
        changed = _stage(staging, target, files, replace_dirs, _fail_after)
        _swap(staging, target)
        return changed
    except OSError as exc:
        raise _fault(exc, target, staging, outcome) from None
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _stage(staging: Path, target: Path, files: dict[str, str], replace_dirs: tuple[str, ...],
           fail_after: int | None) -> list[str]:
    """Fill ``staging`` with ``target``'s content, ``replace_dirs`` removed, ``files`` written.

    What stays as it was (a file the run keeps, or rewrites with the same bytes) is hard-linked from
    ``target`` instead of copied: the swap then moves the same file into the new folder, and only the
    files whose content changes are written. A file reached through a symbolic link is copied, as
    `shutil.copytree` copies it, so the new folder never shares a file with anything outside it; a link
    the file system refuses becomes a copy."""
    os.chmod(staging, 0o777 & ~_umask())
    inside = _Inside(target)
    if target.exists():
        _keep(target, staging, files, replace_dirs, inside)
    changed = []
    for i, (rel, text) in enumerate(sorted(files.items())):
        if fail_after is not None and i >= fail_after:
            raise OSError("injected failure while writing generated files")
        path = staging / rel
        data = text.encode("utf-8")
        old = target / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if old.is_file() and old.stat().st_size == len(data) and old.read_bytes() == data:
                if inside(old) and _link(old, path):
                    continue
            else:
                changed.append(rel)
            path.write_bytes(data)
        except OSError as exc:
            exc.filename = exc.filename or str(path)   # a full disk reports no file name
            raise
    return changed


class _Inside:
    """Whether a path under ``target`` is a file of ``target`` itself: neither it nor a folder on its way is
    a symbolic link (the answer per folder is remembered)."""

    def __init__(self, target: Path):
        self._folders = {target: True}

    def __call__(self, path: Path) -> bool:
        return not path.is_symlink() and self._folder(path.parent)

    def _folder(self, folder: Path) -> bool:
        known = self._folders.get(folder)
        if known is None:
            known = self._folders[folder] = not folder.is_symlink() and self._folder(folder.parent)
        return known


def _keep(target: Path, staging: Path, files: dict[str, str], replace_dirs: tuple[str, ...], inside: _Inside) -> None:
    """Put in ``staging`` what ``target`` holds outside ``replace_dirs`` and ``files``: folders with their
    modes, files linked, what a symbolic link leads to copied (as `shutil.copytree` follows links)."""
    if not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(target))
    dropped = {Path(rel) for rel in replace_dirs}
    for folder, subfolders, names in os.walk(target, followlinks=True):
        here = Path(folder).relative_to(target)
        subfolders[:] = [d for d in subfolders if here / d not in dropped]
        into = staging / here
        if here != Path("."):
            into.mkdir(exist_ok=True)
            shutil.copystat(folder, into)
        for name in names:
            rel = here / name
            if rel in dropped or rel.as_posix() in files:
                continue
            if not (inside(target / rel) and _link(target / rel, into / name)):
                shutil.copy2(target / rel, into / name)


def _link(source: Path, link: Path) -> bool:
    """Hard-link ``link`` to ``source``; False where the file system refuses."""
    try:
        os.link(source, link, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EACCES):
            return False
        raise
    return True


def _swap(staging: Path, target: Path) -> None:
    if not target.exists():
        os.replace(staging, target)
        return
    if _exchange(staging, target):   # one step: there is never a moment without generated/ (the caller
        return                       # removes staging, which now holds the previous content)
    # two renames: a crash between them leaves generated/ in .<name>.old-* (no mix of old and new)
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    old.rmdir()
    os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EPERM):
        return False   # kernel or file system without exchange: the two-rename swap is used
    raise OSError(code, os.strerror(code), str(b))


def write_file_atomic(path: Path, text: str) -> None:
    """Write ``path`` through a temporary file renamed over it: the old file stays whole if anything fails."""
    outcome = f"{shown(path)} is unchanged" if path.exists() else "nothing was written"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with staged_files(path) as (fh,):
            fh.write(text.encode("utf-8"))
    except OutputError:
        raise
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(path)
        raise _fault(exc, path, None, outcome) from None


class StagedFile:
    """A file written beside its destination, renamed over it only when the whole content is there.

    A symlinked destination stays a symlink (the file it names is replaced); a destination that is not
    a regular file (``/dev/null``, a pipe) is written in place, as renaming over it would replace the device.
    """

    def __init__(self, path: Path):
        self.target = Path(os.path.realpath(path))
        self.tmp: Path | None = None
        if self.target.exists() and not self.target.is_file():
            self.handle = open(self.target, "wb")
            return
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent)
        except OSError as err:   # name the destination, not the temporary file
            raise OSError(err.errno, err.strerror, str(path)) from None
        self.tmp = Path(tmp)
        self.handle = os.fdopen(fd, "wb")

    def finish(self) -> None:
        """Everything on disk (not yet visible under the destination's name)."""
        self.handle.flush()
        if self.tmp is not None:
            os.fsync(self.handle.fileno())
            mode = self.target.stat().st_mode & 0o7777 if self.target.is_file() else 0o666 & ~_umask()
            os.chmod(self.tmp, mode)
        self.handle.close()

    def install(self) -> None:
        if self.tmp is not None:
            os.replace(self.tmp, self.target)

    def discard(self) -> None:
        try:
            self.handle.close()   # flushes: on a full disk it fails again
        except OSError:
            pass
        finally:
            if self.tmp is not None:
                self.tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def staged_files(*paths: Path) -> Iterator[list[BinaryIO]]:
    """Binary handles on files that appear under ``paths`` only if the block completes: on any failure
    (an exception, Ctrl-C, a full disk) the temporary files go and the previous files stay as they were."""
    staged: list[StagedFile] = []
    try:
        for path in paths:
            staged.append(StagedFile(path))
        yield [s.handle for s in staged]
        for s in staged:
            s.finish()
        for s in staged:
            s.install()
    except BaseException:
        for s in staged:
            s.discard()
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


STEM_MAX = 80   # characters kept from a name; with a hash and an extension far below any file system's 255 bytes
# names Windows reserves for devices, whatever the extension (generated files copied there must still open)
_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?")


def file_stem(name: str) -> str:
    """A file-name-safe, readable stem for any name: ASCII letters, digits, '_', '-' and single inner dots,
    so no name becomes a path ('../'), a hidden, over-long or device file name. A name that needed changing
    gets a short hash of itself, so two names never share a file ('a b' and 'a-b')."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
    stem = re.sub(r"\.{2,}", ".", stem)[:STEM_MAX].strip("-.") or "x"
    if _RESERVED.fullmatch(stem):
        stem = "_" + stem
    if stem != name:
        stem += "-" + hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return stem
