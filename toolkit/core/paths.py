"""Files stay inside the project: every file read is a regular file under the project root.

A mapping names its source schema by a path; dictionary/ and mappings/ are listed by a glob.
Either could lead elsewhere (``../../../../etc/shadow``, an absolute path, a symbolic link out
of the project, ``/dev/zero``, a FIFO, a folder). Each is refused with the ``file:line`` that
names it, before the target is opened, so its contents never reach a message.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath

from toolkit.core.errors import DictError, Problem

YAML_SUFFIXES = (".yaml", ".yml")


def inside(root: Path, path: Path) -> bool:
    """Whether ``path`` (symbolic links followed) lies in the folder ``root`` (also followed)."""
    real_root = root.resolve()
    real = path.resolve()
    return real == real_root or real_root in real.parents


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to the project ``root`` as the user sees it (a link is named, not its target)."""
    for here, base in ((Path(os.path.abspath(path)), Path(os.path.abspath(root))), (path.resolve(), root.resolve())):
        try:
            return here.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(path)


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words (for 'is a FIFO, not a file')."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def check_project_file(path: Path, root: Path, display: str) -> None:
    """``path`` (found in dictionary/ or mappings/) must be a regular file inside ``root``."""
    if not inside(root, path):
        raise DictError(Problem(display, 1, "is a symbolic link to a file outside the project",
                                "copy the file into the project instead of linking to it"))
    _regular(path, display, 1, hint="remove it, or put the YAML file itself here")


def _regular(path: Path, file: str, line: int, what: str = "", hint: str = "name a YAML file inside the project") -> None:
    """``path`` is a regular file (``what`` names it in the message when it is not ``file`` itself)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise DictError(Problem(file, line, f"cannot read {what or 'file'}: {exc.strerror}")) from None
    if not stat.S_ISREG(mode):
        raise DictError(Problem(file, line, f"{what} is {file_kind(mode)}, not a file".lstrip(), hint))


def referenced_file(reference: str, folder: Path, root: Path, file: str, line: int, what: str) -> Path:
    """The file a project file at ``file:line`` names by the relative path ``reference``: a YAML file
    under ``folder`` (itself inside ``root``). Refused, without opening the target, when the path is
    absolute, leads out of ``folder`` (``..`` or a symbolic link), or names a folder, device or FIFO."""
    shown = f"{what} '{reference}'"
    if PurePosixPath(reference).is_absolute() or PureWindowsPath(reference).is_absolute() or \
            PureWindowsPath(reference).drive or reference.startswith("~"):
        raise DictError(Problem(file, line, f"{shown} is an absolute path",
                                f"give a path relative to {folder.name}/, e.g. a file beside this one"))
    target = folder / reference
    lexical = Path(os.path.normpath(target))
    if not _within(folder, lexical):
        raise DictError(Problem(file, line, f"{shown} leads outside {folder.name}/ ('..')",
                                f"keep the file inside {folder.name}/ of the project"))
    if not (inside(folder, target) and inside(root, target)):
        raise DictError(Problem(file, line, f"{shown} is a symbolic link to a file outside {folder.name}/",
                                "copy the file into the project instead of linking to it"))
    if target.suffix.lower() not in YAML_SUFFIXES:
        raise DictError(Problem(file, line, f"{shown} is not a YAML file (.yaml or .yml)",
                                "name the source schema file, e.g. <source>.source.yaml"))
    if target.exists():
        _regular(target, file, line, shown)
    return target


def _within(folder: Path, path: Path) -> bool:
    """Lexically (no link followed): is ``path`` in ``folder``?"""
    base = Path(os.path.normpath(folder))
    return path == base or base in path.parents


def dialect_files() -> list[str]:
    """The dialects' names, read off their files in toolkit/dialects/ (one per dialect, named after it):
    importing them loads sqlglot's dialects, too slow for `dict --help` or a warm `dict check`."""
    import pkgutil

    return sorted(info.name for info in pkgutil.iter_modules([str(Path(__file__).resolve().parents[1] / "dialects")])
                  if not info.name.startswith("_"))
