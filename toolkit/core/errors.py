"""Problems a user can fix: each names the file, the line and what to do."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class DictError(Exception):
    """One or more problems in the user's dictionary, mappings or sources."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = sorted(problems if isinstance(problems, list) else [problems])
        super().__init__("\n".join(str(p) for p in self.problems))


class Problems:
    """Collects problems so validation reports all of them, not just the first."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, file: str | Path, line: int, message: str, hint: str = "") -> None:
        self.items.append(Problem(str(file), line, message, hint))

    def raise_if_any(self) -> None:
        if self.items:
            raise DictError(list(dict.fromkeys(self.items)))

    def __bool__(self) -> bool:
        return bool(self.items)
