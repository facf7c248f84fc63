"""Profile a source before mapping it: what each column holds, and which columns key and join the tables.

Every figure is a SQL aggregate DuckDB computes where the data is (a SQLite/DuckDB file, a CSV or Parquet
file, or a live PostgreSQL/MySQL database through DuckDB's scanners), so nothing but the results comes
back to Python. Each column is grouped once by value; counts, lengths, top values and shape patterns
(digits → 9, letters → a/A) are all read from that grouping, and the inferred meaning (email, phone,
postcode, date in text, number in text, code list) from the share of rows whose shape fits. Table
and column names are hostile input: they only ever enter SQL as quoted sqlglot identifiers.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from toolkit.core.errors import DictError, Problem
from toolkit.load.source_schema import Column, SourceSchema, Table
from toolkit.core.types import from_native_text

ALIAS = "src"           # the catalog (or schema) the profiled source is attached as
TOP = 10                # top values kept per column
PATTERNS = 5            # shape patterns kept per column
MIN_CONTAINMENT = 0.9   # inclusion dependencies reported from this containment ratio on
_LOWER, _UPPER, _DIGITS = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
_SHAPE_FROM = _LOWER + _UPPER + _DIGITS
_SHAPE_TO = "a" * 26 + "A" * 26 + "9" * 10

# Shapes (after digits → 9, letters → a/A) of each meaning a text column may carry.
MEANING_SHAPES = {
    "email": r"[aA9._%+\-]+@[aA9\-]+(\.[aA9\-]+)*\.[aA]{2,}",
    "date": r"9{4}[\-/.]9{1,2}[\-/.]9{1,2}([ T]9{1,2}:9{2}(:9{2}(\.9+)?)?)?|9{1,2}[\-/.]9{1,2}[\-/.]9{4}( 9{1,2}:9{2}(:9{2})?)?",
    "phone": r"\+?[9 ().\-/]{7,24}",
    "postcode": r"9{4,6}|9{5}-9{4}|9{3} 9{2}|9{2}-9{3}|A9A ?9A9|A{1,2}9[A9]? ?9A{2}|9{4} ?A{2}",
    "number": r"[+\-]?9+([.,]9+)?|[+\-]?9{1,3}(,9{3})+(\.9+)?",
}
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%d/%m/%Y",
                "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y", "%Y/%m/%d", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M")
# Name hints that decide between shapes several meanings share (a 5-digit text is a number or a postcode).
_NAME_HINTS = {"postcode": re.compile(r"zip|post|plz|postal|cp$", re.I),
               "phone": re.compile(r"phone|tel|mobile|fax|cell|gsm", re.I),
               "email": re.compile(r"mail", re.I), "date": re.compile(r"date|_on$|_at$|time|day|dt$", re.I)}
SHAPE_ROWS = 50_000     # shapes of larger tables come from a block sample of about this many rows
MEANING_SHARE = 0.8     # share of non-null rows a shape must cover to name the column's meaning
CODE_LIST_MAX = 50      # a column with at most this many distinct values (and repeats) is a code list


@dataclass(frozen=True)
class ColumnProfile:
    table: str
    column: str
    type: str
    rows: int
    nulls: int
    blanks: int
    distinct: int
    min: str | None
    max: str | None
    min_length: int | None
    max_length: int | None
    avg_length: float | None
    top_values: tuple[tuple[str, int], ...]
    patterns: tuple[tuple[str, int], ...]
    shares: dict[str, float] = field(default_factory=dict)   # meaning -> share of non-null rows of that shape
    shape_rows: int = 0     # non-null rows the shapes were read from (all, or a sample of a large table)
    meaning: str | None = None
    date_format: str | None = None

    @property
    def filled(self) -> int:
        """Rows holding a value (neither NULL nor blank)."""
        return self.rows - self.nulls - self.blanks

    @property
    def unique(self) -> bool:
        return self.rows > 0 and self.nulls == 0 and self.distinct == self.rows


@dataclass(frozen=True)
class TableProfile:
    name: str
    rows: int
    columns: tuple[ColumnProfile, ...]
    primary_key: tuple[str, ...] = ()
    candidate_keys: tuple[tuple[str, ...], ...] = ()

    def column(self, name: str) -> ColumnProfile | None:
        return next((c for c in self.columns if c.column == name), None)


@dataclass(frozen=True)
class InclusionCandidate:
    """``table.column``'s distinct values are (``containment`` share of them) among ``ref_table.ref_column``'s."""
    table: str
    column: str
    ref_table: str
    ref_column: str
    containment: float
    distinct: int
    ref_distinct: int
    declared: bool
    name_match: bool


@dataclass(frozen=True)
class SourceProfile:
    source: str
    tables: tuple[TableProfile, ...]
    foreign_keys: tuple[InclusionCandidate, ...]
    schema: SourceSchema

    def table(self, name: str) -> TableProfile | None:
        return next((t for t in self.tables if t.name == name), None)

    def to_json(self) -> dict:
        """Plain data for ``--format json`` (and for `dict suggest` reading a saved profile)."""
        return {"source": self.source,
                "tables": [{"name": t.name, "rows": t.rows, "primary_key": list(t.primary_key),
                            "candidate_keys": [list(k) for k in t.candidate_keys],
                            "columns": [_column_json(c) for c in t.columns]} for t in self.tables],
                "foreign_key_candidates": [asdict(f) for f in self.foreign_keys]}


def _column_json(c: ColumnProfile) -> dict:
    data = asdict(c)
    data.pop("table")
    data["top_values"] = [{"value": v, "count": n} for v, n in c.top_values]
    data["patterns"] = [{"pattern": p, "count": n} for p, n in c.patterns]
    return data


# ------------------------------------------------------------------------------------------ SQL

def _table(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name, quoted=True), db=exp.to_identifier(ALIAS, quoted=True))


def _fill(template: str, **names: exp.Expression) -> exp.Expression:
    """Parse a fixed template once and put quoted identifiers/tables where its ``__name__`` placeholders are."""
    tree = sqlglot.parse_one(template, read="duckdb")

    def put(node):
        if isinstance(node, exp.Column) and not node.table and node.name.startswith("__"):
            return names[node.name.strip("_")].copy()
        if isinstance(node, exp.Table) and node.name.startswith("__"):
            return names[node.name.strip("_")].copy()
        return node
    return tree.transform(put)


def _stats_query(table: str, columns: list[tuple[str, bool]]) -> str:
    """One scan of the table for every column's counts, min/max and text lengths (the exact distinct counts are
    asked column by column: DuckDB runs several DISTINCT aggregates of one query far slower than one each)."""
    parts = [exp.Count(this=exp.Star())]
    for name, text in columns:
        col = exp.column(name, quoted=True)
        parts += [exp.Count(this=col.copy()), exp.cast(exp.Min(this=col.copy()), "VARCHAR"), exp.cast(exp.Max(this=col.copy()), "VARCHAR")]
        if text:
            parts += [_fill("COUNT(*) FILTER (WHERE TRIM(__c__) = '')", c=col),
                      _fill("MIN(LENGTH(__c__))", c=col), _fill("MAX(LENGTH(__c__))", c=col),
                      _fill("AVG(LENGTH(__c__))", c=col)]
    return exp.select(*parts).from_(_table(table)).sql("duckdb")


def _distinct_query(table: str, column: str) -> str:
    col = exp.column(column, quoted=True)
    return exp.select(exp.Count(this=exp.Distinct(expressions=[col]))).from_(_table(table)).sql("duckdb")


def _top_query(table: str, column: str) -> str:
    """The most frequent values of a column (asked only of columns that repeat values)."""
    template = f"""SELECT LIST([v, CAST(n AS VARCHAR)] ORDER BY n DESC, v) FROM (SELECT CAST(__c__ AS VARCHAR) AS v,
                   COUNT(*) AS n FROM __t__ WHERE NOT __c__ IS NULL GROUP BY 1 ORDER BY n DESC, v LIMIT {TOP})"""
    return _fill(template, c=exp.column(column, quoted=True), t=_table(table)).sql("duckdb")


def _shape_query(table: str, column: str, rows: int) -> str:
    """A text column's shapes (letters → a/A, digits → 9): the most frequent, and the share of each meaning.

    Tables over SHAPE_ROWS rows are read through a block sample of about SHAPE_ROWS rows (shaping every value
    costs more than all the exact counts together); the JSON says how many rows the shapes come from.
    """
    shares = ", ".join(f"(SELECT COALESCE(SUM(n), 0) FROM p WHERE REGEXP_FULL_MATCH(p, '{pattern}'))"
                       for pattern in MEANING_SHAPES.values())
    sample = f"USING SAMPLE {100.0 * SHAPE_ROWS / rows:.4f} PERCENT (system, 7)" if rows > SHAPE_ROWS else ""
    template = f"""
    WITH p AS MATERIALIZED (SELECT REGEXP_REPLACE(REGEXP_REPLACE(REGEXP_REPLACE(v, '[0-9]', '9', 'g'), '[a-z]', 'a',
                            'g'), '[A-Z]', 'A', 'g') AS p, COUNT(*) AS n
                            FROM (SELECT __c__ AS v FROM __t__ {sample}) AS r WHERE NOT v IS NULL GROUP BY 1)
    SELECT (SELECT LIST([p, CAST(n AS VARCHAR)] ORDER BY n DESC, p) FROM (SELECT p, n FROM p ORDER BY n DESC, p
            LIMIT {PATTERNS})), (SELECT COALESCE(SUM(n), 0) FROM p), {shares}"""
    return _fill(template, c=exp.column(column, quoted=True), t=_table(table)).sql("duckdb")


def _date_query(table: str, column: str) -> str:
    """Rows of the column each date format parses (only asked of columns shaped like dates)."""
    counts = ", ".join(f"COALESCE(SUM(n) FILTER (WHERE NOT TRY_STRPTIME(s, '{f}') IS NULL), 0)" for f in DATE_FORMATS)
    template = f"""WITH s AS (SELECT CAST(__col__ AS VARCHAR) AS s, COUNT(*) AS n FROM __tbl__
                   WHERE NOT __col__ IS NULL GROUP BY 1) SELECT {counts} FROM s"""
    return _fill(template, col=exp.column(column, quoted=True), tbl=_table(table)).sql("duckdb")


def _pairs_query(table: str, pairs: list[tuple[str, str]]) -> str:
    """Distinct counts of several column pairs in one scan (composite key candidates)."""
    select = exp.select(*(exp.Count(this=exp.Distinct(expressions=[exp.Tuple(expressions=[
        exp.column(a, quoted=True), exp.column(b, quoted=True)])])) for a, b in pairs)).from_(_table(table))
    return select.sql("duckdb")


def _containment_query(table: str, column: str, ref_table: str, ref_column: str) -> str:
    template = """SELECT COUNT(*), COUNT(k.v) FROM (SELECT DISTINCT __a__ AS v FROM __t__ WHERE NOT __a__ IS NULL) AS d
                  LEFT JOIN (SELECT DISTINCT __b__ AS v FROM __r__) AS k ON d.v = k.v"""
    return _fill(template, a=exp.column(column, quoted=True), t=_table(table), b=exp.column(ref_column, quoted=True),
                 r=_table(ref_table)).sql("duckdb")


# ------------------------------------------------------------------------------------------ attaching

_FLAT_FILES = {".csv": "read_csv_auto", ".tsv": "read_csv_auto", ".txt": "read_csv_auto",
               ".parquet": "read_parquet", ".pq": "read_parquet"}


@contextmanager
def opened(src: str, schema: str | None = None):
    """A DuckDB connection with the source attached as ``src``, and the source's schema (tables, keys)."""
    from toolkit.load.introspect import import_live, is_url, public_url
    from toolkit.run.engines.duckdb import attach_file, attach_url
    from toolkit.load.source_schema import file_head, import_duckdb, import_sqlite

    con = duckdb.connect(":memory:")
    try:
        if is_url(src):
            source_schema = import_live("profile", src, schema, counts=False)
            attach_url(con, ALIAS, src, source_schema.database_schema, public_url(src))
        else:
            path = Path(src)
            if not path.is_file():
                raise DictError(Problem(src, 1, "file not found" if not path.exists() else "not a regular file",
                                        "give a SQLite/DuckDB database, a CSV or Parquet file, or a postgresql:// "
                                        "or mysql:// URL"))
            head = file_head(path)
            if head.startswith(b"SQLite format 3"):
                source_schema = import_sqlite(path, "profile", path.name)
                attach_file(con, ALIAS, path)
            elif path.suffix.lower() in (".duckdb", ".ddb") or head[8:12] == b"DUCK":
                source_schema = import_duckdb(path, "profile", path.name, schema or "main")
                if (schema or "main") == "main":
                    attach_file(con, ALIAS, path)
                else:
                    _schema_views(con, path, schema, source_schema)
            elif path.suffix.lower() in _FLAT_FILES:
                source_schema = _flat_file(con, path)
            else:
                raise DictError(Problem(src, 1, "cannot profile this file",
                                        "give a SQLite/DuckDB database or a .csv/.tsv/.parquet file"))
        yield con, source_schema
    except duckdb.Error as exc:
        raise DictError(Problem(src if not is_url(src) else public_url(src), 1,
                                f"cannot read the source: {str(exc).splitlines()[0]}")) from None
    finally:
        con.close()


def _schema_views(con: duckdb.DuckDBPyConnection, path: Path, schema: str, source_schema: SourceSchema) -> None:
    """A DuckDB file's tables of another schema than main, as views named ``src.<table>``."""
    from toolkit.run.engines.duckdb import attach_file

    attach_file(con, f"{ALIAS}_file", path)
    con.execute(_create_schema(ALIAS))
    for name in source_schema.tables:
        inner = exp.Table(this=exp.to_identifier(name, quoted=True), db=exp.to_identifier(schema, quoted=True),
                          catalog=exp.to_identifier(f"{ALIAS}_file", quoted=True))
        con.execute(exp.Create(this=_table(name), kind="VIEW", expression=exp.select("*").from_(inner)).sql("duckdb"))


def _create_schema(name: str) -> str:
    return exp.Create(this=exp.Table(this=exp.to_identifier(name, quoted=True)), kind="SCHEMA").sql("duckdb")


def _flat_file(con: duckdb.DuckDBPyConnection, path: Path) -> SourceSchema:
    """A CSV or Parquet file as one table named after the file."""
    name = path.stem
    reader = _FLAT_FILES[path.suffix.lower()]
    con.execute(_create_schema(ALIAS))
    view = exp.Create(this=_table(name), kind="VIEW",
                      expression=exp.select("*").from_(exp.Anonymous(this=reader, expressions=[exp.Literal.string(str(path))])))
    con.execute(view.sql("duckdb"))
    described = con.execute(exp.Describe(this=_table(name)).sql("duckdb")).fetchall()
    columns = {r[0]: Column(r[0], r[1], from_native_text(r[1]), True) for r in described}
    return SourceSchema("profile", {name: Table(name, columns)}, "duckdb", "", path.name)


# ------------------------------------------------------------------------------------------ profiling

def profile_source(src: str, schema: str | None = None, tables: tuple[str, ...] = (),
                   foreign_keys: bool = True) -> SourceProfile:
    """Profile every table of ``src`` (or those named), with key and foreign-key candidates."""
    from toolkit.load.introspect import is_url, public_url

    with opened(src, schema) as (con, source_schema):
        chosen = [t for t in source_schema.tables.values() if not tables or t.name in tables]
        profiles = tuple(profile_table(con, t) for t in chosen)
        fks = inclusion_candidates(con, profiles, source_schema) if foreign_keys else ()
    shown = public_url(src) if is_url(src) else src
    return SourceProfile(shown, profiles, fks, source_schema)


def profile_table(con: duckdb.DuckDBPyConnection, table: Table) -> TableProfile:
    """Each column's profile (one scan for the counts, then top values and shapes), then the candidate keys."""
    described = {r[0]: r[1] for r in con.execute(exp.Describe(this=_table(table.name)).sql("duckdb")).fetchall()}
    # DuckDB's own names: the ones its SQL must use (SQLAlchemy spells a MySQL name holding ` as ``)
    names = list(described.items())
    stats = iter(con.execute(_stats_query(table.name, [(n, _is_text(t)) for n, t in names])).fetchone())
    rows = int(next(stats))
    columns = []
    for name, duck_type in names:
        filled, lo, hi = next(stats), next(stats), next(stats)
        distinct = con.execute(_distinct_query(table.name, name)).fetchone()[0]
        blanks, min_len, max_len, avg_len = (next(stats), next(stats), next(stats), next(stats)) if _is_text(duck_type) \
            else (0, None, None, None)
        profile = ColumnProfile(table.name, name, duck_type, rows, rows - int(filled), int(blanks), int(distinct), lo, hi,
                                min_len, max_len, round(float(avg_len), 2) if avg_len is not None else None, (), ())
        columns.append(_values(con, profile))
    return TableProfile(table.name, rows, tuple(columns), table.primary_key,
                        _candidate_keys(con, table.name, tuple(columns)))


def _values(con: duckdb.DuckDBPyConnection, c: ColumnProfile) -> ColumnProfile:
    """The column's top values (unless every value is distinct), its shapes and meaning (text columns)."""
    top = con.execute(_top_query(c.table, c.column)).fetchone()[0] if 0 < c.distinct < c.rows - c.nulls else []
    patterns, shares, shaped = [], {}, 0
    if _is_text(c.type) and c.distinct:
        row = con.execute(_shape_query(c.table, c.column, c.rows)).fetchone()
        patterns, shaped = row[0] or [], int(row[1])
        shares = {m: round(float(n) / shaped, 4) if shaped else 0.0 for m, n in zip(MEANING_SHAPES, row[2:])}
    c = ColumnProfile(**{**c.__dict__, "top_values": tuple((v, int(n)) for v, n in top or ()),
                         "patterns": tuple((p, int(n)) for p, n in patterns), "shares": shares,
                         "shape_rows": shaped})
    meaning = _meaning(c)
    date_format = _date_format(con, c.table, c.column) if meaning == "date" else None
    return ColumnProfile(**{**c.__dict__, "meaning": meaning, "date_format": date_format})


def _is_text(duck_type: str) -> bool:
    return duck_type.upper().startswith(("VARCHAR", "TEXT", "CHAR", "STRING"))


def _meaning(c: ColumnProfile) -> str | None:
    """What the column's values are, from the share of rows of each shape (name hints break ties)."""
    if c.filled <= 0:
        return None
    if _is_text(c.type):
        fitting = [m for m, share in c.shares.items() if share >= MEANING_SHARE]
        hinted = [m for m in fitting if m in _NAME_HINTS and _NAME_HINTS[m].search(c.column)]
        if hinted:
            return hinted[0]
        for meaning in ("email", "date", "number", "phone"):
            if meaning in fitting:
                return meaning
        if "postcode" in fitting:
            return "postcode"
    if c.distinct <= CODE_LIST_MAX and c.distinct * 2 <= c.filled and c.distinct > 0:
        return "code list"
    return None


def _date_format(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str | None:
    """The format that parses most rows; the first listed wins a tie (d/m before m/d)."""
    counts = con.execute(_date_query(table, column)).fetchone()
    best = max(range(len(DATE_FORMATS)), key=lambda i: (counts[i], -i))
    return DATE_FORMATS[best] if counts[best] else None


def _candidate_keys(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[ColumnProfile, ...]) -> tuple:
    """Single columns with a distinct non-null value per row; failing those, pairs of the most varied columns."""
    singles = tuple((c.column,) for c in columns if c.unique)
    if singles or not columns or columns[0].rows == 0:
        return singles
    varied = sorted((c for c in columns if c.nulls == 0), key=lambda c: -c.distinct)[:5]
    pairs = [(a.column, b.column) for i, a in enumerate(varied) for b in varied[i + 1:]]
    if not pairs:
        return ()
    counts = con.execute(_pairs_query(table, pairs)).fetchone()
    return tuple(pair for pair, n in zip(pairs, counts) if n == columns[0].rows)


def _family(duck_type: str) -> str:
    t = duck_type.upper()
    if _is_text(t) or t == "UUID":
        return "text"
    if any(k in t for k in ("INT", "DECIMAL", "NUMERIC", "DOUBLE", "FLOAT", "REAL")):
        return "number"
    return t


def _comparable(value: str | None, family: str):
    if value is None:
        return None
    if family == "number":
        try:
            return float(value)
        except ValueError:
            return None
    return value


def _names_match(column: str, ref_table: str, ref_column: str) -> bool:
    """Whether a column's name points at the referenced key (CustomerId → Customer.CustomerId, SupportRepId → …Id)."""
    norm = lambda s: re.sub(r"[^0-9a-z]", "", s.lower())  # noqa: E731 - a one-line normaliser
    col, table, ref = norm(column), norm(ref_table), norm(ref_column)
    singular = table[:-1] if table.endswith("s") else table
    if ref in ("id", ""):   # a bare "id" names nothing: only the table's name can point at it
        return bool(singular) and singular in col
    return col == ref or (bool(singular) and singular in col) or (ref in col and col != ref)


def inclusion_candidates(con: duckdb.DuckDBPyConnection, tables: tuple[TableProfile, ...],
                         schema: SourceSchema) -> tuple[InclusionCandidate, ...]:
    """Columns whose distinct values lie in another table's key: candidate foreign keys, with their containment.

    Only pairs of one type family whose value ranges nest are queried; the ratio is exact (distinct values
    found / distinct values), so 1.0 is a true inclusion dependency on today's data.
    """
    declared = {(t.name, fk.columns[0], fk.references, fk.referenced_columns[0])
                for t in schema.tables.values() for fk in t.foreign_keys if len(fk.columns) == 1 and fk.referenced_columns}
    keys = [(t, t.column(k[0])) for t in tables for k in set(t.candidate_keys) | ({t.primary_key} if len(t.primary_key) == 1 else set())
            if len(k) == 1 and t.column(k[0]) is not None]
    found = []
    for t in tables:
        for c in t.columns:
            if c.distinct == 0:
                continue
            for ref_table, ref in keys:
                if (t.name, c.column) == (ref_table.name, ref.column):
                    continue
                is_declared = (t.name, c.column, ref_table.name, ref.column) in declared
                if not is_declared and not _may_include(c, ref):
                    continue
                if _dense_cover(c, ref):
                    ratio = 1.0
                else:
                    total, inside = con.execute(_containment_query(t.name, c.column, ref_table.name, ref.column)).fetchone()
                    ratio = inside / total if total else 0.0
                if ratio >= MIN_CONTAINMENT or is_declared:
                    found.append(InclusionCandidate(t.name, c.column, ref_table.name, ref.column, round(ratio, 4),
                                                    c.distinct, ref.distinct, is_declared, _names_match(c.column, ref_table.name, ref.column)))
    return tuple(sorted(_strongest(found), key=lambda f: (not f.declared, not f.name_match, -f.containment,
                                                          f.table, f.column, f.ref_table)))


def _strongest(found: list[InclusionCandidate], keep: int = 3) -> list[InclusionCandidate]:
    """Per column: its declared or name-matching references when it has some, else the ``keep`` tightest.

    Small surrogate keys (1..N) nest in every larger one; the name or the tightest superset tells them apart.
    """
    by_column: dict[tuple[str, str], list[InclusionCandidate]] = {}
    for f in found:
        by_column.setdefault((f.table, f.column), []).append(f)
    kept = []
    for candidates in by_column.values():
        strong = [f for f in candidates if f.declared or f.name_match]
        kept += strong or sorted(candidates, key=lambda f: (-f.containment, f.ref_distinct))[:keep]
    return kept


def _is_integer(duck_type: str) -> bool:
    return duck_type.upper() in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                                 "UINTEGER", "UBIGINT")


def _dense_cover(c: ColumnProfile, ref: ColumnProfile) -> bool:
    """An integer key holding every integer from its min to its max contains any integer column within that
    range: the containment is 1 without a query (exact, from the two profiles' counts)."""
    if not (_is_integer(c.type) and _is_integer(ref.type) and ref.unique and c.min is not None and ref.min is not None):
        return False
    lo, hi, ref_lo, ref_hi = int(c.min), int(c.max), int(ref.min), int(ref.max)
    return ref.distinct == ref_hi - ref_lo + 1 and ref_lo <= lo and hi <= ref_hi


def _may_include(c: ColumnProfile, ref: ColumnProfile) -> bool:
    """Cheap tests from the two profiles: same type family, fewer distinct values, nested min/max, and not two
    unrelated surrogate keys (a key column only points at a key of its own name)."""
    family = _family(c.type)
    if family != _family(ref.type) or family not in ("text", "number") or c.distinct > ref.distinct or c.distinct < 2:
        return False
    lo, hi = _comparable(c.min, family), _comparable(c.max, family)
    ref_lo, ref_hi = _comparable(ref.min, family), _comparable(ref.max, family)
    if None in (lo, hi, ref_lo, ref_hi) or lo < ref_lo or hi > ref_hi:
        return False
    if c.unique and not _names_match(c.column, ref.table, ref.column):
        return False
    return True


def html_page(profile: SourceProfile) -> str:
    """A self-contained page of the profile with bar charts (HTML and CSS only; every name and value escaped)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).resolve().parents[1] / "emit" / "templates" / "profile")),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    return env.get_template("page.html.j2").render(profile=profile)
