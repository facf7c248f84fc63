"""Comparing what engines produced: sorted row sets of typed values, with the first differences shown.

Engines return the same canonical value in different Python shapes (MySQL and SQLite give
booleans as 1/0, SQLite gives dates as text and decimals as REAL). Each value is normalised
by its canonical type before comparing (``types.coerce``, as source data is read): decimals to the
canonical scale (4 places), doubles to 12 significant digits (sums of doubles in another order
differ in the last bits), dates and timestamps parsed (without a time zone), booleans as True/False.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from toolkit.core.types import Type, coerce
from toolkit.run.engines import ClassRows


def normalise(value, t: Type):
    value = coerce(value, t)
    if t is Type.FLOAT and value is not None:
        return float(f"{value:.12g}")
    if t is Type.DATETIME and value is not None:
        return value.replace(tzinfo=None)
    return value


def normalised_rows(rows: ClassRows) -> list[tuple]:
    out = [tuple(normalise(v, t) for v, t in zip(r, rows.types)) for r in rows.rows]
    return sorted(out, key=_sort_key)


def _sort_key(row: tuple):
    return tuple((v is None, type(v).__name__, v if v is not None else 0) for v in row)


@dataclass(frozen=True)
class Difference:
    view: str
    columns: tuple[str, ...]
    only_reference: list[tuple]
    only_other: list[tuple]
    reference_count: int
    other_count: int

    def describe(self, reference: str, other: str, limit: int = 5) -> str:
        lines = [f"{self.view}: {reference} has {self.reference_count} rows, {other} has {self.other_count}",
                 f"  columns: {', '.join(self.columns)}"]
        for name, rows in ((reference, self.only_reference), (other, self.only_other)):
            if rows:
                lines.append(f"  only in {name} ({len(rows)}), first {min(limit, len(rows))}:")
                lines += [f"    {r!r}" for r in rows[:limit]]
        if self.only_reference and self.only_other:
            a, b = self.only_reference[0], self.only_other[0]
            diff = [f"{c}: {x!r} vs {y!r}" for c, x, y in zip(self.columns, a, b) if x != y]
            lines.append("  first pair differs in " + "; ".join(diff))
        return "\n".join(lines)


def differences(reference: dict[str, ClassRows], other: dict[str, ClassRows]) -> list[Difference]:
    """Per view, the rows one side has and the other lacks (as multisets); empty when all agree."""
    out = []
    for view in sorted(set(reference) | set(other)):
        if view not in reference or view not in other:
            present = reference.get(view) or other.get(view)
            out.append(Difference(view, present.columns, [], [], len(reference.get(view, present).rows) if view in reference else 0,
                                  len(other[view].rows) if view in other else 0))
            continue
        a, b = normalised_rows(reference[view]), normalised_rows(other[view])
        if a == b:
            continue
        ca, cb = Counter(a), Counter(b)
        only_a = sorted((ca - cb).elements(), key=_sort_key)
        only_b = sorted((cb - ca).elements(), key=_sort_key)
        out.append(Difference(view, reference[view].columns, only_a, only_b, len(a), len(b)))
    return out
