"""Regular expressions that every engine runs in linear time, with the same answers.

Slot patterns and REGEXP_REPLACE patterns run on RE2 (DuckDB), but also on backtracking engines:
MariaDB (PCRE2), Spark (java.util.regex) and the record translators (Python's ``re``). A
backtracking engine takes exponential or polynomial time on a pattern that can match the same
text in many ways, so ``check_pattern`` refuses, with a message naming the construct:

- syntax outside the portable RE2 subset: backreferences, lookaround, atomic groups, possessive
  quantifiers, named groups, Unicode classes, inline flags other than a leading ``(?i)``;
- counted repetition above 1000, or patterns that expand past ``MAX_POSITIONS`` characters;
- exponential ambiguity: a loop whose body can match one text in two ways (``(a+)+``, ``(a|a)*``,
  ``(\\w+\\s?)+``, ``(a*)*``);
- polynomial ambiguity: two loops that can share one text with nothing between them that only one
  of them matches (``\\d+\\d+``, ``^.*a.*b$``), including the implicit loop of a search that is
  not anchored with ``^`` (``\\s+$`` tries every start position).

The analysis is exact for the automaton it builds (Glushkov positions; the criteria of Weber and
Seidl: a state with two distinct cycles on one word is exponential, two cycled states p != q with
p -w-> p, p -w-> q, q -w-> q are polynomial), and that automaton over-approximates the pattern:
assertions are read as empty, every variable repetition ``x{m,n}`` as ``x{m,}``. So a refused
pattern may in rare cases be harmless (the message says how to rewrite it), but an accepted pattern
takes at most a bounded number of steps per character on a backtracking engine.
"""
from __future__ import annotations

import collections
import itertools
from dataclasses import dataclass, field

MAX_REPEAT = 1000        # RE2's own limit on {n,m}
MAX_POSITIONS = 300      # character positions after expanding counted repetition
MAX_STATES = 50_000      # product states explored before a pattern counts as too complex (bounds validate time)
MAX_LENGTH = 1000        # characters in a pattern
MAX_WAYS = 1000          # ways overlapping alternatives may match one text

_ENGINES = "backtracking engines (MariaDB, Spark, the Python translators)"
_MAX_CODE = 0x10FFFF
_WORD = ((48, 57), (65, 90), (95, 95), (97, 122))
_DIGIT = ((48, 57),)
_SPACE = ((9, 10), (12, 13), (32, 32))
_PERL = {"d": _DIGIT, "w": _WORD, "s": _SPACE}
_POSIX = {
    "alpha": ((65, 90), (97, 122)), "digit": _DIGIT, "alnum": ((48, 57), (65, 90), (97, 122)),
    "upper": ((65, 90),), "lower": ((97, 122),), "space": ((9, 13), (32, 32)), "blank": ((9, 9), (32, 32)),
    "punct": ((33, 47), (58, 64), (91, 96), (123, 126)), "xdigit": ((48, 57), (65, 70), (97, 102)),
    "word": _WORD, "cntrl": ((0, 31), (127, 127)), "print": ((32, 126),), "graph": ((33, 126),),
    "ascii": ((0, 127),),
}
_CONTROL_ESCAPES = {"n": 10, "t": 9, "r": 13, "f": 12, "v": 11}
_ANCHORS = {"b": r"\b", "B": r"\B", "A": r"\A", "z": r"\z"}


class UnsafePattern(ValueError):
    """A pattern outside the linear-time subset; ``hint`` says how to write it instead."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


# --------------------------------------------------------------------------- character sets

def _normalize(ranges) -> tuple[tuple[int, int], ...]:
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def _negate(ranges) -> tuple[tuple[int, int], ...]:
    out, nxt = [], 0
    for lo, hi in _normalize(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= _MAX_CODE:
        out.append((nxt, _MAX_CODE))
    return tuple(out)


def _intersect(a, b) -> tuple[tuple[int, int], ...]:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _fold(ranges) -> tuple[tuple[int, int], ...]:
    """``ranges`` with the case variants of their characters (for ``(?i)``); generous, never short."""
    extra = []
    for lo, hi in ranges:
        if hi - lo > 2000:
            extra.extend([(65, 90), (97, 122), (0x17F, 0x17F), (0x212A, 0x212A)])
            continue
        for code in range(lo, hi + 1):
            ch = chr(code)
            for variant in (ch.lower(), ch.upper(), ch.casefold()):
                if len(variant) == 1:
                    extra.append((ord(variant), ord(variant)))
            if ch in "kK":
                extra.append((0x212A, 0x212A))
            if ch in "sS":
                extra.append((0x17F, 0x17F))
    return _normalize(list(ranges) + extra)


# --------------------------------------------------------------------------- syntax tree

@dataclass
class Node:
    text: str                                   # the pattern text this node was written as


@dataclass
class Chars(Node):
    ranges: tuple[tuple[int, int], ...] = ()


@dataclass
class Assertion(Node):
    kind: str = ""                              # ^ $ \A \z \b \B


@dataclass
class Concat(Node):
    items: list[Node] = field(default_factory=list)


@dataclass
class Alternation(Node):
    branches: list[Node] = field(default_factory=list)


@dataclass
class Repeat(Node):
    body: Node = None
    min: int = 0
    max: int | None = None                      # None: unbounded

    @property
    def loops(self) -> bool:
        """Read as a loop by the analysis: any repetition whose count is not fixed."""
        return self.max is None or self.max > self.min


class _Parser:
    """Recursive descent over the portable RE2 subset; anything else is an UnsafePattern."""

    def __init__(self, pattern: str):
        self.p = pattern
        self.i = 0
        self.fold = False
        self.depth = 0

    def parse(self) -> Node:
        if self.p.startswith("(?i)"):
            self.fold = True
            self.i = 4
        node = self.alternation()
        if self.i < len(self.p):
            raise UnsafePattern(f"unbalanced ')' at position {self.i + 1}", "escape a literal parenthesis as \\)")
        return node

    def alternation(self) -> Node:
        start = self.i
        branches = [self.concat()]
        while self.peek("|"):
            self.i += 1
            branches.append(self.concat())
        if len(branches) == 1:
            return branches[0]
        return Alternation(self.p[start:self.i], branches=branches)

    def concat(self) -> Node:
        start = self.i
        items = []
        while self.i < len(self.p) and self.p[self.i] not in "|)":
            items.append(self.quantified())
        return items[0] if len(items) == 1 else Concat(self.p[start:self.i], items=items)

    def quantified(self) -> Node:
        start = self.i
        node = self.atom()
        while self.i < len(self.p) and self.p[self.i] in "*+?{":
            bounds = self.quantifier()
            if bounds is None:
                break
            if isinstance(node, Assertion):
                raise UnsafePattern(f"quantifier after the assertion '{node.text}'", "an assertion matches no text; drop the quantifier")
            if self.peek("?"):
                self.i += 1                         # lazy: same work on failure, same answer for REGEXP_LIKE
            elif self.peek("+"):
                raise UnsafePattern(f"possessive quantifier '{self.p[start:self.i + 1]}' is not RE2 syntax",
                                    "write the repeat without the trailing '+'")
            node = Repeat(self.p[start:self.i], body=node, min=bounds[0], max=bounds[1])
        return node

    def quantifier(self) -> tuple[int, int | None] | None:
        c = self.p[self.i]
        if c != "{":
            self.i += 1
            return {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
        end = self.p.find("}", self.i)
        body = self.p[self.i + 1:end] if end > 0 else ""
        lo, comma, hi = body.partition(",")
        if not lo.isdigit() or not (hi.isdigit() or hi == "") or (not comma and hi):
            raise UnsafePattern(f"'{{' at position {self.i + 1} does not start a repetition {{n}}, {{n,}} or {{n,m}}",
                                "escape a literal brace as \\{" + (" and write {0,m} for 'at most m'" if lo == "" and comma else ""))
        low = int(lo)
        high = low if not comma else (int(hi) if hi else None)
        for n in (low, high):
            if n is not None and n > MAX_REPEAT:
                raise UnsafePattern(f"repetition count {n} in '{{{body}}}' is above {MAX_REPEAT} (RE2's limit)",
                                    "check the length with a smaller pattern, or drop the count")
        if high is not None and high < low:
            raise UnsafePattern(f"repetition '{{{body}}}' has its maximum below its minimum")
        self.i = end + 1
        return low, high

    def atom(self) -> Node:
        start = self.i
        c = self.p[self.i]
        if c == "(":
            return self.group()
        if c == "[":
            return self.char_class()
        if c == "\\":
            return self.escape(in_class=False)
        self.i += 1
        if c == ".":
            return Chars(".", ranges=_negate(((10, 10),)))
        if c in "^$":
            return Assertion(c, kind=c)
        if c in "*+?":
            raise UnsafePattern(f"'{c}' at position {start + 1} has nothing to repeat", f"escape a literal '{c}' as \\{c}")
        if c == "{":
            raise UnsafePattern(f"'{{' at position {start + 1} has nothing to repeat", "escape a literal brace as \\{")
        return self.chars(c, ((ord(c), ord(c)),))

    def chars(self, text: str, ranges) -> Chars:
        ranges = _normalize(ranges)
        return Chars(text, ranges=_fold(ranges) if self.fold else ranges)

    def group(self) -> Node:
        start = self.i
        self.depth += 1
        if self.depth > 50:
            raise UnsafePattern("groups are nested more than 50 deep")
        self.i += 1
        if self.peek("?"):
            if not self.p.startswith("?:", self.i):
                raise UnsafePattern(_group_refusal(self.p[self.i:self.i + 4]), _group_hint(self.p[self.i:self.i + 4]))
            self.i += 2
        body = self.alternation()
        if not self.peek(")"):
            raise UnsafePattern(f"the group opened at position {start + 1} is never closed", "close it with ')'")
        self.i += 1
        self.depth -= 1
        body.text = self.p[start:self.i]
        return body

    def char_class(self) -> Chars:
        start = self.i
        self.i += 1
        negated = self.peek("^")
        self.i += negated
        ranges: list[tuple[int, int]] = []
        first = True
        while self.i < len(self.p) and (self.p[self.i] != "]" or first):
            first = False
            if self.p.startswith("[:", self.i):
                end = self.p.find(":]", self.i + 2)
                name = self.p[self.i + 2:end] if end > 0 else ""
                if name not in _POSIX:
                    raise UnsafePattern(f"unknown character class '[:{name}:]'", "use one of " + ", ".join(f"[:{n}:]" for n in _POSIX))
                ranges.extend(_POSIX[name])
                self.i = end + 2
                continue
            if self.p[self.i] == "[":
                raise UnsafePattern(f"'[' inside the character class at position {start + 1}",
                                    "escape it as \\[ (engines disagree on nested classes)")
            lo = self.class_char()
            if isinstance(lo, tuple):
                ranges.extend(lo)
                continue
            if self.peek("-") and self.i + 1 < len(self.p) and self.p[self.i + 1] != "]":
                self.i += 1
                hi = self.class_char()
                if isinstance(hi, tuple) or hi < lo:
                    raise UnsafePattern(f"bad range in the character class '{self.p[start:self.i]}'",
                                        "ranges go from a lower to a higher character; escape a literal '-' as \\-")
                ranges.append((lo, hi))
            else:
                ranges.append((lo, lo))
        if not self.peek("]"):
            raise UnsafePattern(f"the character class opened at position {start + 1} is never closed", "close it with ']'")
        self.i += 1
        ranges = _normalize(ranges)
        return self.chars(self.p[start:self.i], _negate(ranges) if negated else ranges)

    def class_char(self):
        """One character of a class as its code point, or a Perl class (\\d, ...) as ranges."""
        if self.p[self.i] != "\\":
            self.i += 1
            return ord(self.p[self.i - 1])
        ranges = self.escaped(in_class=True)
        if isinstance(ranges, Assertion):
            raise UnsafePattern(f"'{ranges.text}' inside a character class", "write the characters themselves")
        return ranges if self.p[self.i - 1].lower() in _PERL else ranges[0][0]

    def escape(self, in_class: bool) -> Node:
        start = self.i
        found = self.escaped(in_class)
        return found if isinstance(found, Assertion) else self.chars(self.p[start:self.i], found)

    def escaped(self, in_class: bool):
        """The characters a backslash escape stands for (raw ranges), or an Assertion."""
        start = self.i
        if self.i + 1 >= len(self.p):
            raise UnsafePattern("the pattern ends with a lone backslash", "write a literal backslash as \\\\")
        e = self.p[self.i + 1]
        self.i += 2
        if e.lower() in _PERL:
            if e.isupper():
                if in_class:
                    raise UnsafePattern(f"'\\{e}' inside a character class", "write the class's complement with [^...]")
                return _negate(_PERL[e.lower()])
            return _PERL[e]
        if e in _ANCHORS and not in_class:
            return Assertion(self.p[start:self.i], kind=_ANCHORS[e])
        if e in _CONTROL_ESCAPES:
            return ((_CONTROL_ESCAPES[e],) * 2,)
        if e == "x":
            digits = self.p[self.i:self.i + 2]
            if len(digits) != 2 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise UnsafePattern(f"'\\x' at position {start + 1} needs two hexadecimal digits", "write e.g. \\x41")
            self.i += 2
            return ((int(digits, 16),) * 2,)
        if e.isdigit():
            raise UnsafePattern(f"backreference '\\{e}' is not RE2 syntax and makes matching exponential",
                                "match the text itself, or compare columns in the expression instead")
        if e.isalnum() or e == "_":
            raise UnsafePattern(_escape_refusal(e), _escape_hint(e))
        if ord(e) < 32 or ord(e) > 126:
            raise UnsafePattern(f"backslash before the character U+{ord(e):04X}", "write the character without the backslash")
        return ((ord(e), ord(e)),)

    def peek(self, s: str) -> bool:
        return self.p.startswith(s, self.i)


def _group_refusal(head: str) -> str:
    kinds = [("?=", "lookahead"), ("?!", "negative lookahead"), ("?<=", "lookbehind"), ("?<!", "negative lookbehind"),
             ("?>", "atomic group"), ("?P<", "named group"), ("?<", "named group"), ("?P=", "named backreference"),
             ("?#", "comment group"), ("?(", "conditional group")]
    for prefix, name in kinds:
        if head.startswith(prefix):
            return f"{name} '({prefix}' is not in the portable RE2 subset"
    return f"inline flags '({head}' are only allowed as a leading (?i)"


def _group_hint(head: str) -> str:
    if head.startswith(("?=", "?!", "?<=", "?<!")):
        return "RE2 has no lookaround; test the condition in the expression (e.g. with AND) instead"
    if head.startswith(("?P<", "?<")):
        return "use a plain group (...)"
    return "write (?:...) for a group, and (?i) only at the very start"


def _escape_refusal(e: str) -> str:
    names = {"p": "Unicode class", "P": "Unicode class", "k": "named backreference", "Z": "\\Z anchor", "Q": "quoted span",
             "C": "single byte", "u": "\\u escape", "G": "\\G anchor", "X": "grapheme cluster", "R": "line break class",
             "h": "horizontal space class", "K": "match reset"}
    return f"{names.get(e, 'escape')} '\\{e}' is not in the portable RE2 subset"


def _escape_hint(e: str) -> str:
    return {"Z": "write $ (end of text) instead", "u": "write the character itself, or \\xHH",
            "p": "write the characters as a class, e.g. [A-Za-z]", "P": "write the characters as a class, e.g. [^A-Za-z]",
            "k": "match the text itself instead"}.get(e, "write the character itself, or escape punctuation only")


def parse(pattern: str) -> tuple[Node, bool]:
    """The syntax tree of ``pattern`` and whether it is case-insensitive; UnsafePattern if outside the subset."""
    if len(pattern) > MAX_LENGTH:
        raise UnsafePattern(f"pattern is {len(pattern)} characters long, above {MAX_LENGTH}", "split the check into simpler ones")
    parser = _Parser(pattern)
    return parser.parse(), parser.fold


# --------------------------------------------------------------------------- Glushkov automaton

@dataclass
class _Fragment:
    first: frozenset[int]
    last: frozenset[int]
    nullable: bool


class _Automaton:
    """Positions (one per character set occurrence), their follow sets, and the loop each sits in.

    A follow edge carries a tag: 0 for "comes next in sequence", or the loop whose repetition it
    closes. ``(a+)+`` has one position but two tags on its edge to itself, the two ways a
    backtracking engine can go on; the analysis runs over (position, arrival tag) states.
    """

    def __init__(self):
        self.sets: list[tuple[tuple[int, int], ...]] = []
        self.loops: list[tuple[Repeat, ...]] = []      # enclosing loops of each position, outermost first
        self.follow: list[dict[int, set[int]]] = []
        self._stack: list[Repeat] = []
        self._tags = 0

    def build(self, node: Node) -> _Fragment:
        if isinstance(node, Chars):
            if len(self.sets) >= MAX_POSITIONS:
                raise UnsafePattern(f"pattern expands to more than {MAX_POSITIONS} character positions "
                                    "(counted repetitions multiply)", "use smaller counts, or check the length separately")
            self.sets.append(node.ranges)
            self.loops.append(tuple(self._stack))
            self.follow.append({})
            p = len(self.sets) - 1
            return _Fragment(frozenset([p]), frozenset([p]), False)
        if isinstance(node, Assertion):
            return _Fragment(frozenset(), frozenset(), True)
        if isinstance(node, Alternation):
            parts = [self.build(b) for b in node.branches]
            return _Fragment(frozenset().union(*(f.first for f in parts)), frozenset().union(*(f.last for f in parts)),
                             any(f.nullable for f in parts))
        if isinstance(node, Concat):
            return self._sequence([lambda item=item: self.build(item) for item in node.items])
        return self._repeat(node)

    def _link(self, sources, targets, tag: int) -> None:
        for p in sources:
            for q in targets:
                self.follow[p].setdefault(q, set()).add(tag)

    def _sequence(self, builders) -> _Fragment:
        result = _Fragment(frozenset(), frozenset(), True)
        for build in builders:
            part = build()
            self._link(result.last, part.first, 0)
            result = _Fragment(result.first | part.first if result.nullable else result.first,
                               part.last | result.last if part.nullable else part.last,
                               result.nullable and part.nullable)
        return result

    def _repeat(self, node: Repeat) -> _Fragment:
        fixed = node.min if not node.loops else max(node.min - 1, 0)
        builders = [lambda: self.build(node.body)] * fixed
        if node.loops:
            builders.append(lambda: self._loop(node))
        return self._sequence(builders)

    def _loop(self, node: Repeat) -> _Fragment:
        self._stack.append(node)
        try:
            body = self.build(node.body)
        finally:
            self._stack.pop()
        self._tags += 1
        self._link(body.last, body.first, self._tags)
        return _Fragment(body.first, body.last, body.nullable or node.min == 0)


@dataclass
class _Graph:
    """The automaton as a graph over (position, arrival tag) states; a state reads its position's set."""

    succ: dict[tuple[int, int], tuple[tuple[int, int], ...]]
    sets: dict[int, tuple[tuple[int, int], ...]]
    start: tuple[int, int]


_START, _SEARCH = -1, -2


def _graph(auto: _Automaton, top: _Fragment, search: bool, drop: frozenset[int]) -> _Graph:
    sets = {p: s for p, s in enumerate(auto.sets) if p not in drop}
    first = tuple((q, 0) for q in sorted(top.first) if q not in drop)
    succ: dict = {}
    start = (_START, 0)
    succ[start] = first
    if search:
        sets[_SEARCH] = ((0, _MAX_CODE),)
        succ[(_SEARCH, 0)] = ((_SEARCH, 0),) + first
        succ[start] = ((_SEARCH, 0),) + first
    todo = list(succ[start])
    while todo:
        state = todo.pop()
        if state in succ:
            continue
        succ[state] = tuple((q, tag) for q, tags in sorted(auto.follow[state[0]].items()) if q not in drop
                            for tag in sorted(tags))
        todo.extend(succ[state])
    return _Graph(succ, sets, start)


class _Budget:
    def __init__(self, pattern: str):
        self.left = MAX_STATES
        self.pattern = pattern

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise UnsafePattern(f"pattern '{self.pattern}' is too complex to prove that it runs in linear time",
                                "simplify it: fewer overlapping repeats and alternatives")


class _Labels:
    """Whether states can read one common character (intersections of their sets), memoized."""

    def __init__(self, sets):
        self.sets = sets
        self.memo: dict = {}

    def meet(self, *states) -> tuple:
        key = tuple(s[0] for s in states)
        found = self.memo.get(key)
        if found is None:
            ranges = self.sets[key[0]]
            for s in set(key[1:]):
                ranges = _intersect(ranges, self.sets[s])
            found = self.memo[key] = ranges
        return found


def _product_successors(g: _Graph, labels: _Labels, state: tuple[int, ...]):
    """Successors of a tuple of states reading one common character."""
    options = [g.succ.get(s, ()) for s in state]

    def extend(prefix, i):
        if i == len(options):
            yield prefix
            return
        for nxt in options[i]:
            if labels.meet(*prefix, nxt) if prefix else True:
                yield from extend(prefix + (nxt,), i + 1)

    yield from extend((), 0)


def _strongly_connected(nodes_succ: dict) -> dict:
    """Component id of every node (iterative Tarjan)."""
    index, low, comp, stack, on = {}, {}, {}, [], set()
    counter = [0]
    for root in nodes_succ:
        if root in index:
            continue
        work = [(root, iter(nodes_succ[root]))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(nodes_succ[nxt])))
                    advanced = True
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                while True:
                    top = stack.pop()
                    on.discard(top)
                    comp[top] = node
                    if top == node:
                        break
    return comp


def _explore(g: _Graph, labels: _Labels, start: tuple, budget: _Budget) -> dict:
    """The reachable part of the product automaton from ``start``: state -> successors."""
    seen = {start: None}
    todo = [start]
    while todo:
        state = todo.pop()
        budget.spend()
        nxt = list(_product_successors(g, labels, state))
        seen[state] = nxt
        for s in nxt:
            if s not in seen:
                seen[s] = None
                todo.append(s)
    return seen


def _exponential_state(g: _Graph, labels: _Labels, budget: _Budget) -> tuple | None:
    """A state with two distinct cycles on one word (Weber-Seidl EDA), or None."""
    pairs = _explore(g, labels, (g.start, g.start), budget)
    comp = _strongly_connected(pairs)
    diagonal = {comp[s]: s[0] for s in pairs if s[0] == s[1]}
    for s in pairs:
        if s[0] != s[1] and comp[s] in diagonal:
            return diagonal[comp[s]]
    return None


def _polynomial_pair(g: _Graph, labels: _Labels, budget: _Budget) -> tuple | None:
    """States p != q with p -w-> p, p -w-> q and q -w-> q (Weber-Seidl IDA), or None."""
    comp = _strongly_connected({s: g.succ[s] for s in g.succ})
    cyclic = sorted((s for s in g.succ if s != g.start and any(comp.get(t) == comp[s] for t in g.succ[s])),
                    key=lambda s: (s[0] != _SEARCH, s))      # the search's loop first: the common case
    reach = {s: _reachable(g, s) for s in cyclic}
    for p in cyclic:
        for q in cyclic:
            if p == q or q not in reach[p]:
                continue
            if _word_connects(g, labels, (p, p, q), (p, q, q), budget):
                return p, q
    return None


def _reachable(g: _Graph, s: int) -> set[int]:
    seen, todo = set(), [s]
    while todo:
        for t in g.succ.get(todo.pop(), ()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def _word_connects(g: _Graph, labels: _Labels, source: tuple, target: tuple, budget: _Budget) -> bool:
    """Whether one word of at least one character leads from ``source`` to ``target`` (breadth first)."""
    seen = {source}
    todo = collections.deque([source])
    while todo:
        budget.spend()
        for nxt in _product_successors(g, labels, todo.popleft()):
            if nxt == target:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


# --------------------------------------------------------------------------- the check

def _anchored(node: Node, at_start: bool) -> bool:
    kinds = ("^", r"\A") if at_start else ("$", r"\z")
    if isinstance(node, Assertion):
        return node.kind in kinds
    if isinstance(node, Concat):
        return bool(node.items) and _anchored(node.items[0 if at_start else -1], at_start)
    if isinstance(node, Alternation):
        return all(_anchored(b, at_start) for b in node.branches)
    return False


def _walk(node: Node):
    yield node
    for child in getattr(node, "items", None) or getattr(node, "branches", None) or ([node.body] if isinstance(node, Repeat) else []):
        yield from _walk(child)


def _late_assertions(tree: Node) -> bool:
    """Assertions other than start anchors at the very start: they can make a match fail after it got far."""
    leading = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Concat) and node.items:
            stack.append(node.items[0])
        elif isinstance(node, Alternation):
            stack.extend(node.branches)
        elif isinstance(node, Assertion) and node.kind in ("^", r"\A"):
            leading.add(id(node))
    return any(isinstance(n, Assertion) and id(n) not in leading for n in _walk(tree))


_SAFE: set[str] = set()    # patterns already proved safe: typing a plan's expressions meets each one many times


def check_pattern(pattern: str) -> None:
    """Raise UnsafePattern if ``pattern`` is outside the portable, linear-time subset."""
    if pattern in _SAFE:
        return
    _check_pattern(pattern)
    if len(_SAFE) > 10_000:
        _SAFE.clear()
    _SAFE.add(pattern)


def _check_pattern(pattern: str) -> None:
    tree, _fold_case = parse(pattern)
    for node in _walk(tree):
        if isinstance(node, Repeat) and node.loops:
            _check_loop(pattern, node)
        if isinstance(node, Alternation) and sum(map(_nullable, node.branches)) > 1:
            raise UnsafePattern(f"pattern '{pattern}' has several alternatives in '{node.text}' that match the empty "
                                f"text: {_ENGINES} try each of them", "keep at most one alternative that can be empty")
    auto = _Automaton()
    top = auto.build(tree)
    budget = _Budget(pattern)
    search = not _anchored(tree, at_start=True)
    may_stop_early = not _late_assertions(tree)     # reaching a final position is then a match
    if top.nullable and may_stop_early:
        return                                   # matches the empty text at once, wherever a search starts
    drop = top.last if may_stop_early else frozenset()
    # the search's own loop cannot be part of two cycles: exponential ambiguity is checked without it
    plain = _graph(auto, top, False, drop)
    if _exponential_state(plain, _Labels(plain.sets), budget) is not None:
        raise UnsafePattern(f"pattern '{pattern}' can match the same text in exponentially many ways: {_ENGINES} "
                            "take exponential time", "make the alternatives and repeats match disjoint characters")
    ways = _ways(tree)
    if ways > MAX_WAYS:
        raise UnsafePattern(f"pattern '{pattern}' has alternatives that overlap one after another: more than {MAX_WAYS} ways to "
                            f"match one text, which {_ENGINES} may all try", "make the alternatives start with different characters")
    g = _graph(auto, top, search, drop)
    labels = _Labels(g.sets)
    pair = _polynomial_pair(g, labels, budget)
    if pair is not None:
        raise _polynomial(pattern, auto, *pair)


def _ways(node: Node) -> int:
    """An upper estimate of the ways a loop-free stretch of the pattern can match one text."""
    if isinstance(node, Concat):
        total = 1
        for item in node.items:
            total = min(total * _ways(item), MAX_WAYS + 1)
        return total
    if isinstance(node, Alternation):
        counts = [_ways(b) for b in node.branches]
        firsts = [_first_chars(b) for b in node.branches]
        disjoint = all(not _intersect(a, b) for a, b in itertools.combinations(firsts, 2))
        return max(counts) if disjoint else min(sum(counts), MAX_WAYS + 1)
    if isinstance(node, Repeat):
        return min(_ways(node.body) ** max(node.min, 1), MAX_WAYS + 1)
    return 1


def _first_chars(node: Node) -> tuple:
    auto = _Automaton()
    try:
        fragment = auto.build(node)
    except UnsafePattern:
        return ((0, _MAX_CODE),)
    if fragment.nullable:
        return ((0, _MAX_CODE),)
    return _normalize(r for p in fragment.first for r in auto.sets[p])


def _check_loop(pattern: str, node: Repeat) -> None:
    """Refuse a loop whose body can match one text in two ways, naming why."""
    if _nullable(node.body):
        raise UnsafePattern(f"pattern '{pattern}' repeats '{node.body.text}', which can match the empty text, in "
                            f"'{node.text}': {_ENGINES} take exponential time", "make the repeated part match at least one character")
    auto = _Automaton()
    body = auto._loop(Repeat(node.text, body=node.body, min=1, max=None))
    g = _graph(auto, body, search=False, drop=frozenset())
    if _exponential_state(g, _Labels(g.sets), _Budget(pattern)) is None:
        return
    inner = [n for n in _walk(node.body) if isinstance(n, Repeat) and n.loops]
    alternatives = [n for n in _walk(node.body) if isinstance(n, Alternation)]
    if inner:
        raise UnsafePattern(f"pattern '{pattern}' nests a repeat inside a repeat ('{node.text}'): {_ENGINES} take "
                            f"exponential time", _nested_hint(pattern, node, inner[0]))
    if alternatives:
        raise UnsafePattern(f"pattern '{pattern}' repeats alternatives that can match the same text ('{node.text}'): "
                            f"{_ENGINES} take exponential time", "make the alternatives start with different characters")
    raise UnsafePattern(f"pattern '{pattern}' repeats '{node.body.text}' in '{node.text}' where one text splits into "
                        f"repetitions in many ways: {_ENGINES} take exponential time",
                        "end each repetition with a character its start cannot match")


def _nested_hint(pattern: str, outer: Repeat, inner: Repeat) -> str:
    if inner is outer.body and isinstance(inner.body, Chars):
        simpler = pattern.replace(outer.text, inner.body.text + ("*" if outer.min == 0 or inner.min == 0 else "+"), 1)
        return f"write it as '{simpler}'"
    return "let each repetition end with a character the repeated part cannot start with, e.g. ([a-z]+,)+"


def _nullable(node: Node) -> bool:
    auto = _Automaton()
    try:
        return auto.build(node).nullable
    except UnsafePattern:
        return False


def _polynomial(pattern: str, auto: _Automaton, p: tuple, q: tuple) -> UnsafePattern:
    def item(s: int) -> str:
        loops = auto.loops[s[0]] if s[0] >= 0 else ()
        return f"'{loops[-1].text}'" if loops else "?"

    if p[0] == _SEARCH:
        return UnsafePattern(f"pattern '{pattern}' is not anchored with '^', so a search tries every start position and "
                             f"{item(q)} can run to the end of the value each time before failing: {_ENGINES} take "
                             "quadratic time", "anchor it with '^' and spell out what may come first with characters the repeat cannot match")
    first, second = item(p), item(q)
    return UnsafePattern(f"pattern '{pattern}' has repeats {first} and {second} that can match the same characters with nothing "
                         f"between them that only one of them matches: {_ENGINES} take polynomial time",
                         "make one of them exclude the characters the other matches, e.g. "
                         "'^[^@\\s]+@[^@\\s][^@\\s.]*\\.[^@\\s]+$' for an e-mail address")
