"""Bounded loading (issue 11, points 4 and 5): hostile sizes, depths and paths are refused quickly.

Every hostile case runs the real CLI in a subprocess (a generous timeout guards against a hang;
no timing is asserted) and must exit 1 with ``file:line: message``, no traceback, nothing
written and, for paths leading out of the project, nothing of the target's contents. The
boundary tests show the limits are where toolkit/core/limits.py says: just under is accepted (and
generates in every dialect), just over is refused.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlglot import exp
from typer.testing import CliRunner

from projects import copy_project, snapshot
from toolkit import dialects
from toolkit.core import limits
from toolkit.cli import app
from toolkit.core.errors import DictError
from toolkit.expressions import cost
from toolkit.expressions.functions import ANY, BOOLEAN, FUNCTIONS, INTEGER, NUMBER, TEMPORAL, TEXT
from toolkit.expressions.language import ExpressionError, Scope, compile_expression
from toolkit.emit.generate import generate
from toolkit.emit._sqltypes import annotate
from toolkit.load.source_schema import Column, Table, load_source_schema
from toolkit.core.types import from_native_text
from toolkit.load.yamlsource import load_yaml, load_yaml_text

ROOT = Path(__file__).resolve().parents[1]
M, S, D = "mappings/chinook.yaml", "mappings/chinook.source.yaml", "dictionary/enterprise.yaml"
SECRET = "TOP-SECRET-CANARY-4711"
GUARD = 120   # seconds: a hang guard, never a timing assertion


# ---------------------------------------------------------------------------- building hostile projects

def _append(root: Path, rel: str, text: str) -> int:
    """Append ``text`` to a project file; the line it starts on."""
    path = root / rel
    old = path.read_text(encoding="utf-8")
    path.write_text(old + text, encoding="utf-8")
    return old.count("\n") + 1


def _replace(root: Path, rel: str, old: str, new: str) -> int:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def _bomb(levels: int = 9, width: int = 9) -> tuple[str, int]:
    """A billion-laughs document fragment (key 'lol0'...) and the offset of the line whose alias crosses the budget."""
    lines = ["lol0: &l0 [" + ", ".join(['"lol"'] * width) + "]"]
    size, crossing = width + 1, None
    for i in range(1, levels):
        lines.append(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
        size = size * width + 1
        if crossing is None and size > limits.MAX_ALIAS_NODES:
            crossing = i
    return "\n".join(lines) + "\n", crossing


def alias_bomb(rel):
    def setup(root):
        text, crossing = _bomb()
        return rel, _append(root, rel, "\n" + text) + 1 + crossing
    return setup


def alias_bomb_of_mappings(root):
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}"]
    for i in range(1, 9):
        lines.append(f"m{i}: &m{i} {{" + ", ".join(f"{k}: *m{i - 1}" for k in "abcdefgh") + "}")
    start = _append(root, M, "\n" + "\n".join(lines) + "\n") + 1
    return M, start + 5     # 8**5 * 9 values pass 100,000 at m5


def alias_bomb_wide(root):
    items = ", ".join(str(i) for i in range(1000))
    text = f"codes: &codes [{items}]\n" + "".join(f"copy{i}: *codes\n" for i in range(150))
    start = _append(root, D, "\n" + text) + 1
    return D, start + 100   # the 100th copy adds the 100,001st value


def alias_loop(root):
    return M, _append(root, M, "\nloop: &loop [1, *loop]\n") + 1


def deep_flow(rel, depth=100_000):
    def setup(root):
        return rel, _append(root, rel, "\ndeep: " + "[" * depth + "]" * depth + "\n") + 1
    return setup


def deep_block_dictionary(root):
    text = "".join("  " * i + f"level{i}:\n" for i in range(200))
    start = _append(root, D, "\n" + text)
    return D, start + 1 + limits.MAX_YAML_DEPTH   # the first mapping past 64 levels starts on level 64's line


def deep_alias(root):
    anchor = "deepanchor: &deep " + "[" * 40 + "]" * 40 + "\n"
    use = "".join("  " * i + f"l{i}:\n" for i in range(30)) + "  " * 30 + "x: *deep\n"
    start = _append(root, S, "\n" + anchor + use) + 1
    return S, start + 31


def huge(rel, size):
    def setup(root):
        path = root / rel
        with open(path, "r+b") as handle:     # a sparse tail: the size is checked before anything is read
            handle.seek(size)
            handle.write(b"\n# end\n")
        return rel, 1
    return setup


def many_nodes(root):
    _append(root, S, "\nmany: [" + ",".join(["0"] * (limits.MAX_YAML_NODES + 10)) + "]\n")
    lines = (root / S).read_text(encoding="utf-8").count("\n")
    return S, lines


def long_scalar(rel, old, new_key):
    def setup(root):
        return rel, _replace(root, rel, old, old + f"{new_key}{'x' * (limits.MAX_SCALAR_CHARS + 1)}\n") + 1
    return setup


def long_slot_description(root):
    text = "slots:\n  long_slot:\n    description: " + "d" * (limits.MAX_SCALAR_CHARS + 1) + "\n"
    return D, _replace(root, D, "slots:\n", text) + 2


def outside_file(root: Path) -> Path:
    """A file beside the project holding a canary, YAML-shaped so a careless loader would echo it."""
    secret = root.parent / "secret.yaml"
    secret.write_text(f"root: {SECRET}\n{SECRET}: x\ntables: {{{SECRET}: {{columns: {{a: {SECRET}}}}}}}\n",
                      encoding="utf-8")
    return secret


def mapping_file_link(target_of):
    def setup(root):
        (root / "mappings" / "extra.yaml").symlink_to(target_of(root))
        return "mappings/extra.yaml", 1
    return setup


def dictionary_link_outside(root):
    (root / "dictionary" / "shared.yaml").symlink_to(outside_file(root))
    return "dictionary/shared.yaml", 1


def mapping_fifo(root):
    os.mkfifo(root / "mappings" / "pipe.yaml")
    return "mappings/pipe.yaml", 1


def mapping_folder(root):
    (root / "mappings" / "folder.yaml").mkdir()
    return "mappings/folder.yaml", 1


def source_schema(reference, prepare=None):
    def setup(root):
        name = prepare(root) if prepare else reference
        return M, _replace(root, M, "steward: Sales Operations\n", f"steward: Sales Operations\nsource_schema: '{name}'\n") + 1
    return setup


def _escape(root):
    outside_file(root)
    return "../../secret.yaml"


def _absolute(root):
    return str(outside_file(root))


def _link_out(root):
    (root / "mappings" / "linked.source.yaml").symlink_to(outside_file(root))
    return "linked.source.yaml"


def _link_zero(root):
    (root / "mappings" / "zero.source.yaml").symlink_to("/dev/zero")
    return "zero.source.yaml"


def _fifo(root):
    os.mkfifo(root / "mappings" / "pipe.source.yaml")
    return "pipe.source.yaml"


def _folder(root):
    (root / "mappings" / "folder.source.yaml").mkdir()
    return "folder.source.yaml"


def _not_yaml(root):
    (root / "mappings" / "notes.txt").write_text(f"password={SECRET}\n", encoding="utf-8")
    return "notes.txt"


def _other_yaml(root):
    (root / "mappings" / "secrets.yaml").write_text(f"password: {SECRET}\n{SECRET}: 1\n", encoding="utf-8")
    # not a mapping file either (no 'source'): that file's own error may name it, never its contents
    return "secrets.yaml"


def expression(text: str, slot: str = "      given_name:\n        expr: TRIM(FirstName)\n"):
    def setup(root):
        name = slot.split(":")[0]
        quoted = "'" + text.replace("'", "''") + "'"
        line = _replace(root, M, slot, f"{name}:\n        expr: {quoted}\n")
        return M, line + 1
    return setup


def lpad_nest(n):
    return "LPAD(" * n + "FirstName" + ", 3, '0')" * n


# (case id, setup(root) -> (file, line), expected message)
CASES = [
    # ------------------------------------------------------------ alias bombs
    ("alias-bomb-mapping", alias_bomb(M), "aliases expand to more than 100,000 values"),
    ("alias-bomb-dictionary", alias_bomb(D), "aliases expand to more than 100,000 values"),
    ("alias-bomb-source-schema", alias_bomb(S), "aliases expand to more than 100,000 values"),
    ("alias-bomb-of-mappings", alias_bomb_of_mappings, "aliases expand to more than 100,000 values"),
    ("alias-bomb-wide-list", alias_bomb_wide, "aliases expand to more than 100,000 values (at '*codes', which repeats 1,001)"),
    ("alias-loop", alias_loop, "alias '*loop' is inside the value it refers to"),
    # ------------------------------------------------------------ nesting
    ("deep-flow-mapping", deep_flow(M), "nesting deeper than 64 levels"),
    ("deep-flow-source-schema", deep_flow(S), "nesting deeper than 64 levels"),
    ("deep-flow-dictionary-65", deep_flow(D, limits.MAX_YAML_DEPTH), "nesting deeper than 64 levels"),
    ("deep-block-dictionary", deep_block_dictionary, "nesting deeper than 64 levels"),
    ("deep-through-alias", deep_alias, "alias '*deep' nests the file deeper than 64 levels"),
    # ------------------------------------------------------------ size
    ("huge-mapping-50mb", huge(M, 50 * 2**20), "YAML files may have at most 4,194,304 bytes (4 MiB)"),
    ("huge-dictionary-just-over", huge(D, limits.MAX_FILE_BYTES), "YAML files may have at most 4,194,304 bytes"),
    ("huge-source-schema", huge(S, 8 * 2**20), "YAML files may have at most 4,194,304 bytes"),
    ("too-many-values", many_nodes, "more than 1,000,000 keys, values and list items"),
    ("long-description", long_scalar(M, "title: Chinook music store\n", "notes: "), "a value of 65,537 characters"),
    ("long-slot-description", long_slot_description, "characters; at most 65,536 are allowed"),
    # ------------------------------------------------------------ files that are not project files
    ("mapping-link-to-dev-zero", mapping_file_link(lambda root: Path("/dev/zero")), "is a symbolic link to a file outside the project"),
    ("mapping-link-outside", mapping_file_link(outside_file), "is a symbolic link to a file outside the project"),
    ("dictionary-link-outside", dictionary_link_outside, "is a symbolic link to a file outside the project"),
    ("mapping-fifo", mapping_fifo, "is a FIFO (named pipe), not a file"),
    ("mapping-folder", mapping_folder, "is a folder, not a file"),
    ("source-schema-dotdot", source_schema(None, _escape), "source_schema '../../secret.yaml' leads outside mappings/"),
    ("source-schema-etc-shadow", source_schema("../../../../etc/shadow"), "leads outside mappings/ ('..')"),
    ("source-schema-absolute", source_schema(None, _absolute), "is an absolute path"),
    ("source-schema-home", source_schema("~/.ssh/id_rsa.yaml"), "is an absolute path"),
    ("source-schema-link-outside", source_schema(None, _link_out), "is a symbolic link to a file outside mappings/"),
    ("source-schema-dev-zero", source_schema(None, _link_zero), "is a symbolic link to a file outside mappings/"),
    ("source-schema-fifo", source_schema(None, _fifo), "source_schema 'pipe.source.yaml' is a FIFO (named pipe), not a file"),
    ("source-schema-folder", source_schema(None, _folder), "source_schema 'folder.source.yaml' is a folder, not a file"),
    ("source-schema-not-yaml", source_schema(None, _not_yaml), "source_schema 'notes.txt' is not a YAML file"),
    # ------------------------------------------------------------ expressions
    ("expr-500-parentheses", expression("(" * 500 + "FirstName" + ")" * 500), "nests at least 500 levels deep; at most 64"),
    ("expr-20k-concatenations", expression(" || ".join(["FirstName"] * 20_000)), "a value of 259,996 characters"),
    ("expr-2500-concatenations", expression(" || ".join(["FirstName"] * 2_500)), "characters long; at most 10,000"),
    ("expr-100-concatenations", expression(" || ".join(["FirstName"] * 100)), "levels deep; at most 64"),
    ("expr-500-nots", expression("CASE WHEN " + "NOT " * 500 + "FirstName IS NULL THEN 'a' END"), "levels deep; at most 64"),
    ("expr-200-nested-cases", expression("CASE WHEN FirstName IS NULL THEN 'a' ELSE " * 200 + "'b'" + " END" * 200),
     "levels deep; at most 64"),
    ("expr-80-nested-cases", expression("CASE WHEN FirstName IS NULL THEN 'a' ELSE " * 80 + "'b'" + " END" * 80),
     "levels deep; at most 64"),
    ("expr-9-nested-casts", expression("CAST(" * 9 + "FirstName" + " AS TEXT)" * 9), "CASTs nested 9 deep; at most 8"),
    ("expr-lpad-bomb", expression(lpad_nest(20)), "in the SQL of some dialects this expression grows to about 10^"),
    ("expr-date-parsing-bomb", expression("CAST(CAST(" * 4 + "FirstName" + " AS DATE) AS TEXT)" * 4),
     "in the SQL of some dialects this expression grows to"),
    ("expr-global-id-keys", expression("GLOBAL_ID('Customer', " + ", ".join(["CustomerId"] * 40) + ")",
                                       "      customer_id:\n        expr: GLOBAL_ID('Customer', CustomerId)\n"),
     "once GLOBAL_ID is expanded"),
]


@pytest.fixture(scope="module")
def generated_project(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("bounded") / "project")
    generate(root, ["sql"])
    return root


@pytest.fixture()
def project(generated_project, tmp_path):
    root = tmp_path / "work" / "project"
    shutil.copytree(generated_project, root)
    return root


def run_cli(*args: str, guard: int = GUARD) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "toolkit.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=guard, env=dict(os.environ, PYTHONPATH=str(ROOT)))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_refused_quickly_with_file_line(project, case):
    _id, setup, message = case
    rel, line = setup(project)
    before = snapshot(project / "generated")

    result = run_cli("generate", "sql", "--project", str(project))

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output and "RecursionError" not in output and "MemoryError" not in output, output
    assert message in output, output
    assert f"error {rel}:{line}: " in output, output
    assert SECRET not in output, "a file outside the project was echoed"
    assert all(len(text) < 2000 for text in output.splitlines()), "a message quotes a whole hostile input"
    assert snapshot(project / "generated") == before
    assert not [p for p in project.iterdir() if p.name.startswith(".")], "staging folder left behind"


@pytest.mark.unit
def test_a_yaml_file_that_is_not_a_source_schema_is_never_echoed(project):
    source_schema(None, _other_yaml)(project)
    result = CliRunner().invoke(app, ["validate", "--project", str(project)])
    assert result.exit_code == 1
    assert "mappings/secrets.yaml:1: not a source schema" in result.output
    assert "mappings/secrets.yaml:1: not a mapping file" in result.output
    assert SECRET not in result.output


@pytest.mark.unit
def test_the_corpus_has_at_least_25_cases_of_each_kind_of_bound():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 25
    assert {i.split("-")[0] for i in ids} >= {"alias", "deep", "huge", "long", "mapping", "source", "expr"}


# ---------------------------------------------------------------------------- YAML limits: just under / just over

def _nested(depth: int) -> str:
    return "a: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"


@pytest.mark.unit
@pytest.mark.parametrize("text, refused", [
    (_nested(limits.MAX_YAML_DEPTH), False),
    (_nested(limits.MAX_YAML_DEPTH + 1), True),
    ("a: " + "x" * limits.MAX_SCALAR_CHARS + "\n", False),
    ("a: " + "x" * (limits.MAX_SCALAR_CHARS + 1) + "\n", True),
    # an anchor of 999 values + 1 list, used 100 times: 100,000 values added by aliases, then one more
    ("l: &l [" + ",".join(["1"] * 999) + "]\n" + "".join(f"c{i}: *l\n" for i in range(100)), False),
    ("l: &l [" + ",".join(["1"] * 999) + "]\n" + "".join(f"c{i}: *l\n" for i in range(100)) + "s: &s 1\nt: *s\n", True),
], ids=["depth-64", "depth-65", "scalar-max", "scalar-over", "aliases-max", "aliases-over"])
def test_yaml_limits_are_exact(text, refused):
    if refused:
        with pytest.raises(DictError):
            load_yaml_text(text, "f.yaml")
    else:
        load_yaml_text(text, "f.yaml")


@pytest.mark.unit
def test_a_file_of_exactly_the_size_limit_is_read_and_one_byte_more_is_not(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: 1\n#" + b"x" * (limits.MAX_FILE_BYTES - 7) + b"\n")
    assert path.stat().st_size == limits.MAX_FILE_BYTES
    assert load_yaml(path, "big.yaml") == {"a": 1}
    with open(path, "ab") as handle:
        handle.write(b"\n")
    with pytest.raises(DictError, match="file is 4,194,305 bytes"):
        load_yaml(path, "big.yaml")


@pytest.mark.unit
def test_shared_code_lists_still_work_through_aliases():
    doc = load_yaml(ROOT / M, M)
    first = doc["class_derivations"]["Household"]["slot_derivations"]["country_code"]["value_mappings"]
    again = doc["class_derivations"]["ContactPointAddress"]["slot_derivations"]["country_code"]["value_mappings"]
    assert first == again and first["Austria"] == "AT"


# ---------------------------------------------------------------------------- expression limits: just under / just over

SHAPES = {
    "parentheses": lambda n: "(" * n + "FirstName" + ")" * n,
    "concatenation": lambda n: " || ".join(["FirstName"] * n),
    "integer-concatenation": lambda n: " || ".join(["CustomerId"] * n),
    "upper": lambda n: "UPPER(" * n + "FirstName" + ")" * n,
    "coalesce": lambda n: "COALESCE(FirstName, " * n + "'x'" + ")" * n,
    "concat": lambda n: "CONCAT(FirstName, " * n + "'x'" + ")" * n,
    "replace": lambda n: "REPLACE(" * n + "FirstName" + ", 'a', 'b')" * n,
    "substring": lambda n: "SUBSTRING(" * n + "FirstName" + ", 1, 50)" * n,
    "nullif": lambda n: "NULLIF(" * n + "FirstName" + ", 'x')" * n,
    "regexp-replace": lambda n: "REGEXP_REPLACE(" * n + "FirstName" + ", 'a', 'b')" * n,
    "lpad": lpad_nest,
    "greatest": lambda n: "GREATEST(" * n + "FirstName" + ", 'x')" * n,
    "left-right": lambda n: "LEFT(RIGHT(" * n + "FirstName" + ", 9), 9)" * n,
    "case-else": lambda n: "CASE WHEN FirstName IS NULL THEN 'a' ELSE " * n + "FirstName" + " END" * n,
    "case-condition": lambda n: "CASE WHEN " * n + "FirstName IS NULL" + " THEN TRUE ELSE FALSE END" * (n - 1) + " THEN 'x' END",
    "not": lambda n: "CASE WHEN " + "NOT " * n + "(FirstName IS NULL) THEN 'a' END",
    "and": lambda n: "CASE WHEN " + " AND ".join(["FirstName IS NULL"] * n) + " THEN 'a' END",
    "or": lambda n: "CASE WHEN " + " OR ".join(["FirstName LIKE 'a%'"] * n) + " THEN 'a' END",
    "condition-as-value": lambda n: "CASE WHEN " + "(" * n + "FirstName IN ('a', 'b')" + " = TRUE)" * n + " THEN 'x' END",
    "arithmetic": lambda n: "CAST(" + " + ".join(["CustomerId"] * n) + " AS TEXT)",
    "parenthesised-arithmetic": lambda n: "CAST(" + "(" * n + "CustomerId" + " * 2)" * n + " AS TEXT)",
    "division": lambda n: "CAST(" + " / ".join(["CustomerId"] * n) + " AS TEXT)",
    "round": lambda n: "CAST(" + "ROUND(" * n + "CustomerId * 1.5" + ", 1)" * n + " AS TEXT)",
    "negation": lambda n: "CAST(" + "ABS(-" * n + "CustomerId" + ")" * n + " AS TEXT)",
    "casts": lambda n: "CAST(" * 8 + "UPPER(" * n + "FirstName" + ")" * n + " AS TEXT)" * 8,
    "casts-through-numbers": lambda n: "CAST(" + "LENGTH(CAST(" * n + "FirstName" + " AS TEXT))" * n + " AS TEXT)",
    "str-to-date": lambda n: "CAST(" + "YEAR(STR_TO_DATE(CAST(" * n + "FirstName" + " AS TEXT), '%Y-%m-%d'))" * n + " AS TEXT)",
}
# Not in SHAPES, found while building it (generator bugs, not resource limits): INITCAP(INITCAP(x)) makes
# `generate all` fail re-parsing the Trino/Spark lambda it writes, and a simple CASE nested in a simple
# CASE's ELSE raises AttributeError in the Python translator generator.


def _customer_scope() -> Scope:
    schema = load_source_schema(ROOT / S, S)
    return Scope("chinook", "Customer", {"Customer": schema.table("Customer")}, frozenset({"Customer"}))


def _largest_accepted(shape) -> int:
    scope, n = _customer_scope(), 1
    while True:
        try:
            compile_expression(shape(n + 1), scope)
        except ExpressionError:
            return n
        n += 1


@pytest.fixture(scope="module")
def at_the_limit():
    return {name: _largest_accepted(shape) for name, shape in SHAPES.items()}


@pytest.mark.unit
@pytest.mark.parametrize("name", list(SHAPES))
def test_each_shape_is_accepted_up_to_a_limit_and_refused_just_over(name, at_the_limit):
    n, scope = at_the_limit[name], _customer_scope()
    assert n >= 2, f"{name}: even a 2-deep expression is refused"
    compile_expression(SHAPES[name](n), scope)
    with pytest.raises(ExpressionError, match="levels deep|CASTs nested|grows to"):
        compile_expression(SHAPES[name](n + 1), scope)


def test_expressions_just_under_every_limit_generate_in_every_dialect_and_python(at_the_limit, tmp_path):
    """Type checking, the SQL of every dialect, Python translators, lineage and docs all handle the deepest
    and largest accepted expressions: no RecursionError, no parser limit, no blow-up."""
    root = copy_project(tmp_path / "project")
    derivations = "".join(
        f"\n  Deep_{name.replace('-', '_')}:\n    target_class: Customer\n    populated_from: Customer\n"
        f"    slot_derivations:\n      id:\n        expr: \"GLOBAL_ID('Customer', 'deep_{name}', CustomerId)\"\n"
        f"      customer_type:\n        value: person\n      full_name:\n"
        f"        expr: '{SHAPES[name](n).replace(chr(39), chr(39) * 2)}'\n"
        for name, n in at_the_limit.items())
    _append(root, M, derivations)

    # about 50 s of CPU for 27 derivations at their limits in 9 dialects, Python, lineage and docs
    result = run_cli("generate", "all", "--dialect", "all", "--project", str(root), guard=900)

    assert result.returncode == 0, result.stderr[-3000:]
    for d in dialects.names():
        text = (root / "generated" / "sql" / d / "chinook.sql").read_text(encoding="utf-8")
        assert all(f"chinook__deep_{name.replace('-', '_')}" in text for name in SHAPES), d
        assert len(text) < 20 * 2**20, f"{d}: {len(text):,} characters of SQL"


# ---------------------------------------------------------------------------- the copy table is an upper bound

_NATIVE = {"text": "VARCHAR(40)", "int": "INTEGER", "dec": "DECIMAL(10,2)", "float": "DOUBLE", "date": "DATE",
           "ts": "TIMESTAMP", "bool": "BOOLEAN"}
_KINDS = {TEXT: ["text"], NUMBER: ["int", "dec", "float"], INTEGER: ["int"], TEMPORAL: ["date", "ts"],
          BOOLEAN: ["bool"], ANY: list(_NATIVE)}
_PROBE_TABLE = Table("t", {f"{p}_{k}": Column(f"{p}_{k}", n, from_native_text(n), True)
                           for p in "xy" for k, n in _NATIVE.items()})
_FIXED_ARGUMENTS = {("STR_TO_DATE", 1): "'%Y-%m-%d'", ("REGEXP_REPLACE", 1): "'a+'", ("REGEXP_LIKE", 1): "'a+'"}


def _function_probes() -> list[tuple[str, str, bool]]:
    out = []
    for fn in FUNCTIONS:
        arity = 2 if fn.variadic else max(len(fn.args), fn.min_args, 1)
        kinds = [fn.args[min(i, len(fn.args) - 1)] for i in range(arity)]
        for pos in range(arity):
            if (fn.name, pos) in _FIXED_ARGUMENTS:
                continue
            for kind in _KINDS[kinds[pos]]:
                args = [_FIXED_ARGUMENTS.get((fn.name, i)) or (f"x_{kind}" if i == pos else
                        f"y_{kind if k == ANY else _KINDS[k][0]}") for i, k in enumerate(kinds)]
                out.append((f"{fn.name}({', '.join(args)})", f"x_{kind}", fn.aggregate))
    return out


def _operator_probes() -> list[tuple[str, str, bool]]:
    out = []
    for kind in _NATIVE:
        for target in ("TEXT", "INTEGER", "DECIMAL(10,2)", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP"):
            out += [(f"CAST(x_{kind} AS {target})", f"x_{kind}", False), (f"TRY_CAST(x_{kind} AS {target})", f"x_{kind}", False)]
        out += [(f"x_{kind} {op} y_{kind}", f"x_{kind}", False) for op in ("=", "<>", "<", "<=", ">", ">=")]
        out += [(f"x_{kind} IS NULL", f"x_{kind}", False), (f"x_{kind} BETWEEN y_{kind} AND y_{kind}", f"x_{kind}", False),
                (f"CASE WHEN y_bool THEN x_{kind} ELSE y_{kind} END", f"x_{kind}", False),
                (f"CASE x_{kind} WHEN y_{kind} THEN 1 ELSE 2 END", f"x_{kind}", False),
                (f"COALESCE(x_{kind} = y_{kind}, y_bool)", f"x_{kind}", False)]
    for kind in ("int", "dec", "float"):
        out += [(f"x_{kind} {op} y_{kind}", f"x_{kind}", False) for op in "+-*/%"] + [(f"-x_{kind}", f"x_{kind}", False)]
    out += [("x_int || y_text", "x_int", False), ("x_text || y_text", "x_text", False), ("x_text IN ('a', 'b')", "x_text", False),
            ("NOT x_bool", "x_bool", False), ("x_bool AND y_bool", "x_bool", False), ("x_bool IS TRUE", "x_bool", False),
            ("x_text LIKE y_text", "x_text", False), ("x_text ILIKE 'a%'", "x_text", False),
            ("CASE WHEN x_int > 0 AND NOT (x_text LIKE 'a%') THEN 1 END", "x_int", False),
            ("GLOBAL_ID('C', x_int, y_text)", "x_int", False)]
    return out


def _model_copies(bound: exp.Expression, column: str, checker_scope: Scope) -> int:
    """What cost.py assumes: the product of the copy factors from the root down to the column."""
    from toolkit.expressions.language import _CAST_TARGETS, _Checker

    checker = _Checker(checker_scope)
    leaf = next(c for c in bound.find_all(exp.Column) if c.name == column)
    product, child, node = 1, leaf, leaf.parent
    while node is not None:
        product *= cost.copies(node, checker.type_of_bound, lambda to: _CAST_TARGETS.get(to.this))
        if isinstance(node, cost._CONDITIONS) and not cost.in_condition_position(node):
            product *= cost.CONDITION_AS_VALUE
        child, node = node, node.parent
    return product


def test_no_dialect_copies_an_operand_more_often_than_the_cost_model_assumes():
    failures = []
    table = exp.Table(this=exp.to_identifier("t", quoted=True), db=exp.to_identifier("src", quoted=True))
    for text, column, aggregate in _function_probes() + _operator_probes():
        scope = Scope("src", "t", {"t": _PROBE_TABLE}, frozenset({"C"}), allow_aggregates=aggregate)
        try:
            bound = compile_expression(text, scope).ast
        except ExpressionError:
            continue    # an argument type the function does not take
        assumed = _model_copies(bound, column, scope)
        for name in dialects.names():
            d = dialects.get(name)
            statement = annotate(exp.select(exp.alias_(bound.copy(), "v", quoted=True)).from_(table.copy()),
                                 {"t": _PROBE_TABLE}, "src")
            written = len(re.findall(rf"\b{column}\b", d.to_sql(d.rewrite(statement))))
            if written > assumed:
                failures.append(f"{name}: {text} writes {column} {written} times; cost.py assumes {assumed}")
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------------------- defence in depth

@pytest.mark.unit
@pytest.mark.parametrize("error", [RecursionError, MemoryError])
def test_a_recursion_or_memory_error_is_one_line_not_a_traceback(monkeypatch, error, tmp_path):
    import toolkit.plan

    def explode(_root):
        raise error("boom")

    monkeypatch.setattr(toolkit.plan, "load_plan", explode)
    result = CliRunner().invoke(app, ["validate", "--project", str(tmp_path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "too large or too deeply nested" in result.output and "Traceback" not in result.output
