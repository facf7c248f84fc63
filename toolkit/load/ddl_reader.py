"""A source schema from DDL as real dumps write it: pg_dump -s, mysqldump --no-data, SQL Server scripts.

The text is cut into statements by the dialect's own sqlglot tokenizer (so dollar-quoted function
bodies, quoted semicolons and comments stay whole), after client directives the server never sees
are blanked out: psql meta-commands (``\\restrict``, ``\\connect``…), SQL Server's ``GO`` and the
mysql client's ``DELIMITER``. Each statement is parsed on its own: CREATE TABLE gives tables,
ALTER TABLE … ADD CONSTRAINT gives keys, COMMENT ON gives descriptions; any other statement,
or one sqlglot cannot parse, is skipped and counted in ``Imported.skipped``, never fatal.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field, replace

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from toolkit.core.errors import DictError, Problem
from toolkit.load.source_schema import Column, ForeignKey, Imported, SourceSchema, Table
from toolkit.core.types import from_native_text

_PSQL_META = re.compile(r"^[ \t]*\\[A-Za-z!?].*$", re.M)
_GO = re.compile(r"^[ \t]*GO(?:[ \t]+\d+)?[ \t]*$", re.M | re.I)
_DELIMITER = re.compile(r"^[ \t]*DELIMITER[ \t]+(\S+)[ \t]*$", re.M | re.I)


@dataclass
class _Draft:
    name: str
    columns: dict[str, Column]
    pk: list[str] = field(default_factory=list)
    fks: list[ForeignKey] = field(default_factory=list)
    unique: list[tuple[str, ...]] = field(default_factory=list)
    description: str = ""

    def table(self) -> Table:
        pk = tuple(self.pk)
        columns = {n: (replace(c, nullable=False) if n in pk else c) for n, c in self.columns.items()}
        return Table(self.name, columns, pk, tuple(self.fks), self.description,
                     unique=tuple(u for u in dict.fromkeys(self.unique) if u != pk))


def _blank(match: re.Match) -> str:
    return " " * len(match.group(0))


def _client_directives_out(text: str) -> str:
    """Text with client-only lines blanked (same length and line numbers); GO ends a statement."""
    text = _PSQL_META.sub(_blank, text)
    text = _GO.sub(lambda m: ";" + " " * (len(m.group(0)) - 1), text)
    out, delimiter, pos = [], ";", 0
    for m in _DELIMITER.finditer(text):
        out.append(_with_delimiter(text[pos:m.start()], delimiter))
        out.append(" " * len(m.group(0)))
        delimiter, pos = m.group(1), m.end()
    out.append(_with_delimiter(text[pos:], delimiter))
    return "".join(out)


def _with_delimiter(chunk: str, delimiter: str) -> str:
    """A chunk written under mysql's ``DELIMITER X``: each X that ends a line ends a statement."""
    if delimiter == ";":
        return chunk
    return re.sub(re.escape(delimiter) + r"(?=[ \t]*$)", lambda m: ";" + " " * (len(m.group(0)) - 1), chunk, flags=re.M)


def statements(text: str, dialect: str, display: str) -> list[tuple[int, str]]:
    """(line, text) of each statement, cut at the tokenizer's top-level semicolons."""
    cleaned = _client_directives_out(text)
    try:
        tokens = Dialect.get_or_raise(dialect or None).tokenize(cleaned)
    except TokenError as exc:
        line = _line_of(str(exc))
        raise DictError(Problem(display, line, f"cannot read the DDL: {exc}".splitlines()[0],
                                "an unterminated quote or comment; check the statement at this line")) from None
    out, first = [], None
    for tok in tokens:
        if tok.token_type == TokenType.SEMICOLON:
            if first is not None:
                out.append((first.line, cleaned[first.start:tok.start]))
            first = None
        elif first is None:
            first = tok
    if first is not None:
        out.append((first.line, cleaned[first.start:]))
    return out


def native_type(data_type: exp.DataType, dialect: str) -> str:
    """A column type as the source's own dialect spells it (one spelling for DDL and live catalogs)."""
    return data_type.sql(dialect=dialect or "duckdb")


def _line_of(message: str) -> int:
    m = re.search(r"[Ll]ine (\d+)", message)
    return int(m.group(1)) if m else 1


def _kind(statement: str) -> str:
    """A short name for a skipped statement, e.g. 'CREATE FUNCTION' or 'SET'."""
    words = re.findall(r"[A-Za-z_]+", statement)[:4]
    upper = [w.upper() for w in words]
    for i, w in enumerate(upper):
        if w in ("CREATE", "ALTER", "DROP", "COMMENT") and i + 1 < len(upper):
            rest = [x for x in upper[i + 1:] if x not in ("OR", "REPLACE", "UNIQUE", "TEMPORARY", "TEMP", "IF", "NOT",
                                                          "EXISTS", "ONLY", "DEFINER")]
            return f"{w} {rest[0]}" if rest else w
    return upper[0] if upper else "?"


def import_ddl(text: str, source: str, dialect: str, imported_from: str) -> Imported:
    """Tables, keys and comments from DDL; unusable statements are counted, never fatal."""
    drafts: dict[str, _Draft] = {}
    skipped: Counter = Counter()
    quiet = logging.getLogger("sqlglot")
    level, quiet.level = quiet.level, logging.ERROR  # "falling back to a Command" is our skip, not the user's error
    try:
        for line, statement in statements(text, dialect, imported_from):
            try:
                parsed = sqlglot.parse_one(statement, read=dialect or None)
            except (ParseError, TokenError, ValueError, RecursionError):
                parsed = None
            if parsed is None or not _apply(parsed, drafts, dialect):
                skipped[_kind(statement)] += 1
    finally:
        quiet.level = level
    if not drafts:
        kinds = ", ".join(f"{n} {k}" for k, n in skipped.most_common(5))
        raise DictError(Problem(imported_from, 1, "no CREATE TABLE statement found"
                                + (f" (skipped {sum(skipped.values())}: {kinds})" if skipped else ""),
                                f"is this the schema DDL? read as {dialect or 'generic'} SQL"
                                + ("" if dialect else "; pass --dialect (e.g. postgres, mysql, tsql)")))
    tables = {name: d.table() for name, d in drafts.items()}
    return Imported(SourceSchema(source, tables, dialect or "", "", imported_from), dict(skipped.most_common()))


def _apply(parsed: exp.Expression, drafts: dict[str, _Draft], dialect: str) -> bool:
    """Record what a statement says about tables; False when it says nothing usable."""
    if isinstance(parsed, exp.Create) and (parsed.args.get("kind") or "").upper() == "TABLE":
        return _create_table(parsed, drafts, dialect)
    if isinstance(parsed, exp.Alter) and (parsed.args.get("kind") or "").upper() == "TABLE":
        draft = _find(drafts, parsed.this)
        if draft is None:
            return False
        used = False
        for action in parsed.args.get("actions") or []:
            if isinstance(action, exp.AddConstraint):
                for constraint in action.expressions:
                    used |= _constraint(draft, constraint)
        return used
    if isinstance(parsed, exp.Comment):
        return _comment(parsed, drafts)
    return False


def _find(drafts: dict[str, _Draft], table: exp.Expression | None) -> _Draft | None:
    name = table.name if isinstance(table, exp.Table) else ""
    if name in drafts:
        return drafts[name]
    folded = [d for n, d in drafts.items() if n.lower() == name.lower()]
    return folded[0] if len(folded) == 1 else None


def _create_table(stmt: exp.Create, drafts: dict[str, _Draft], dialect: str) -> bool:
    schema_node = stmt.this
    if not isinstance(schema_node, exp.Schema) or not isinstance(schema_node.this, exp.Table):
        return False  # CREATE TABLE … AS SELECT, or LIKE: no columns to read
    if any(isinstance(p, exp.PartitionedOfProperty) for p in (stmt.args.get("properties") or exp.Properties()).expressions):
        return False  # a partition of a parent table already read
    draft = _Draft(schema_node.this.name, {})
    for item in schema_node.expressions:
        if isinstance(item, exp.ColumnDef):
            _column(draft, item, dialect)
        else:
            _constraint(draft, item)
    for prop in (stmt.args.get("properties") or exp.Properties()).expressions:
        if isinstance(prop, exp.SchemaCommentProperty):
            draft.description = prop.this.name
    drafts[draft.name] = draft
    return True


def _column(draft: _Draft, item: exp.ColumnDef, dialect: str) -> None:
    kind = item.args.get("kind")
    native = native_type(kind, dialect) if kind else ""
    constraints = item.args.get("constraints") or []
    not_null = any(isinstance(c.kind, exp.NotNullColumnConstraint) and not c.kind.args.get("allow_null")
                   for c in constraints)
    description = ""
    for c in constraints:
        if isinstance(c.kind, exp.PrimaryKeyColumnConstraint):
            draft.pk.append(item.name)
        elif isinstance(c.kind, exp.UniqueColumnConstraint):
            draft.unique.append((item.name,))
        elif isinstance(c.kind, exp.CommentColumnConstraint):
            description = c.kind.this.name if isinstance(c.kind.this, exp.Literal) else ""
        elif isinstance(c.kind, exp.Reference):
            ref = c.kind.this
            ref_table = ref.this.name if isinstance(ref, exp.Schema) else ref.name
            ref_cols = tuple(e.name for e in ref.expressions) if isinstance(ref, exp.Schema) else ()
            draft.fks.append(ForeignKey((item.name,), ref_table, ref_cols))
    draft.columns[item.name] = Column(item.name, native, from_native_text(native), not not_null, description=description)


def _constraint(draft: _Draft, item: exp.Expression) -> bool:
    """A table-level constraint (inline in CREATE TABLE or added by ALTER TABLE)."""
    parts = item.expressions if isinstance(item, exp.Constraint) else [item]
    used = False
    if any(isinstance(part, exp.PrimaryKeyColumnConstraint) for part in parts):
        # SQL Server: CONSTRAINT pk PRIMARY KEY CLUSTERED (col ASC)
        for part in parts:
            if isinstance(part, (exp.ClusteredColumnConstraint, exp.NonClusteredColumnConstraint)):
                draft.pk.extend(_names(part.this or []))
                used = True
    for part in parts:
        if isinstance(part, exp.PrimaryKey):
            draft.pk.extend(_names(part.expressions))
            used = True
        elif isinstance(part, exp.ForeignKey):
            ref = part.args.get("reference")
            target = ref.this if ref is not None else None
            ref_table = target.this.name if isinstance(target, exp.Schema) else (target.name if target else "")
            ref_cols = tuple(_names(target.expressions)) if isinstance(target, exp.Schema) else ()
            draft.fks.append(ForeignKey(tuple(_names(part.expressions)), ref_table, ref_cols))
            used = True
        elif isinstance(part, exp.UniqueColumnConstraint) and isinstance(part.this, exp.Schema):
            draft.unique.append(tuple(_names(part.this.expressions)))
            used = True
    return used


def _names(items) -> list[str]:
    """Column names of a key's column list (``Ordered``/``Column`` wrappers and prefix lengths dropped)."""
    out = []
    for e in items:
        while isinstance(e, (exp.Ordered, exp.Paren)):
            e = e.this
        if isinstance(e, exp.Anonymous):  # MySQL prefix index: `name`(10)
            out.append(str(e.this))
        else:
            out.append(e.name)
    return out


def _comment(stmt: exp.Comment, drafts: dict[str, _Draft]) -> bool:
    kind = (stmt.args.get("kind") or "").upper()
    text = stmt.expression.name if isinstance(stmt.expression, exp.Literal) else ""
    target = stmt.this
    if kind == "TABLE":
        draft = _find(drafts, target)
        if draft is not None:
            draft.description = text
            return True
    elif kind == "COLUMN" and isinstance(target, exp.Column):
        draft = _find(drafts, exp.Table(this=exp.to_identifier(target.table)))
        if draft is not None and target.name in draft.columns:
            draft.columns[target.name] = replace(draft.columns[target.name], description=text)
            return True
    return False
