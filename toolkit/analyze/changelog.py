"""`dict changelog`: the release notes of the dictionary between two git revisions (two tags, say).

Reuses `dict diff`'s classification (breaking / compatible, see toolkit/analyze/diff/) and adds what a
release needs: the dictionary's ``version`` on both sides, whether the version bump matches the
changes (semantic versioning: a breaking change needs a new major version, any other change a new
minor or patch), and a Markdown page the docs publish (docs/dictionary-changelog.md).
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from toolkit.analyze.diff import BREAKING, COMPATIBLE, DiffReport, diff_snapshots, export_revision, load_snapshot


@dataclass(frozen=True)
class Changelog:
    name: str
    old_rev: str
    new_rev: str
    old_version: str
    new_version: str
    report: DiffReport

    @property
    def version_problem(self) -> str:
        """Why the version bump does not match the changes; "" when it does."""
        old, new = _semver(self.old_version), _semver(self.new_version)
        if old is None or new is None:
            return f"versions '{self.old_version}' -> '{self.new_version}' are not MAJOR.MINOR.PATCH"
        if self.report.breaking and new[0] <= old[0]:
            return f"{len(self.report.breaking)} breaking change(s) need a new major version, not {self.new_version}"
        if self.report.changes and new <= old:
            return f"{len(self.report.changes)} change(s) need a higher version than {self.old_version}"
        return ""


def _semver(text: str) -> tuple[int, int, int] | None:
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text.strip())
    return tuple(int(g) for g in match.groups()) if match else None


def changelog(root: Path, old_rev: str, new_rev: str) -> Changelog:
    """Compare dictionary/ and mappings/ at two revisions (only the DDL is rendered to find touched files)."""
    root = root.resolve()
    with tempfile.TemporaryDirectory(prefix="dict-changelog-") as tmp:
        old_dir, new_dir = Path(tmp) / "old", Path(tmp) / "new"
        old_commit = export_revision(root, old_rev, old_dir)
        export_revision(root, new_rev, new_dir)
        old, new = load_snapshot(old_dir, old_rev), load_snapshot(new_dir, new_rev)
        report = diff_snapshots(old, new, old_rev, old_commit, "duckdb", ["ddl"])
    name = (new.dictionary or old.dictionary).name if (new.dictionary or old.dictionary) else ""
    return Changelog(name, old_rev, new_rev, old.dictionary.version if old.dictionary else "",
                     new.dictionary.version if new.dictionary else "", report)


def _md(text: str) -> str:
    """Dictionary text as inert Markdown: no markup, links or HTML survive."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~])", r"\\\1", " ".join(str(text).split()))


def format_markdown(log: Changelog) -> str:
    r = log.report
    lines = [f"# Dictionary changelog: {_md(log.name)} {_md(log.old_version)} → {_md(log.new_version)}", "",
             f"From `{log.old_rev}` to `{log.new_rev}`: **{len(r.breaking)} breaking**, "
             f"**{len(r.compatible)} compatible** change(s).", ""]
    problem = log.version_problem
    lines += [f"> **Version check:** {_md(problem)}" if problem else
              "> **Version check:** the version bump matches the changes (semantic versioning).", ""]
    for severity, title in ((BREAKING, "Breaking changes"), (COMPATIBLE, "Compatible changes")):
        items = [c for c in r.changes if c.severity == severity]
        lines.append(f"## {title} ({len(items)})")
        lines.append("")
        if not items:
            lines += ["None.", ""]
            continue
        for kind in sorted({c.kind for c in items}):
            group = [c for c in items if c.kind == kind]
            lines.append(f"### {_md(kind)} ({len(group)})")
            lines += [f"- **{_md(c.subject)}**: {_md(c.message)} ({_md(c.file)}:{c.line})" for c in group]
            lines.append("")
    if r.new_problems:
        lines += [f"## {_md(log.new_rev)} does not validate", ""] + [f"- {_md(p)}" for p in r.new_problems] + [""]
    return "\n".join(lines).rstrip("\n") + "\n"
