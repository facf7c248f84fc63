"""How large and how deep a project's files and expressions may be.

Every limit is checked before the work it protects (the file's size before it is read, an alias
before it is expanded, parentheses before the expression parser sees them), so a hostile file
is refused in well under a second with ``file:line`` and what to change, never a RecursionError,
a MemoryError or minutes of work. The figures are far above what a real dictionary, mapping or
source schema needs (the largest shipped file is 40 kB, 6 levels deep).
"""
from __future__ import annotations

# ---------------------------------------------------------------- YAML files (dictionary, mappings, source schemas)

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Largest YAML file read (4 MiB): split a larger dictionary into several files in dictionary/."""

MAX_YAML_DEPTH = 64
"""Deepest nesting of mappings and lists in a YAML file, aliases expanded."""

MAX_YAML_NODES = 1_000_000
"""Most keys, values and list items in one YAML file, aliases expanded."""

MAX_ALIAS_NODES = 100_000
"""Most nodes all the aliases (``*name``) of one YAML file may add when expanded: sharing a code list
between slots (``value_mappings: *countries``) costs its size per use; an alias bomb is refused at
the alias that crosses the budget, before anything is expanded."""

MAX_SCALAR_CHARS = 65_536
"""Longest single key or value (characters)."""

# ---------------------------------------------------------------- mapping expressions

MAX_EXPRESSION_CHARS = 10_000
"""Longest expression text: write long code lists as value_mappings."""

MAX_EXPRESSION_DEPTH = 64
"""Deepest nesting of an expression's syntax tree (each function call, operator, CASE or parenthesis is
one level; ``a || b || c`` is two). Chosen so that every later stage (type checking, the SQL of every
dialect, the Python of record translators, whose parser allows 200 nested brackets) handles it."""

MAX_SQL_NODES = 10_000
"""Largest an expression may grow in the SQL of the most repetitive dialect (estimated by
``toolkit.expressions.cost.sql_size`` before rendering): SQL has no variables, so some functions
write their argument several times (LPAD 4 times in SQLite, a text read as a TIMESTAMP 16 times),
and nested they multiply."""

MAX_CAST_NESTING = 8
"""Most CASTs nested inside one another: each strict CAST is also checked on its own (a value it cannot
convert makes the row a reject), which repeats everything inside it."""
