"""Regular expressions run in linear time on every engine and give the same answers.

Patterns outside the linear-time RE2 subset (toolkit/core/regex_safety.py) are refused by
`dict validate` with the file, line and construct; accepted patterns give the same answers in the
record translators (and SQLite's Python functions) as in DuckDB's RE2. Timing figures live in
benchmarks/regex_benchmark.py.
"""
from __future__ import annotations

import itertools
import re
import shutil

import duckdb
import pytest
import yaml
from sqlglot import exp
from typer.testing import CliRunner

from projects import ROOT, copy_project
from toolkit.cli import app
from toolkit.run.engines.sqlite import connect
from toolkit.expressions import parse as parse_expression
from toolkit.expressions.python import runtime
from toolkit.core.regex_safety import UnsafePattern, check_pattern, parse

RT = runtime()
D = "dictionary/enterprise.yaml"
M = "mappings/chinook.yaml"
SLOT = "    pattern: '^[A-Z]{2}$'\n"          # country_code's pattern: a case swaps it for a hostile one
EXPR = "      given_name:\n        expr: TRIM(FirstName)\n"

# Accepted: the shipped dictionary's patterns and common ones that look risky but are linear.
ACCEPTED = [
    r"^[a-z]{2}$", r"^[^@\s]+@[^@\s][^@\s.]*\.[^@\s]+$", r"^[A-Z]{2}$", r"^[A-Z]{3}$",
    r"^\+?[0-9 ()-]{6,20}$", r"^[0-9]{5}$", r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", r"^\d{4}-\d{2}-\d{2}$",
    r"^-?\d+(\.\d+)?$", r"^([a-z0-9-]+\.)+[a-z]{2,}$", r"^\d{1,3}(,\d{3})*$", r"(?i)^[a-z]+$", r"^(abc|abd)$",
    r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$", r"\bfoo\b", r"^(?:[ab]c*)+$", r"^(ab|a)+$", r"[^0-9]", r"[aeiou]+", r"x*",
    r"(\w)(\d)", r"\s+", r"^\s+", r"^[[:alpha:]]+[[:digit:]]*$", r"^.{0,255}$", r"^[^,]*,[^,]*$", r"\.", r"a|b|c",
    r"^(?:\d{3}-){2}\d{4}$", r"^[\x41-\x5a]\t\n?$", r"^[^\n]*$", r"[-.]+",
]

# (case id, hostile pattern, what the message names). The classic ReDoS list: OWASP's examples, the
# regexes behind the 2016 Stack Overflow and 2019 Cloudflare outages, and the shapes of published CVEs.
HOSTILE_PATTERNS = [
    ("redos-owasp-nested-plus", r"^(a+)+$", "nests a repeat inside a repeat ('(a+)+')"),
    ("redos-owasp-letters-star", r"([a-zA-Z]+)*", "nests a repeat inside a repeat"),
    ("redos-owasp-a-or-aa", r"(a|aa)+", "repeats alternatives that can match the same text"),
    ("redos-owasp-a-or-optional-a", r"(a|a?)+", "which can match the empty text"),
    ("redos-owasp-dot-a-counted", r"(.*a){12}", "'.*' can run to the end of the value"),
    ("redos-owasp-email", r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$",
     "nests a repeat inside a repeat"),
    ("redos-owasp-java-classname", r"^(([a-z])+.)+[A-Z]([a-z])+$", "nests a repeat inside a repeat"),
    ("redos-words-optional-space", r"^(\w+\s?)+$", "nests a repeat inside a repeat ('(\\w+\\s?)+')"),
    ("redos-star-of-star", r"(a*)*b", "which can match the empty text"),
    ("redos-star-of-dot-star", r"^(.*)*$", "which can match the empty text"),
    ("redos-digits-or-pairs", r"^(\d+|\d+,\d+)*$", "nests a repeat inside a repeat"),
    ("redos-word-or-digit", r"^(\w|\d)+$", "repeats alternatives that can match the same text"),
    ("redos-x-plus-x-plus", r"(x+x+)+y", "nests a repeat inside a repeat"),
    ("redos-ab-a-b", r"^(ab|a|b)+c$", "repeats alternatives that can match the same text"),
    ("redos-spaces-around-words", r"^(\s*\w+\s*)+$", "nests a repeat inside a repeat"),
    ("redos-stackoverflow-trim", r"^[\s\xa0]+|[\s\xa0]+$", "is not anchored with '^'"),
    ("redos-stackoverflow-trailing-space", r"[\s]+$", "is not anchored with '^'"),
    ("redos-cloudflare-waf", r".*(?:.*=.*)", "is not anchored with '^'"),
    ("redos-anchored-dot-chain", r"^.*a.*b.*c$", "has repeats '.*' and '.*'"),
    ("redos-adjacent-digits", r"^\d+\d+$", "has repeats '\\d+' and '\\d+'"),
    ("redos-unanchored-digits-then-x", r"\d+x", "is not anchored with '^'"),
    ("redos-loose-email", r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "has repeats '[^@\\s]+' and '[^@\\s]+'"),
    ("redos-counted-plus", r"^(a+){10}$", "has repeats"),
    ("redos-long-counted-prefix", r"[a-z]{1,100}\d", "is not anchored with '^'"),
    ("redos-semver-like", r"^(\d+\.?)+$", "nests a repeat inside a repeat"),
    ("regex-backreference", r"^(\w+)\s\1$", "backreference '\\1'"),
    ("regex-lookahead-password", r"^(?=.*\d)(?=.*[a-z]).{8,}$", "lookahead"),
    ("regex-lookbehind", r"(?<=\$)\d+", "lookbehind"),
    ("regex-atomic", r"(?>a+)b", "atomic group"),
    ("regex-possessive", r"^a++b$", "possessive quantifier"),
    ("regex-unicode-class", r"^\p{L}+$", "Unicode class"),
    ("regex-count-above-limit", r"^.{1,100000}$", "repetition count 100000"),
    ("regex-nested-counts", r"^((ab){50}){50}$", "expands to more than"),
    ("regex-inline-flag-midway", r"a(?i)b", "inline flags"),
    ("regex-named-group", r"(?P<x>a)b", "named group"),
    ("regex-python-end-anchor", r"^a\Z", "\\Z anchor"),
    ("regex-unclosed-group", r"^(a|b", "is never closed"),
    ("regex-at-most", r"^a{,5}$", "does not start a repetition"),
    ("regex-two-empty-alternatives", r"^(a?|b?)c$", "several alternatives"),
]

HOSTILE_EXPRESSIONS = [
    ("regex-replace-nested", "REGEXP_REPLACE(FirstName, '(a+)+$', '')", "nests a repeat inside a repeat"),
    ("regex-replace-trailing-space", "REGEXP_REPLACE(FirstName, '\\s+$', '')", "is not anchored with '^'"),
    ("regex-replace-from-data", "REGEXP_REPLACE(FirstName, LastName, '')", "must be a quoted literal"),
    ("regex-replace-backreference", "REGEXP_REPLACE(FirstName, '(.)\\1', '')", "backreference"),
]


def _yaml_single_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# The same shape as tests/test_hostile_corpus.py: (id, file, old text, new text, message, anchor).
CASES = [(cid, D, SLOT, f"    pattern: {_yaml_single_quoted(p)}\n", message, "    pattern: ") for cid, p, message in HOSTILE_PATTERNS] + [
    (cid, M, EXPR, f"      given_name:\n        expr: {_yaml_single_quoted(text)}\n", message, "REGEXP_REPLACE")
    for cid, text, message in HOSTILE_EXPRESSIONS]


@pytest.fixture(scope="module")
def clean_project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("regex"))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_a_hostile_pattern_is_refused_by_validate_with_file_and_line(clean_project, tmp_path, case):
    _id, rel, old, new, message, anchor = case
    project = tmp_path / "p"
    shutil.copytree(clean_project, project)
    text = (project / rel).read_text(encoding="utf-8")
    assert old in text
    mutated = text.replace(old, new, 1)
    (project / rel).write_text(mutated, encoding="utf-8")
    at = mutated.index(new)
    line = mutated[:at].count("\n") + 1 + new[:new.index(anchor)].count("\n")

    result = CliRunner().invoke(app, ["validate", "--project", str(project)])

    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert f"{rel}:{line}: " in result.output, result.output
    assert message in " ".join(result.output.split()), result.output


@pytest.mark.unit
def test_the_corpus_has_at_least_25_hostile_regular_expressions():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
    assert sum(c[0].startswith("redos-") for c in CASES) >= 25


@pytest.mark.unit
@pytest.mark.parametrize("pattern", ACCEPTED)
def test_common_patterns_are_accepted_and_compile_for_the_translator(pattern):
    check_pattern(pattern)
    re.compile(RT._re2_pattern(pattern))
    duckdb.sql("SELECT regexp_matches('x', ?)", params=[pattern]).fetchall()


def _strings(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from ((key, v) for _, v in _strings(value)) if key == "pattern" else _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, str):
        yield "", node


def _shipped_patterns() -> list[tuple[str, str]]:
    """(where, pattern) for every slot pattern and REGEXP_REPLACE pattern in dictionary/ and mappings/."""
    found = []
    for path in sorted((ROOT / "dictionary").glob("*.yaml")) + sorted((ROOT / "mappings").glob("*.yaml")):
        for key, text in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            if key == "pattern":
                found.append((path.parent.name, text))
            elif "REGEXP_REPLACE" in text.upper():
                found.extend((path.parent.name, node.expression.this) for node in parse_expression(text).find_all(exp.RegexpReplace))
    return found


@pytest.mark.unit
def test_every_shipped_pattern_is_in_the_linear_subset():
    shipped = _shipped_patterns()
    assert sum(where == "dictionary" for where, _ in shipped) >= 4
    assert sum(where == "mappings" for where, _ in shipped) >= 4
    for where, pattern in shipped:
        check_pattern(pattern)
        assert where == "mappings" or pattern in ACCEPTED, f"{pattern} missing from ACCEPTED"


@pytest.mark.unit
@pytest.mark.parametrize("pattern", ["^(a+)+$", "(a|aa)+", r"\d+\d+", "(?=a)", "a{1001}", r"^[^@\s]+@[^@\s]+\.[^@\s]+$"])
def test_refusals_carry_a_hint(pattern):
    with pytest.raises(UnsafePattern) as err:
        check_pattern(pattern)
    assert err.value.hint


@pytest.mark.unit
def test_the_nested_repeat_message_suggests_the_flat_pattern():
    with pytest.raises(UnsafePattern) as err:
        check_pattern("^(a+)+$")
    assert err.value.message.startswith("pattern '^(a+)+$' nests a repeat inside a repeat ('(a+)+'): backtracking engines")
    assert err.value.hint == "write it as '^a+$'"


@pytest.mark.unit
def test_the_rewritten_email_pattern_means_the_same_as_the_loose_one():
    loose = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
    linear = re.compile(RT._re2_pattern(r"^[^@\s]+@[^@\s][^@\s.]*\.[^@\s]+$"))
    for n in range(8):
        for chars in itertools.product("a.@ ", repeat=n):
            s = "".join(chars)
            assert bool(loose.search(s)) == bool(linear.search(s)), s


@pytest.mark.slow
def test_huge_or_deep_patterns_get_an_answer_within_the_analysis_budget():
    for pattern in ["(" * 60 + "a" + ")" * 60, "x" * 1001, "(?:a|a)" * 40, r"(?:\d+x)" * 40]:
        with pytest.raises(UnsafePattern):
            check_pattern(pattern)
    for pattern in ["[a-z]?" * 150, "(a|b|c|d|e|f|g|h)" * 30, "^" + "(?:[a-z]+,)" * 30 + "$"]:
        check_pattern(pattern)   # unambiguous, or a search that succeeds at once: linear


VALUES = ["", "a", "ab\n", "ab", "AB", "ab\nc", "٣", "١٢٣٤٥", "12345", "é", "ß", "\u212a", "K", "k", "a b", "a\tb",
          "a\u00a0b", "x@y.z", "a@b..c", "a@.b", "@b.c", "a@b.", "DE", "de", "De\n", "+44 (20) 7946-0958", "aaa",
          "abc", "abd", "1,234,567", "1,23", "-3.5", "3.", "foo bar", "foobar", "a.b.com", "\u00e9t\u00e9", "x\r\n"]


@pytest.mark.unit
def test_the_translator_and_sqlite_match_like_duckdb_on_every_accepted_pattern():
    con = connect()
    rows = duckdb.sql("SELECT p, v, regexp_matches(v, p) FROM (SELECT unnest(?) AS p) CROSS JOIN (SELECT unnest(?) AS v)",
                      params=[ACCEPTED, VALUES]).fetchall()
    assert len(rows) == len(ACCEPTED) * len(VALUES)
    for pattern, value, expected in rows:
        assert RT._regexp_matches_dynamic(value, pattern) is expected, (pattern, value)
        assert con.execute("SELECT ? REGEXP ?", (value, pattern)).fetchone()[0] == expected, (pattern, value)


@pytest.mark.unit
@pytest.mark.parametrize("pattern,replacement", [(r"\s+", " "), (r"[^0-9]", ""), (r"x*", "-"), (r"(\w)(\d)", r"\2\1"),
                                                 (r"^\s+", ""), (r"[aeiou]+", r"<\0>"), (r"\.", "")])
def test_regexp_replace_gives_duckdbs_answer_in_the_translator_and_sqlite(pattern, replacement):
    con = connect()
    for value in VALUES:
        expected = duckdb.sql("SELECT regexp_replace(?, ?, ?, 'g')", params=[value, pattern, replacement]).fetchone()[0]
        assert RT._regexp_replace_dynamic(value, pattern, replacement) == expected, (pattern, value)
        assert con.execute("SELECT REGEXP_REPLACE(?, ?, ?)", (value, pattern, replacement)).fetchone()[0] == expected


@pytest.mark.unit
def test_like_in_the_translator_is_linear_and_gives_duckdbs_answer():
    # DuckDB's own LIKE with a pattern from a column backtracks (it hangs on 'a' * 3000 LIKE '%a%a%a%b'), so
    # DuckDB answers for 'a' * 30, which every pattern here treats as it treats 'a' * 3000.
    patterns = ["".join(p) for n in range(5) for p in itertools.product("a%_b", repeat=n)] + ["%a%a%a%b", "a%_%a_%b", "%%"]
    values = ["".join(v) for n in range(5) for v in itertools.product("ab", repeat=n)] + ["a" * 30]
    rows = duckdb.sql("SELECT p, v, v LIKE p FROM (SELECT unnest(?) AS p) CROSS JOIN (SELECT unnest(?) AS v)",
                      params=[patterns, values]).fetchall()
    for pattern, value, expected in rows:
        rx = RT._like_pattern(pattern)
        assert (rx.fullmatch(value) is not None) is expected, (pattern, value)
        if value == "a" * 30:
            assert (rx.fullmatch("a" * 3000) is not None) is expected, pattern


@pytest.mark.unit
def test_the_parser_reads_classes_escapes_and_counts():
    tree, fold = parse(r"(?i)^[a\-z\d]{2,3}\.$")
    assert fold
    assert tree.items[1].min == 2 and tree.items[1].max == 3
    chars = tree.items[1].body.ranges
    assert (ord("-"), ord("-")) in chars or any(lo <= ord("-") <= hi for lo, hi in chars)
    assert any(lo <= ord("5") <= hi for lo, hi in chars) and any(lo <= ord("Z") <= hi for lo, hi in chars)
