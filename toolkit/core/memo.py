"""Results computed once per plan and shared by every generator of one run.

A `dict generate all` or `dict check` hands one plan to every generator; the docs embed the SQL
generator's statements and the Python generator's translators, and lineage and docs both walk the
lineage graph. Each is computed once per plan object and dropped with it (plans are immutable).
"""
from __future__ import annotations

import weakref
from typing import Callable, TypeVar

T = TypeVar("T")

_MEMO: dict[int, dict[str, object]] = {}


def per_plan(plan: object, key: str, compute: Callable[[], T]) -> T:
    """``compute()`` once for ``plan`` under ``key``; later calls with the same plan object reuse it."""
    memo = _MEMO.get(id(plan))
    if memo is None:
        memo = _MEMO[id(plan)] = {}
        weakref.finalize(plan, _MEMO.pop, id(plan), None)
    if key not in memo:
        memo[key] = compute()
    return memo[key]   # type: ignore[return-value]
