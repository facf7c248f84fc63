"""Writing atomically: generated/ is built beside itself, then swapped in; a single file (a source
schema, `dict translate`'s outputs) is written to a temporary file beside it, then renamed over it.

A failure midway (bad input, a crash, a full disk) leaves the previous generated/ and files
exactly as they were.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator


def write_generated(target: Path, files: dict[str, str], replace_dirs: tuple[str, ...] = (),
                    _fail_after: int | None = None) -> list[str]:
    """Replace ``target`` with its current content, minus ``replace_dirs``, plus ``files``.

    Returns the relative paths whose content changed. ``_fail_after`` injects a failure
    after that many files are written (tests use it to prove atomicity).
    """
    target = target.resolve()
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=parent))
    os.chmod(staging, 0o777 & ~_umask())
    try:
        if target.exists():
            shutil.copytree(target, staging, dirs_exist_ok=True)
        for rel in replace_dirs:
            doomed = staging / rel
            if doomed.is_dir():
                shutil.rmtree(doomed)
            elif doomed.exists():
                doomed.unlink()
        changed = []
        for i, (rel, text) in enumerate(sorted(files.items())):
            if _fail_after is not None and i >= _fail_after:
                raise OSError("injected failure while writing generated files")
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            data = text.encode("utf-8")
            old = target / rel
            if not old.exists() or old.read_bytes() != data:
                changed.append(rel)
            path.write_bytes(data)
        _swap(staging, target)
        return changed
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, target: Path) -> None:
    if not target.exists():
        os.replace(staging, target)
        return
    if _exchange(staging, target):   # one step: there is never a moment without generated/
        shutil.rmtree(staging, ignore_errors=True)
        return
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
    path.parent.mkdir(parents=True, exist_ok=True)
    with staged_files(path) as (fh,):
        fh.write(text.encode("utf-8"))


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
