"""What `dict diff` reports: the changes, what each touches, and the text for people."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolkit.core.errors import Problem
from toolkit.load.dictionary import Dictionary
from toolkit.load.mapping import MappingSpec
from toolkit.load.source_schema import SourceSchema
from toolkit.plan import Plan


BREAKING, COMPATIBLE = "breaking", "compatible"


SEVERITIES = (BREAKING, COMPATIBLE)


TRANSLATOR_GENERATORS = ("python",)   # generators whose files are record translators


@dataclass(frozen=True)
class MappingRef:
    """A place in a mapping file a change reaches: ``mappings/crm.yaml:57: crm Customer.birth_date``."""

    file: str
    line: int
    what: str          # "<source> <derivation>[.<slot>]"
    side: str = "new"  # "old": the place only exists at the base revision

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}" + (" (at base)" if self.side == "old" else "")


@dataclass(frozen=True)
class Touches:
    """What one change reaches downstream, on either side of the change."""

    mappings: tuple[MappingRef, ...] = ()
    views: tuple[str, ...] = ()         # generated view names
    translators: tuple[str, ...] = ()   # generated translator files
    lineage: tuple[str, ...] = ()       # "crm.customers.dob -> Customer.birth_date [crm Customer]"
    generated: tuple[str, ...] = ()     # generated files whose content changes

    def as_dict(self) -> dict:
        return {"mappings": [vars(m) for m in self.mappings], "views": list(self.views), "translators": list(self.translators),
                "lineage": list(self.lineage), "generated": list(self.generated)}


@dataclass(frozen=True)
class Change:
    severity: str      # breaking | compatible
    kind: str          # e.g. removed-slot, narrowed-range, new-permissible-value
    subject: str       # e.g. Customer.birth_date, enum CustomerTier, chinook Customer
    message: str
    file: str
    line: int
    side: str          # where file:line points: "new" (working tree) or "old" (the revision)
    touches: Touches = Touches()
    # a rename: why the old and the new thing are taken for one (("name similarity", "0.86"), ("same type", "INTEGER"))
    evidence: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict:
        out = {"severity": self.severity, "kind": self.kind, "subject": self.subject, "message": self.message,
               "file": self.file, "line": self.line, "side": self.side, "touches": self.touches.as_dict()}
        if self.evidence:
            out["evidence"] = dict(self.evidence)
        return out


@dataclass(frozen=True)
class Snapshot:
    """The dictionary and mappings of one side, as far as they load."""

    label: str
    root: Path
    dictionary: Dictionary | None
    mappings: dict[str, MappingSpec]
    schemas: dict[str, SourceSchema]
    plan: Plan | None
    problems: tuple[Problem, ...]
    unreadable: frozenset[str] = frozenset()   # mapping files that did not load


@dataclass(frozen=True)
class DiffReport:
    base: str            # the revision as asked for (or how it was chosen)
    base_commit: str
    changes: tuple[Change, ...]
    generated_changes: tuple[str, ...]   # generated files whose content differs between the sides
    old_problems: tuple[Problem, ...]
    new_problems: tuple[Problem, ...]

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.severity == BREAKING)

    @property
    def compatible(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.severity == COMPATIBLE)

    def fails(self, fail_on: str) -> bool:
        if fail_on == "never":
            return False
        if fail_on == BREAKING:
            return bool(self.breaking) or bool(self.new_problems)
        return bool(self.changes) or bool(self.new_problems)

    def as_dict(self) -> dict:
        return {
            "base": self.base, "base_commit": self.base_commit,
            "summary": {"breaking": len(self.breaking), "compatible": len(self.compatible)},
            "changes": [c.as_dict() for c in self.changes],
            "generated_changes": list(self.generated_changes),
            "problems": {"base": [str(p) for p in self.old_problems], "working_tree": [str(p) for p in self.new_problems]},
        }


def format_text(report: DiffReport, limit: int = 12) -> str:
    lines = [f"dict diff: {report.base} ({report.base_commit[:12]}) -> working tree",
             f"{len(report.breaking)} breaking, {len(report.compatible)} compatible change(s)"]
    if report.new_problems:
        lines.append(f"the working tree does not validate ({len(report.new_problems)} problem(s)); changes are from what loads:")
        lines += [f"  {p}" for p in report.new_problems[:limit]]
    if report.old_problems:
        lines.append(f"{report.base} does not validate ({len(report.old_problems)} problem(s)); changes are from what loads")
    for c in report.changes:
        at = "" if c.side == "new" else " (at base)"
        lines += ["", f"{c.severity.upper():<10} {c.kind}  {c.subject}", f"  {c.file}:{c.line}{at}: {c.message}"]
        if c.evidence:
            lines.append(f"  {'evidence:':<13}" + "; ".join(f"{k} {v}" if v else k for k, v in c.evidence))
        for label, items in (("mappings", c.touches.mappings), ("views", c.touches.views),
                             ("translators", c.touches.translators), ("lineage", c.touches.lineage),
                             ("generated", c.touches.generated)):
            if not items:
                continue
            shown = [str(item) for item in items[:limit]]
            more = f" ... and {len(items) - limit} more" if len(items) > limit else ""
            if label == "views":
                lines.append(f"  {label + ':':<13}{', '.join(shown)}{more}")
            else:
                lines.append(f"  {label + ':':<13}{shown[0]}")
                lines += [f"  {'':<13}{item}" for item in shown[1:]]
                if more:
                    lines.append(f"  {'':<13}{more.strip()}")
    if not report.changes:
        lines.append("no changes to the dictionary or mappings")
    return "\n".join(lines)
