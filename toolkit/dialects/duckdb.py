"""DuckDB: the embedded default engine."""
from . import Dialect, register

DUCKDB = register(Dialect(name="duckdb", sqlglot="duckdb", executable_here=True))
