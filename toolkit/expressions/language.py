"""The closed mapping-expression language: parse with sqlglot, check, type and bind.

An expression is one SQL scalar expression in sqlglot's neutral dialect. It may use
column references, literals, arithmetic, comparisons, boolean logic, CASE, CAST and the
functions in ``functions.FUNCTIONS``. Everything else (statements, ``;``, subqueries,
comments, unknown functions or columns) is refused with the file, line and expression.

Binding qualifies and quotes every column with its table alias, expands GLOBAL_ID and
records the columns read, so generators get a neutral AST they can render for any
dialect (or Python) without looking back at the mapping.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from toolkit.core.limits import MAX_CAST_NESTING, MAX_EXPRESSION_CHARS, MAX_EXPRESSION_DEPTH, MAX_SQL_NODES
from toolkit.load.source_schema import Table
from toolkit.core.types import SQL_TYPES, Type
from toolkit.expressions.cost import sql_size
from toolkit.expressions.functions import BY_NODE, GLOBAL_ID, OWN_FUNCTIONS, _accepts, common_type
from toolkit.core.regex_safety import UnsafePattern, check_pattern
from toolkit.expressions.standardise import STANDARDISERS, Standardiser, StandardiseError, arity, country_code

# Nodes allowed besides whitelisted functions.
_STRUCTURE = (exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.DataType,
              exp.DataTypeParam, exp.Star)
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg)
_COMPARISON = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Between, exp.Like,
               exp.ILike)
_LOGIC = (exp.And, exp.Or, exp.Not)
_CHOICE = (exp.Case, exp.If)
_CASTS = (exp.Cast, exp.TryCast)

_CAST_TARGETS = {
    exp.DataType.Type.VARCHAR: Type.STRING, exp.DataType.Type.TEXT: Type.STRING, exp.DataType.Type.CHAR: Type.STRING,
    exp.DataType.Type.NVARCHAR: Type.STRING, exp.DataType.Type.NCHAR: Type.STRING,
    exp.DataType.Type.INT: Type.INTEGER, exp.DataType.Type.BIGINT: Type.INTEGER,
    exp.DataType.Type.SMALLINT: Type.INTEGER, exp.DataType.Type.DECIMAL: Type.DECIMAL,
    exp.DataType.Type.DOUBLE: Type.FLOAT, exp.DataType.Type.FLOAT: Type.FLOAT,
    exp.DataType.Type.BOOLEAN: Type.BOOLEAN, exp.DataType.Type.DATE: Type.DATE,
    exp.DataType.Type.TIMESTAMP: Type.DATETIME, exp.DataType.Type.DATETIME: Type.DATETIME,
}


# levels standardisation functions may add above their arguments once expanded (standardise.py), all together
EXPANSION_DEPTH = 12


def _calls_standardiser(tree: exp.Expression) -> bool:
    return any(node.name.upper() in STANDARDISERS for node in tree.find_all(exp.Anonymous))


class ExpressionError(Exception):
    """What is wrong with an expression, in words a mapping author can act on."""


@dataclass(frozen=True)
class ColumnRef:
    alias: str   # the name the table goes by in this derivation
    table: str   # source table name
    column: str  # source column name


@dataclass(frozen=True)
class Expr:
    """A checked, typed, bound expression."""

    text: str
    ast: exp.Expression
    type: Type
    columns: tuple[ColumnRef, ...]
    aggregate: bool = False
    # CASTs the author wrote (strict): a value they cannot convert makes the row a reject.
    # TRY_CAST is lenient: an unconvertible value quietly becomes NULL.
    strict_casts: tuple[exp.TryCast, ...] = ()


@dataclass
class Scope:
    """What an expression may refer to: the tables of one class derivation."""

    source: str
    driving: str                                   # alias of the driving table
    tables: dict[str, Table]                       # alias -> table
    classes: frozenset[str] = frozenset()          # canonical classes GLOBAL_ID may name
    allow_aggregates: bool = False
    _read: list[ColumnRef] = field(default_factory=list)


def parse(text: str) -> exp.Expression:
    """Parse one expression; refuse statements, several statements and comments."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expression is empty")
    outside = _check_text_size(text)
    try:
        trees = sqlglot.parse(text, read=None)
    except (ParseError, TokenError) as exc:
        detail = exc.errors[0]["description"] if isinstance(exc, ParseError) and exc.errors else str(exc).splitlines()[0]
        raise ExpressionError(f"not a valid SQL expression: {detail}") from None
    except RecursionError:
        # nesting without parentheses (NOT NOT ..., CASE WHEN CASE WHEN ...) the pre-scan cannot see
        raise ExpressionError(_TOO_DEEP.format(depth=f"more than {MAX_EXPRESSION_DEPTH}")) from None
    trees = [t for t in trees if t is not None]
    if len(trees) != 1 or ";" in outside:
        raise ExpressionError("exactly one expression is allowed (no ';' or several statements)")
    tree = trees[0]
    _check_tree_size(tree)
    for node in tree.walk():
        if node.comments:
            raise ExpressionError("comments are not allowed in expressions")
    if "--" in outside or "/*" in outside:
        raise ExpressionError("comments are not allowed in expressions")
    return tree


_TOO_DEEP = ("the expression nests {depth} levels deep; at most " + str(MAX_EXPRESSION_DEPTH) + " are allowed "
             "(each function, operator and parenthesis is a level; a || b || c is two): simplify it, e.g. with "
             "value_mappings or a CASE with several WHEN branches")


def _check_text_size(text: str) -> str:
    """Refuse, before the parser sees it, an expression longer than the limit or whose parentheses
    alone nest deeper than the tree may (the parser would recurse once per level, and more); the text
    outside quotes, which the other checks of ``parse`` read."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"the expression is {len(text):,} characters long; at most {MAX_EXPRESSION_CHARS:,} are "
                              "allowed: write long code lists as value_mappings")
    depth = deepest = 0
    outside = _outside_strings(text)
    for ch in outside:
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    if deepest > MAX_EXPRESSION_DEPTH:
        raise ExpressionError(_TOO_DEEP.format(depth=f"at least {deepest}"))
    return outside


def _check_tree_size(tree: exp.Expression, slack: int = 0, expanded: str = "") -> None:
    """Refuse a tree deeper than MAX_EXPRESSION_DEPTH or with CASTs nested deeper than MAX_CAST_NESTING,
    walking it without recursion; every later stage recurses over it. A name (the identifier in a column
    reference) is part of its column, not a level of its own."""
    stack = [(tree, 1, 0)]
    while stack:
        node, depth, casts = stack.pop()
        if depth > MAX_EXPRESSION_DEPTH + slack:
            raise ExpressionError(_TOO_DEEP.format(depth=f"at least {depth - slack}{expanded}"))
        if isinstance(node, exp.Cast):
            casts += 1
            if casts > MAX_CAST_NESTING + slack:
                raise ExpressionError(f"CASTs nested {casts} deep; at most {MAX_CAST_NESTING} are allowed (each CAST is "
                                      "also checked on its own, which repeats what is inside it): cast once, to the "
                                      "type needed in the end")
        stack.extend((child, depth + (not isinstance(child, exp.Identifier)), casts) for child in node.iter_expressions())


def _check_sql_size(bound: exp.Expression, checker: "_Checker") -> None:
    """Refuse an expression whose SQL would grow past MAX_SQL_NODES in some dialect (see ``cost``)."""
    def operand_type(node: exp.Expression) -> Type | None:
        try:
            return checker.type_of_bound(node)
        except ExpressionError:
            return None

    # each strict CAST is also checked on its own: its operand is written again for the check
    size = sum(sql_size(tree, operand_type, lambda to: _CAST_TARGETS.get(to.this))
               for tree in [bound, *checker.strict_casts])
    if size > MAX_SQL_NODES:
        shown = f"{size:,}" if size < 10**12 else f"about 10^{len(str(size)) - 1}"
        raise ExpressionError(f"in the SQL of some dialects this expression grows to {shown} nodes; at most "
                              f"{MAX_SQL_NODES:,} are allowed (SQL has no variables: STR_TO_DATE, INITCAP, LPAD, "
                              "GREATEST, LEAST and CASTs from text repeat their argument, and nested they multiply): "
                              "nest fewer of them")


def _outside_strings(text: str) -> str:
    """``text`` with the contents of quoted strings and identifiers removed."""
    out, quote = [], None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "'\"`":
            quote = ch
            continue
        out.append(ch)
    return "".join(out)


def compile_expression(text: str, scope: Scope) -> Expr:
    """Parse, check, type and bind ``text`` in ``scope``; raise ExpressionError if it is not allowed."""
    tree = parse(text)
    scope._read = []
    checker = _Checker(scope)
    typ = checker.type_of(tree)
    bound = checker.bind(tree.copy())
    # binding adds a CAST around an integer joined by || (one level) and expands GLOBAL_ID into a chain
    # and a standardisation function into its definition (the bound tree stays within what later stages handle)
    standardised = _calls_standardiser(tree)
    _check_tree_size(bound, slack=1 + EXPANSION_DEPTH * standardised,
                     expanded=" once GLOBAL_ID is expanded (two levels per key)" if not standardised else
                     " once GLOBAL_ID and the standardisation functions are expanded")
    _check_sql_size(bound, checker)
    refs = tuple(dict.fromkeys(scope._read))
    return Expr(text.strip(), bound, typ, refs, checker.saw_aggregate,
                tuple(c.copy() for c in checker.strict_casts))


class _Checker:
    def __init__(self, scope: Scope):
        self.scope = scope
        self.saw_aggregate = False
        self._in_aggregate = False
        self.strict_casts: list[exp.TryCast] = []

    # -------------------------------------------------------------- typing + whitelist
    def type_of(self, node: exp.Expression) -> Type:
        if isinstance(node, exp.Paren):
            return self.type_of(node.this)
        if isinstance(node, exp.Column):
            return self._column(node)[1].type
        if isinstance(node, exp.Literal):
            if node.is_string:
                return Type.STRING
            return Type.INTEGER if node.this.lstrip("-").isdigit() else Type.DECIMAL
        if isinstance(node, exp.Boolean):
            return Type.BOOLEAN
        if isinstance(node, exp.Null):
            return Type.NULL
        if isinstance(node, exp.Neg):
            return self._numeric(node.this, "-")
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
            left, right = self._numeric(node.this, node.key), self._numeric(node.expression, node.key)
            return common_type([left, right]) or Type.FLOAT
        if isinstance(node, exp.Div):
            self._numeric(node.this, "/")
            self._numeric(node.expression, "/")
            return Type.FLOAT
        if isinstance(node, exp.Mod):
            self._numeric(node.this, "%")
            self._numeric(node.expression, "%")
            return Type.INTEGER
        if isinstance(node, exp.DPipe):
            for side in (node.this, node.expression):
                t = self.type_of(side)
                if t not in (Type.STRING, Type.INTEGER, Type.NULL):
                    raise ExpressionError(f"'||' joins text, but `{side.sql()}` is {t.value}: CAST it AS TEXT first")
            return Type.STRING
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            self._comparable(node.this, node.expression)
            return Type.BOOLEAN
        if isinstance(node, exp.Is):
            self.type_of(node.this)
            if not isinstance(node.expression, (exp.Null, exp.Boolean)):
                raise ExpressionError("IS may only be followed by NULL, TRUE or FALSE")
            return Type.BOOLEAN
        if isinstance(node, exp.In):
            if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
                raise ExpressionError("IN takes a list of values, not a subquery")
            for item in node.expressions:
                if not isinstance(item, (exp.Literal, exp.Null, exp.Boolean, exp.Neg)):
                    raise ExpressionError(f"IN lists literal values only, not `{item.sql()}`")
                self._comparable(node.this, item)
            return Type.BOOLEAN
        if isinstance(node, exp.Between):
            self._comparable(node.this, node.args["low"])
            self._comparable(node.this, node.args["high"])
            return Type.BOOLEAN
        if isinstance(node, (exp.Like, exp.ILike)):
            for side in (node.this, node.expression):
                if self.type_of(side) not in (Type.STRING, Type.NULL):
                    raise ExpressionError(f"LIKE compares text, but `{side.sql()}` is not text")
            if node.args.get("escape"):
                raise ExpressionError("LIKE ... ESCAPE is not supported")
            return Type.BOOLEAN
        if isinstance(node, (exp.And, exp.Or)):
            self._boolean(node.this)
            self._boolean(node.expression)
            return Type.BOOLEAN
        if isinstance(node, exp.Not):
            self._boolean(node.this)
            return Type.BOOLEAN
        if isinstance(node, exp.Case):
            if node.this is not None:
                subject = node.this
                for branch in node.args.get("ifs") or []:
                    self._comparable(subject, branch.this)
            else:
                for branch in node.args.get("ifs") or []:
                    self._boolean(branch.this)
            results = [self.type_of(b.args["true"]) for b in node.args.get("ifs") or []]
            if node.args.get("default") is not None:
                results.append(self.type_of(node.args["default"]))
            return self._common(results, "CASE branches")
        if isinstance(node, exp.If):
            self._boolean(node.this)
            results = [self.type_of(node.args["true"])]
            if node.args.get("false") is not None:
                results.append(self.type_of(node.args["false"]))
            return self._common(results, "IF branches")
        if isinstance(node, _CASTS):
            self.type_of(node.this)
            target = _CAST_TARGETS.get(node.to.this)
            if target is None:
                raise ExpressionError(f"CAST to {node.to.sql()} is not supported; use TEXT, INTEGER, DECIMAL(p,s), "
                                      "DOUBLE, BOOLEAN, DATE or TIMESTAMP")
            return target
        if isinstance(node, exp.Anonymous):
            return self._own_function(node)
        if isinstance(node, exp.Func) and type(node) in BY_NODE:
            return self._function(node)
        raise ExpressionError(_refusal(node))

    def _function(self, node: exp.Func) -> Type:
        fn = BY_NODE[type(node)]
        if fn.aggregate:
            if not self.scope.allow_aggregates:
                raise ExpressionError(f"{fn.name} aggregates rows: only allowed in a derivation with group_by")
            if self._in_aggregate:
                raise ExpressionError(f"aggregates cannot be nested ({fn.name} inside another aggregate)")
            self.saw_aggregate = True
        if isinstance(node, exp.Count):
            arg = node.this
            if isinstance(arg, exp.Distinct):
                raise ExpressionError("COUNT(DISTINCT ...) is not supported")
            if arg is None or isinstance(arg, exp.Star):
                return Type.INTEGER
        args = _positional(node)
        if len(args) < fn.min_args:
            raise ExpressionError(f"{fn.name} needs at least {fn.min_args} argument(s)")
        types = []
        self._in_aggregate = fn.aggregate or self._in_aggregate
        try:
            for i, arg in enumerate(args):
                kind = fn.args[i] if i < len(fn.args) else (fn.args[-1] if fn.variadic else "any")
                t = self.type_of(arg)
                if not _accepts(kind, t):
                    raise ExpressionError(f"{fn.name} expects {kind} for argument {i + 1}, but `{arg.sql()}` is {t.value}"
                                          + (": wrap it in CAST(... AS TEXT)" if kind == "text" else ""))
                types.append(t)
        finally:
            self._in_aggregate = self._in_aggregate and not fn.aggregate
        if fn.exact_arity and len(args) != len(fn.args):
            raise ExpressionError(fn.exact_arity)
        if fn.regex_pattern:
            _check_regex(node.expression, fn.name)
        result = fn.returns(types)
        if result is None:
            raise ExpressionError(f"arguments of {fn.name} have incompatible types: {', '.join(t.value for t in types)}")
        return result

    def _own_function(self, node: exp.Anonymous) -> Type:
        name = node.name.upper()
        if name in STANDARDISERS:
            return self._standardiser(STANDARDISERS[name], node.expressions)
        if name != GLOBAL_ID:
            raise ExpressionError(f"unknown function {node.name}(); allowed: {', '.join(allowed_function_names())}")
        args = node.expressions
        if len(args) < 2 or not isinstance(args[0], exp.Literal) or not args[0].is_string:
            raise ExpressionError("GLOBAL_ID takes a class name in quotes and at least one key: GLOBAL_ID('Customer', CustomerId)")
        if self.scope.classes and args[0].this not in self.scope.classes:
            raise ExpressionError(f"GLOBAL_ID names unknown class '{args[0].this}'" + _suggest(args[0].this, self.scope.classes))
        for arg in args[1:]:
            t = self.type_of(arg)
            if t not in (Type.STRING, Type.INTEGER):
                raise ExpressionError(f"GLOBAL_ID keys must be text or integers, but `{arg.sql()}` is {t.value}")
        return Type.STRING

    def _standardiser(self, fn: Standardiser, args: list[exp.Expression]) -> Type:
        """Text in, text out; a country given in quotes must be one the function knows."""
        usage = f"{fn.name}(text, 'GB')" if fn.countries else f"{fn.name}(text)"
        if len(args) != arity(fn):
            raise ExpressionError(f"{fn.name} takes {arity(fn)} argument(s): {usage}")
        if any(_calls_standardiser(arg) for arg in args):
            # each expansion repeats its argument: nested, they would multiply before any size check
            raise ExpressionError(f"{fn.name} cannot take the result of another standardisation function (each one "
                                  f"already trims and squeezes white space): {usage}")
        for i, arg in enumerate(args):
            t = self.type_of(arg)
            if t not in (Type.STRING, Type.NULL):
                raise ExpressionError(f"{fn.name} expects text for argument {i + 1}, but `{arg.sql()}` is {t.value}: "
                                      "wrap it in CAST(... AS TEXT)")
        if fn.countries and isinstance(args[1], exp.Literal):
            try:
                country_code(fn, args[1].this)
            except StandardiseError as exc:
                raise ExpressionError(str(exc)) from None
        return Type.STRING

    def _column(self, node: exp.Column) -> tuple[str, "object"]:
        if node.args.get("db") or node.args.get("catalog"):
            raise ExpressionError(f"`{node.sql()}`: refer to columns as column or alias.column")
        if isinstance(node.this, exp.Star):
            raise ExpressionError("'*' is only allowed in COUNT(*)")
        name = node.name
        qualifier = node.table
        if qualifier:
            alias = _find(qualifier, self.scope.tables)
            if alias is None:
                raise ExpressionError(f"unknown table or alias '{qualifier}'" + _suggest(qualifier, self.scope.tables)
                                      + "; join it under 'joins' first")
            candidates = [alias]
        else:
            candidates = [self.scope.driving] + [a for a in self.scope.tables if a != self.scope.driving]
        matches = [(a, self.scope.tables[a].column(name)) for a in candidates if self.scope.tables[a].column(name)]
        if not matches:
            where = f"table '{self.scope.tables[candidates[0]].name}'" if qualifier else "the tables of this derivation"
            names = [c for a in candidates for c in self.scope.tables[a].columns]
            raise ExpressionError(f"unknown column '{name}' in {where}" + _suggest(name, names))
        if not qualifier and len(matches) > 1 and matches[0][0] != self.scope.driving:
            raise ExpressionError(f"column '{name}' is ambiguous: qualify it as one of "
                                  + ", ".join(f"{a}.{name}" for a, _ in matches))
        alias, column = matches[0]
        return alias, column

    def _numeric(self, node: exp.Expression, op: str) -> Type:
        t = self.type_of(node)
        if not (t.numeric or t is Type.NULL):
            raise ExpressionError(f"'{op}' needs numbers, but `{node.sql()}` is {t.value}: CAST it first")
        return t

    def _boolean(self, node: exp.Expression) -> None:
        t = self.type_of(node)
        if t not in (Type.BOOLEAN, Type.NULL):
            raise ExpressionError(f"`{node.sql()}` is {t.value}, but a condition (true/false) is needed here")

    def _comparable(self, left: exp.Expression, right: exp.Expression) -> None:
        lt, rt = self.type_of(left), self.type_of(right)
        if common_type([lt, rt]) is None:
            raise ExpressionError(f"cannot compare `{left.sql()}` ({lt.value}) with `{right.sql()}` ({rt.value}): CAST one side")

    def _common(self, types: list[Type], what: str) -> Type:
        result = common_type(types)
        if result is None:
            raise ExpressionError(f"{what} have different types ({', '.join(t.value for t in types)}): CAST them to one type")
        return result

    # -------------------------------------------------------------- binding
    def bind(self, tree: exp.Expression) -> exp.Expression:
        def rewrite(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
                alias, column = self._column(node)
                self.scope._read.append(ColumnRef(alias, self.scope.tables[alias].name, column.name))
                return exp.column(exp.to_identifier(column.name, quoted=True), table=exp.to_identifier(alias, quoted=True))
            if isinstance(node, exp.Anonymous) and node.name.upper() == GLOBAL_ID:
                return global_id(self.scope.source, node.expressions[0].this, [self.bind(a) for a in node.expressions[1:]])
            if isinstance(node, exp.Anonymous) and node.name.upper() in STANDARDISERS:
                return self._expand(STANDARDISERS[node.name.upper()], node.expressions)
            if type(node) is exp.Cast:
                # a cast never fails the whole view; the generators turn a failed strict CAST into a reject
                bound = exp.TryCast(this=self.bind(node.this), to=node.to)
                self.strict_casts.append(bound)
                return bound
            if isinstance(node, exp.StrToDate):
                node.set("safe", True)
            if isinstance(node, exp.DPipe):
                node.set("safe", None)
                for side in ("this", "expression"):
                    child = node.args[side]
                    if self.type_of_bound(child) is Type.INTEGER:
                        node.set(side, exp.cast(child, SQL_TYPES[Type.STRING].copy()))
            return node

        return tree.transform(rewrite, copy=False)

    def _expand(self, fn: Standardiser, args: list[exp.Expression]) -> exp.Expression:
        """The standardisation function as neutral SQL over its bound arguments (a quoted country as its code)."""
        value = self.bind(args[0])
        if not fn.countries:
            return exp.Paren(this=fn.expand(value))
        country = args[1]
        if isinstance(country, exp.Literal):
            return exp.Paren(this=fn.expand(value, country_code(fn, country.this)))
        if isinstance(country, exp.Null):
            return exp.Paren(this=exp.Cast(this=exp.null(), to=SQL_TYPES[Type.STRING].copy()))
        return exp.Paren(this=fn.expand(value, self.bind(country)))

    def type_of_bound(self, node: exp.Expression) -> Type:
        if isinstance(node, exp.Column) and node.table and node.table in self.scope.tables:
            col = self.scope.tables[node.table].column(node.name)
            return col.type if col else Type.STRING
        return self.type_of(node)


def global_id(source: str, class_name: str, keys: list[exp.Expression]) -> exp.Expression:
    """'<source>:<Class>:' || key1 || '|' || key2 ... as a neutral AST (NULL if any key is NULL)."""
    parts: list[exp.Expression] = [exp.Literal.string(f"{source}:{class_name}:")]
    for i, key in enumerate(keys):
        if i:
            parts.append(exp.Literal.string("|"))
        parts.append(exp.cast(key, SQL_TYPES[Type.STRING].copy()))
    tree = parts[0]
    for part in parts[1:]:
        tree = exp.DPipe(this=tree, expression=part)
    return exp.Paren(this=tree)


def _check_regex(pattern: exp.Expression, function: str = "REGEXP_REPLACE") -> None:
    """A regular expression must be a literal in the linear-time subset every engine runs alike."""
    if not (isinstance(pattern, exp.Literal) and pattern.is_string):
        raise ExpressionError(f"the pattern of {function} must be a quoted literal, not `{pattern.sql()}`: a pattern "
                              "read from data could take exponential time on backtracking engines")
    try:
        check_pattern(pattern.this)
    except UnsafePattern as exc:
        raise ExpressionError(f"{exc.message} ({exc.hint})" if exc.hint else exc.message) from None


def _positional(node: exp.Func) -> list[exp.Expression]:
    out: list[exp.Expression] = []
    fn = BY_NODE.get(type(node))
    fills = fn.sqlglot_fills if fn is not None else ()   # e.g. INITCAP's default delimiter list
    for key in node.arg_types:
        if key in fills:
            continue
        value = node.args.get(key)
        if isinstance(value, list):
            out.extend(v for v in value if isinstance(v, exp.Expression))
        elif isinstance(value, exp.Expression) and not isinstance(value, exp.Var):
            out.append(value)
    return out


def _find(name: str, names) -> str | None:
    if name in names:
        return name
    folded = [n for n in names if n.lower() == name.lower()]
    return folded[0] if len(folded) == 1 else None


def _suggest(name: str, names) -> str:
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    if not close:
        close = [n for n in names if n.lower() == name.lower()]
    return f" (did you mean '{close[0]}'?)" if close else ""


def _refusal(node: exp.Expression) -> str:
    if isinstance(node, (exp.Select, exp.Subquery, exp.Union, exp.Exists)) or node.find(exp.Select):
        return "subqueries are not allowed in expressions"
    if isinstance(node, (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Command, exp.Alter)):
        return "statements are not allowed in expressions; write one scalar expression"
    if isinstance(node, exp.Window):
        return "window functions (OVER) are not allowed"
    if isinstance(node, exp.Func):
        name = node.sql_name() if hasattr(node, "sql_name") else node.key.upper()
        return f"function {name}() is not in the whitelist; allowed: {', '.join(allowed_function_names())}"
    return f"`{node.sql()}` ({node.key}) is not allowed in mapping expressions"


def allowed_function_names() -> list[str]:
    from toolkit.expressions.functions import FUNCTIONS

    # CASE, CAST, TRY_CAST and IF are forms of the language itself, bound in type_of, not rows of the table
    return sorted({f.name for f in FUNCTIONS} | {a for f in FUNCTIONS for a in f.also} | set(OWN_FUNCTIONS)
                  | {"CASE", "CAST", "TRY_CAST", "IF"})
