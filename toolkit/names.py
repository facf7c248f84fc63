"""How names are compared: what "differs only in case" means everywhere in dict."""
from __future__ import annotations


def fold_case(name: str) -> str:
    """``name`` lowercased code point by code point (no context rules, no expansions).

    Two names fold equal when they differ only in case, as SQL engines that fold identifiers see it:
    ``'Aσ'`` and ``'aΣ'`` are one name (``str.lower`` would give ``'aσ'`` and ``'aς'``, by the Greek
    final-sigma rule), while ``'ﬁ'`` and ``'fi'`` stay two (``str.casefold`` would merge them).
    """
    return "".join(ch.lower() for ch in name)
