"""Generated record translators carry mapping text only as data (issue 11, point 1).

Every Python identifier a translator emits comes from ``toolkit.emit.python.identifier`` (ASCII,
injective, never a keyword or a dunder); every value is a literal; docstrings and comments escape what
could end them. ``translator_safety.check_translator`` parses a module and fails on any node kind, name,
call or attribute the generator is not meant to emit. It runs on the committed modules, a fresh
generation, and hostile projects whose names carry quotes, code, emoji, bidi marks and colliding
spellings: each is validated, generated, imported in a fresh interpreter and run on records, with a
canary file that must not appear and the answers of the DuckDB views to match.
"""
from __future__ import annotations

import ast
import json
import keyword
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from projects import copy_project
from toolkit.cli import app
from toolkit.run.engines import create_views
from toolkit.run.engines.duckdb import DuckDBEngine
from toolkit.emit.python import Names, _comment, _docstring_text, identifier, literal, source_module
from toolkit.plan import load_plan
from translator_safety import check_translator, problems
from translator_support import ROOT, dict_rows, quoted, records_with_joins

COMMITTED = sorted((ROOT / "generated" / "python").glob("*.py"))
# runs a shell command when evaluated; no dots, so it also fits a slot name
PWN = "getattr(__import__('os'),'system')('touch pwned')"


# ----------------------------------------------------------------------------- the identifier function

NAMES = ["CustomerId", "a b", "a-b", "a_b", "a__b", "_a_b", "a_b_", "😀", "😀😀", "𠀀", "class", "None", "translate",
         "str", "_in", "1x", "", "Café", "ﬁ", "fi", "a\u202eb", "a\u2028b", "a'b", 'a"b', "a\\b", "a#b", "{a}",
         "a[__import__('os').system('x')].c", "a__5f", "n__", "x_2", "ǅ", "İ"]


@pytest.mark.unit
@pytest.mark.parametrize("prefix", ["", "c_", "j_rep_", "_row_"])
def test_identifier_is_a_safe_ascii_name_and_distinct_names_stay_distinct(prefix):
    seen = {}
    for name in NAMES:
        ident = identifier(name, prefix, reserved={"translate", "str"})
        assert ident.isascii() and ident.isidentifier() and not keyword.iskeyword(ident), (name, ident)
        assert not (ident.startswith("__") and ident.endswith("__")), ident
        assert prefix or ident[0].isalpha(), ident
        assert ident not in seen, f"{name!r} and {seen.get(ident)!r} both give {ident}"
        seen[ident] = name
    assert identifier("CustomerId", prefix) == prefix + "CustomerId"   # plain names stay readable


@pytest.mark.unit
@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=2, max_size=6, unique=True), st.sampled_from(["", "c_", "v__raw__"]))
def test_identifier_is_injective_on_any_text(names, prefix):
    idents = [identifier(n, prefix) for n in names]
    assert len(set(idents)) == len(idents)
    assert all(i.isascii() and i.isidentifier() and not keyword.iskeyword(i) for i in idents)
    assert idents == [identifier(n, prefix) for n in names]   # deterministic


@pytest.mark.unit
def test_names_built_from_two_parts_never_meet():
    names = Names({"_match_one"})
    first = names.claim(identifier("a_b", "j_") + "_c")
    second = names.claim(identifier("a", "j_") + "_b_c")
    assert first == "j_a_b_c" and second == "j_a_b_c_2"
    assert names.claim("_match_one") == "_match_one_2"   # a reserved module name is never taken
    with pytest.raises(ValueError):
        names.claim("x) or (y")


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(st.text())
def test_docstrings_comments_and_literals_read_back_as_the_text(text):
    assert ast.literal_eval('"""' + _docstring_text(text) + '"""') == text
    assert ast.literal_eval(literal(text)) == text
    comment = _comment(text)
    tree = ast.parse(f"x = 1  # {comment}\ny = 2\n")
    assert [type(n) for n in tree.body] == [ast.Assign, ast.Assign]
    assert all(c.isprintable() for c in comment)


@pytest.mark.unit
def test_bidi_and_line_separators_are_visible_escapes_in_docstrings_and_comments():
    text = "a\u202eb\u2066c\u2028d\u200be"
    assert _docstring_text(text) == "a\\u202eb\\u2066c\\u2028d\\u200be"
    assert _comment(text) == "a\\u202eb\\u2066c d\\u200be"   # U+2028 is a line break: a space on a comment line
    assert literal(text) == "'a\\u202eb\\u2066c\\u2028d\\u200be'"


# ----------------------------------------------------------------------------- the structural check

@pytest.mark.unit
@pytest.mark.parametrize("path", COMMITTED, ids=[p.stem for p in COMMITTED])
def test_the_committed_translators_hold_only_what_the_generator_emits(path):
    check_translator(path.read_text(encoding="utf-8"), path.name)


def test_freshly_generated_translators_pass_the_structural_check(plan):
    for source in plan.sources:
        check_translator(source_module(plan, source), source.name)


MUTATIONS = [
    ("import", "\nSOURCE = ", "\nimport os\nSOURCE = "),
    ("call-eval", "    return DERIVATIONS[derivation](record)", "    return eval('DERIVATIONS')[derivation](record)"),
    ("dunder-import", "\nSOURCE = ", "\n_K999 = __import__('os')\nSOURCE = "),
    ("unknown-call", "\nSOURCE = ", "\n_K999 = open('x')\nSOURCE = "),
    ("expression-statement", "\n\ndef translate(", "\n\nprint('hi')\n\n\ndef translate("),
    ("runtime-changed", "class Reject:\n", "class Reject:\n    x = __import__('os')\n"),
    ("decorator", "\n\ndef translate(", "\n\n@staticmethod\ndef translate("),
    ("top-level-code", "\nSOURCE = ", "\nif SOURCE:\n    pass\nSOURCE = "),
    ("table-value", "\nDERIVATIONS = {\n", "\nDERIVATIONS = {\n    'x': exec,\n"),
]


@pytest.mark.unit
@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_the_structural_check_refuses_code_the_generator_does_not_emit(mutation):
    _id, old, new = mutation
    text = (ROOT / "generated" / "python" / "chinook.py").read_text(encoding="utf-8")
    assert old in text
    assert problems(text.replace(old, new, 1)), f"{_id}: the check let it through"


@pytest.mark.unit
def test_the_structural_check_refuses_statements_inside_a_generated_function():
    text = (ROOT / "generated" / "python" / "chinook.py").read_text(encoding="utf-8")
    anchor = "\ndef customer(record):\n"
    body = text.index("    try:\n", text.index(anchor))
    for smuggled in ("globals()['x'] = 1", "x = record.__dict__", "x = [c for c in record]", "x = lambda: 1",
                     "x = getattr(record, 'get')", "x = b'bytes'", "import os", "del record", "x = f'{record}'"):
        mutated = text[:body] + f"    {smuggled}\n" + text[body:]
        assert problems(mutated), smuggled


# ----------------------------------------------------------------------------- hostile projects

DEFAULTS = {
    "title": "Tiny source", "description": "A small source.", "derivation": "Item", "cls": "Item",
    "bucket": "Bucket", "bucket_cls": "Bucket", "table": "items", "key": "k", "text": "txt", "code": "code",
    "num": "num", "fk": "fk", "join_table": "labels", "join_key": "lk", "join_name": "label", "alias": "lab",
    "alias2": "lab2", "slot_text": "label_text", "slot_enum": "tier", "slot_num": "amount", "slot_dec": "price", "slot_count": "members",
    "enum": "Tier", "values": ["gold", "silver"], "codes": ["G", "S"], "reason": "item is retired",
    "retired": "RETIRED", "slot_description": "a slot", "dec_expr": "TRY_CAST({num} AS DOUBLE) / 4",
}

# (case id, overrides): every case validates, generates, imports and translates like the DuckDB views
HOSTILE = [
    ("alias-import", {"alias": f"a[{PWN}].c"}),
    ("alias-quotes", {"alias": "a'b\"c"}),
    ("alias-triple-quotes", {"alias": "x\"\"\"y'''z"}),
    ("alias-backslashes", {"alias": "a\\b\\", "alias2": "a\\nb\\x41"}),
    ("alias-hash-braces", {"alias": "a#b", "alias2": "{a}{{b}}%s"}),
    ("alias-keywords", {"alias": "class", "alias2": "None"}),
    ("alias-emoji", {"alias": "🔥", "alias2": "🔥🔥"}),
    ("alias-meets-column", {"alias": "a_b", "alias2": "a", "join_name": "c", "join_key": "b_c"}),
    ("derivation-code", {"derivation": f"x'); {PWN}; ('"}),
    ("derivation-emoji", {"derivation": "Prod😀uct", "bucket": "😀"}),
    ("derivation-cjk-extension-b", {"derivation": "𠀀𠀁", "bucket": "𪜀"}),
    ("derivation-bidi-marks", {"derivation": "ab\u202ecd\u200f", "bucket": "\u2066x\u2069"}),
    ("derivation-line-separator", {"derivation": "a\u2028b", "bucket": "a\u2029b"}),
    ("derivation-builtins-and-keywords", {"derivation": "str", "bucket": "def"}),
    ("derivation-template-names", {"derivation": "translate", "bucket": "DERIVATIONS"}),
    ("derivation-runtime-names", {"derivation": "_in", "bucket": "Reject"}),
    ("derivations-sanitized-alike", {"derivation": "Foo Bar", "bucket": "Foo-Bar"}),
    ("derivation-dunders", {"derivation": "__init__", "bucket": "__class__"}),
    ("slot-breaks-the-cast-message", {"slot_num": f"x' + {PWN} + '", "slot_dec": f"y' + {PWN} + '"}),
    ("slot-keywords", {"slot_text": "import", "slot_enum": "lambda", "slot_num": "def"}),
    ("slot-emoji-and-quotes", {"slot_text": "😀", "slot_enum": "a\"\"\"b", "slot_count": "n'"}),
    ("columns-code", {"text": f"t\"]; {PWN} #", "code": "c'''", "num": "n\\", "fk": "f\"\"\""}),
    ("columns-sanitized-alike", {"text": "a b", "code": "a-b", "num": "a_b", "fk": "a__b"}),
    ("columns-nfkc-alike", {"text": "ﬁ", "code": "fi", "num": "ｎｕｍ", "fk": "num"}),
    ("tables-and-classes-code", {"table": f"t'); {PWN} #", "join_table": "l\"\"\"", "cls": "C\"\"\"x",
                                 "bucket_cls": "B'''y"}),
    ("values-code", {"values": ["g\"\"\"", f"s'); {PWN}; ('"], "codes": ["\\", "'''"], "enum": "E\"\"\"'"}),
    ("reason-and-literal-code", {"reason": f"\"\"\" + {PWN} + \"\"\"", "retired": f"' + {PWN} + '"}),
    ("title-and-description-code", {"title": f"T\"\"\" + {PWN} + \"\"\"", "description": "d\\\"\"\"\u2028x",
                                    "slot_description": "\"\"\"\\"}),
    ("trailing-quote-in-docstring", {"derivation": "Ends\"", "join_table": "tbl\"", "table": "items\""}),
    ("number-beyond-double", {"dec_expr": "CASE WHEN TRY_CAST({num} AS DOUBLE) < 1e999 AND -1e999 < 0 THEN TRY_CAST({num} AS DOUBLE) END / 4"}),
    ("rtl-override-everywhere", {"alias": "\u202e1\u202c", "text": "\u202et", "slot_text": "s\u202e",
                                 "reason": "\u202ereason", "table": "\u202ditems"}),
]


def _s(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def hostile_project(root: Path, names: dict) -> Path:
    """A small project (one source, a plain and a grouped derivation, two joins) whose names are ``names``."""
    n = {**DEFAULTS, **names}
    t, jt = quoted(n["table"]), quoted(n["join_table"])
    slots = {"id": {"identifier": True, "description": "id"},
             n["slot_text"]: {"description": n["slot_description"]},
             n["slot_enum"]: {"range": n["enum"], "description": "an enum"},
             n["slot_num"]: {"range": "integer", "description": "a number"},
             n["slot_dec"]: {"range": "decimal", "description": "a decimal (the output cast can fail)"},
             n["slot_count"]: {"range": "integer", "description": "a count"}}
    dictionary = {"id": "https://example.org/hostile", "name": "hostile", "imports": ["linkml:types"],
                  "default_range": "string",
                  "classes": {n["cls"]: {"description": "c", "slots": ["id", n["slot_text"], n["slot_enum"], n["slot_num"],
                                                                        n["slot_dec"]]},
                              n["bucket_cls"]: {"description": "b", "slots": ["id", n["slot_count"]]}},
                  "slots": slots,
                  "enums": {n["enum"]: {"permissible_values": {v: {} for v in n["values"]}}}}
    source = {"source": "src", "dialect": "duckdb", "tables": {
        n["table"]: {"primary_key": [n["key"]], "columns": {
            n["key"]: {"type": "INTEGER", "nullable": False}, n["text"]: {"type": "VARCHAR"},
            n["code"]: {"type": "VARCHAR"}, n["num"]: {"type": "VARCHAR"}, n["fk"]: {"type": "INTEGER"}}},
        n["join_table"]: {"primary_key": [n["join_key"]], "columns": {
            n["join_key"]: {"type": "INTEGER", "nullable": False}, n["join_name"]: {"type": "VARCHAR"}}}}}
    a, a2 = quoted(n["alias"]), quoted(n["alias2"])
    text = f"{t}.{quoted(n['text'])}"
    mapping = {"source": "src", "title": n["title"], "description": n["description"], "class_derivations": {
        n["derivation"]: {
            "target_class": n["cls"], "populated_from": n["table"],
            "joins": {n["alias"]: {"table": n["join_table"], "on": f"{a}.{quoted(n['join_key'])} = {t}.{quoted(n['fk'])}",
                                   "cardinality": "to_one"},
                      n["alias2"]: {"table": n["join_table"], "on": f"{a2}.{quoted(n['join_key'])} = {t}.{quoted(n['key'])}",
                                    "cardinality": "to_one"}},
            "reject_when": [{"when": f"{text} = {_s(n['retired'])}", "reason": n["reason"]}],
            "slot_derivations": {
                n["slot_text"]: {"expr": f"COALESCE({a}.{quoted(n['join_name'])}, '') || '/' || "
                                         f"COALESCE({a2}.{quoted(n['join_name'])}, '') || '/' || TRIM({text})"},
                n["slot_enum"]: {"populated_from": n["code"], "value_mappings": dict(zip(n["codes"], n["values"]))},
                n["slot_num"]: {"expr": f"CAST({t}.{quoted(n['num'])} AS INTEGER)"},
                n["slot_dec"]: {"expr": n["dec_expr"].format(num=f"{t}.{quoted(n['num'])}")}}},
        n["bucket"]: {
            "target_class": n["bucket_cls"], "populated_from": n["join_table"],
            "joins": {n["alias"]: {"table": n["table"], "on": f"{a}.{quoted(n['fk'])} = {jt}.{quoted(n['join_key'])}",
                                   "cardinality": "to_many"}},
            "reject_when": [{"when": f"{jt}.{quoted(n['join_name'])} = {_s(n['retired'])}", "reason": n["reason"]}],
            "group_by": [f"{jt}.{quoted(n['join_key'])}"],
            "slot_derivations": {n["slot_count"]: {"expr": f"COUNT({a}.{quoted(n['key'])})"}}}}}
    for folder, name, data in (("dictionary", "hostile.yaml", dictionary), ("mappings", "src.source.yaml", source),
                               ("mappings", "src.yaml", mapping)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def load_data(con, names: dict) -> None:
    n = {**DEFAULTS, **names}
    t, jt = f'src.{quoted(n["table"])}', f'src.{quoted(n["join_table"])}'
    con.execute("CREATE SCHEMA src")
    con.execute(f"CREATE TABLE {t} ({quoted(n['key'])} INTEGER, {quoted(n['text'])} VARCHAR, {quoted(n['code'])} VARCHAR, "
                f"{quoted(n['num'])} VARCHAR, {quoted(n['fk'])} INTEGER)")
    g, s = n["codes"]
    con.executemany(f"INSERT INTO {t} VALUES (?, ?, ?, ?, ?)", [
        (1, " hello ", g, "12", 1), (2, n["retired"], s, "3", 2), (3, "x", "Z", "4", 1), (4, "y", s, "zz", 9),
        (5, None, None, None, None), (6, "😀 \u202e", g, "-7", 3)])
    con.execute(f"CREATE TABLE {jt} ({quoted(n['join_key'])} INTEGER, {quoted(n['join_name'])} VARCHAR)")
    con.executemany(f"INSERT INTO {jt} VALUES (?, ?)", [(1, "one"), (2, n["retired"]), (3, None), (4, "four")])


TRANSLATE = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import src
    out = {}
    for name, records in json.load(open(sys.argv[2], encoding="utf-8")).items():
        got = out[name] = []
        for record in records:
            if name in src.STAGED:
                got.extend(src.STAGED[name](record))
                continue
            result = src.translate(name, record)
            got.append(result.as_dict() if isinstance(result, src.Reject) else result)
    json.dump(out, sys.stdout, default=str, ensure_ascii=True)
""")


def _normal(rows: list[dict]) -> list[str]:
    return sorted(json.dumps(r, default=str, sort_keys=True) for r in rows)


@pytest.mark.parametrize("case", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_a_hostile_project_translates_like_its_views_and_runs_no_code(case, tmp_path, monkeypatch):
    _id, names = case
    root = hostile_project(tmp_path / "project", names)
    monkeypatch.chdir(tmp_path)   # a payload that ran would touch ./pwned
    canary = tmp_path / "pwned"
    for command in (["validate"], ["generate", "python"]):
        result = CliRunner().invoke(app, [*command, "--project", str(root)])
        assert result.exit_code == 0, result.output
    module = root / "generated" / "python" / "src.py"
    check_translator(module.read_text(encoding="utf-8"), _id)

    plan = load_plan(root)
    engine = DuckDBEngine()
    con = engine.con
    load_data(con, names)
    create_views(engine, plan)
    records, expected = {}, {}
    for view in plan.views():
        records[view.name] = records_with_joins(con, view)
        if view.grouped:
            expected[view.name] = dict_rows(con, f"SELECT _source_system, _source_table, _source_key, _reject_reason "
                                                 f"FROM {quoted(view.staged_name)}")
        else:
            canonical = dict_rows(con, f"SELECT * FROM {quoted(view.view_name)}")
            rejects = dict_rows(con, f"SELECT _source_key, _reject_reason FROM {quoted(view.rejects_name)}")
            expected[view.name] = canonical + rejects
    (tmp_path / "records.json").write_text(json.dumps(records, ensure_ascii=True), encoding="utf-8")
    run = subprocess.run([sys.executable, "-I", "-c", TRANSLATE, str(module.parent), str(tmp_path / "records.json")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert not canary.exists(), "generating or running the translator ran code from the mapping"
    got = json.loads(run.stdout)
    assert set(got) == {v.name for v in plan.views()}   # every derivation name is a key, non-BMP ones too
    for view in plan.views():
        answer = got[view.name]
        if not view.grouped:
            answer = [{"_source_key": r["_source_key"], "_reject_reason": r["_reject_reason"]} if "_rule" in r else r
                      for r in answer]
        assert _normal(answer) == _normal(expected[view.name]), view.name
    assert len(got[DEFAULTS["derivation"] if "derivation" not in names else names["derivation"]]) == 6


def test_the_hostile_corpus_of_translators_is_large_and_distinct():
    ids = [c[0] for c in HOSTILE]
    assert len(ids) == len(set(ids)) and len(ids) >= 20


def test_a_copy_of_the_project_generates_translators_that_pass_the_check(tmp_path):
    mappings = tuple(p.name for p in (ROOT / "mappings").glob("*.yaml"))
    root = copy_project(tmp_path / "project", mappings)
    result = CliRunner().invoke(app, ["generate", "python", "--project", str(root)])
    assert result.exit_code == 0, result.output
    written = sorted((root / "generated" / "python").glob("*.py"))
    assert [p.name for p in written] == [p.name for p in COMMITTED]
    for path in written:
        check_translator(path.read_text(encoding="utf-8"), path.name)
        assert path.read_bytes() == (ROOT / "generated" / "python" / path.name).read_bytes()


def test_dict_translate_on_a_hostile_alias_runs_no_code(tmp_path, monkeypatch):
    names = {"alias": f"a[{PWN}].c", "derivation": f"x'); {PWN}; ('"}
    root = hostile_project(tmp_path / "project", names)
    monkeypatch.chdir(tmp_path)
    records = tmp_path / "in.jsonl"
    records.write_text("".join(json.dumps(r) + "\n" for r in (
        {"k": 1, "txt": "a", "code": "G", "num": "1", "fk": 1, names["alias"]: {"lk": 1, "label": "one"}},
        {"k": 2, "txt": "b", "code": "S", "num": "2", "fk": 2})), encoding="utf-8")
    result = CliRunner().invoke(app, ["translate", "--source", "src", "--class", "Item", "--derivation", names["derivation"],
                                      "--input", str(records), "--output", str(tmp_path / "out.jsonl"),
                                      "--project", str(root)])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "pwned").exists()
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["label_text"] for r in out] == ["one//a", "//b"]
