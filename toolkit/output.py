"""Writing generated/ atomically: build the new tree beside it, then swap it in.

A failure midway (bad input, a crash, a full disk) leaves the previous generated/
exactly as it was.
"""
from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path


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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
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
    if stem != name or _RESERVED.fullmatch(stem):
        stem += "-" + hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return stem
