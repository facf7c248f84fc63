"""Names: how they are compared, and the name of every object dict creates.

Every view, table and scratch relation dict makes is named here and nowhere else, so a reader
(`dict run`, the lineage, the docs, the ownership guard) and the writer agree by construction.
"""
from __future__ import annotations


def fold_case(name: str) -> str:
    """``name`` lowercased code point by code point (no context rules, no expansions).

    Two names fold equal when they differ only in case, as SQL engines that fold identifiers see it:
    ``'Aσ'`` and ``'aΣ'`` are one name (``str.lower`` would give ``'aσ'`` and ``'aς'``, by the Greek
    final-sigma rule), while ``'ﬁ'`` and ``'fi'`` stay two (``str.casefold`` would merge them).
    """
    if name.isascii():   # most names, called tens of thousands of times per plan: no context rules in ASCII
        return name.lower()
    return "".join(ch.lower() for ch in name)


# ------------------------------------------------------------------------- views of a mapping
# <source>__<derivation> is a derivation's canonical view; its helpers add a suffix.

ALL_REJECTS = "rejects"                 # every rejected row of every derivation, with its reason


def derivation_view(source: str, derivation: str) -> str:
    """The canonical view of one derivation (``derivation`` already in snake_case)."""
    return f"{source}__{derivation}"


def staged_view(view: str) -> str:
    """Every driving-table row with its canonical values and a reject reason."""
    return f"{view}__staged"


def groups_view(view: str) -> str:
    """A grouped derivation's groups with their values and reject reason."""
    return f"{view}__groups"


def rejects_view(view: str) -> str:
    return f"{view}__rejects"


def orphans_view(view: str) -> str:
    """References naming no canonical row of their class."""
    return f"{view}__orphans"


def joins_view(view: str) -> str:
    """Driving rows a join declared to_one matched more than once."""
    return f"{view}__joins"


def duplicate_ids_view(class_table: str) -> str:
    """Identifiers several canonical rows of a class carry."""
    return f"{class_table}__duplicate_ids"


def stale_view(class_table: str) -> str:
    """A class's rows older than its data test's max_age."""
    return f"{class_table}__stale"


def golden_view(class_table: str) -> str:
    """One golden record per resolved entity of a class (survivorship over its integrated view)."""
    return f"golden_{class_table}"


def policy_view(policy: str) -> str:
    """The first match per party and period of one interaction policy."""
    return f"policy__{policy}"


def policy_matches_view(policy: str) -> str:
    """Every event a policy's filter and condition hold for."""
    return f"{policy_view(policy)}__matches"


# ------------------------------------------------------------------------- tables and schemas

CANONICAL_SCHEMA = "canonical"         # default schema `dict materialize` writes the canonical tables to
REFUSED_TABLE = "_refused"              # rows `dict materialize` could not load, with provenance and reason
REGISTRY_TABLE = "_dict_objects"        # what dict created in a persistent target (the ownership guard)
VIEWS_SCHEMA = "dict_views"             # default schema (Spark database) of dict's own for views and source copies
DUCKDB_TARGET = "dict_target"           # the catalog a --database DuckDB file is attached as
SWAP_NEW, SWAP_OLD = "__dict_new", "__dict_old"   # MySQL: canonical tables built aside, then swapped in


def match_table(class_table: str, part: str) -> str:
    """A match output table of a class: ``matches``, ``clusters``, ``households`` or ``match_model``."""
    return f"{class_table}__{part}"


# ------------------------------------------------------------------------- scratch relations (one session)

MATCH_INPUT = "__dict_match_input"      # the records a match run reads
MATCH_RECORDS = "__dict_records"        # an integrated view's records, registered for matching
STORE_ROWS = "__dict_rows"              # rows being written to a match table


def explain_record(side: str) -> str:
    """One record of a pair `dict match explain` scores (``side`` is l or r)."""
    return f"__dict_explain_{side}"
