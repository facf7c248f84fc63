"""A deterministic, seeded synthetic estate for the SQL and engine benchmarks.

``write_estate(root, classes=N, sources=M, columns=K, rows=R)`` writes a project that
`dict validate` accepts, and optionally its data:

- ``dictionary/estate.yaml``: N canonical classes, each with an identifier and K-1 slots of
  mixed ranges (text, integer, decimal, date, an enum), some required, some with a pattern;
- ``mappings/<src>.source.yaml`` and ``mappings/<src>.yaml`` for M legacy systems, each with
  ``tables`` tables of K columns (the class's slots, stored the way legacy systems store them:
  dates as text, enums as short codes, padded text), every table mapped onto one class with
  the constructs real mappings use: copies, TRIM/UPPER, CAST of text to dates and numbers, a
  code map with rejects, a filter, a reject rule and, on every fourth table, a to_one lookup
  join. Classes are dealt round-robin, so with M x tables > N several sources feed one class;
- with ``rows`` > 0, ``estate.duckdb``: one schema per source holding R source rows in all,
  spread evenly over the tables (DuckDB generates them; the same seed gives the same rows),
  including a few rows each mapping rejects.

    python benchmarks/estate.py /tmp/estate --classes 200 --sources 50 [--rows 10000000]
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path

import yaml

KINDS = ("text", "integer", "decimal", "date", "code")
CODES = ("A", "B", "C", "D")


def _class(i: int) -> str:
    return f"Term{i:03d}"


def _slot(c: int, k: int) -> str:
    return f"term{c:03d}_attr{k:02d}"


def _kind(c: int, k: int) -> str:
    return KINDS[(c + k) % len(KINDS)]


def dictionary(classes: int, columns: int) -> dict:
    enum = {"title": "Status", "description": "A record's lifecycle status.",
            "permissible_values": {v: {"description": f"status {v}"} for v in ("new", "active", "dormant", "closed")}}
    slots: dict[str, dict] = {"id": {"identifier": True, "range": "string", "description": "Global canonical identifier."}}
    defs: dict[str, dict] = {}
    ranges = {"text": "string", "integer": "integer", "decimal": "decimal", "date": "date", "code": "Status"}
    for c in range(classes):
        own = []
        for k in range(1, columns):
            name = _slot(c, k)
            kind = _kind(c, k)
            slot = {"description": f"Attribute {k} of {_class(c)}.", "range": ranges[kind], "required": k == 1}
            if kind == "text" and k % 3 == 0:
                slot["pattern"] = "^[A-Z0-9 ]+$"
            slots[name] = slot
            own.append(name)
        defs[_class(c)] = {"description": f"Synthetic business term {c}.", "slots": ["id"] + own}
    return {"id": "https://example.org/dict/estate", "name": "estate", "title": "Synthetic estate",
            "description": "Generated for the SQL and engine benchmarks.", "version": "1.0.0",
            "prefixes": {"linkml": "https://w3id.org/linkml/", "estate": "https://example.org/dict/estate/"},
            "default_prefix": "estate", "default_range": "string", "imports": ["linkml:types"],
            "classes": defs, "slots": slots, "enums": {"Status": enum}}


_NATIVE = {"text": "VARCHAR(60)", "integer": "INTEGER", "decimal": "VARCHAR(20)", "date": "VARCHAR(10)", "code": "CHAR(1)"}


def source(s: int, tables: int, classes: int, columns: int, rng: random.Random) -> tuple[dict, dict]:
    name = f"sys{s:02d}"
    schema_tables: dict[str, dict] = {"LOOKUP": {"primary_key": ["CODE"], "columns": {
        "CODE": {"type": "CHAR(1)", "nullable": False}, "LABEL": {"type": "VARCHAR(40)"}}}}
    derivations: dict[str, dict] = {}
    for t in range(tables):
        c = (s * tables + t) % classes
        table = f"T{t}"
        cols = {"ID": {"type": "INTEGER", "nullable": False}}
        sd: dict[str, dict] = {}
        for k in range(1, columns):
            col = f"C{k:02d}"
            kind = _kind(c, k)
            cols[col] = {"type": _NATIVE[kind]}
            slot = _slot(c, k)
            if kind == "text":
                sd[slot] = {"expr": f"UPPER(TRIM({col}))"} if k % 3 == 0 else {"expr": f"TRIM({col})"}
            elif kind == "integer":
                sd[slot] = {"populated_from": col}
            elif kind == "decimal":
                sd[slot] = {"expr": f"CAST({col} AS DECIMAL(12,2))"}
            elif kind == "date":
                sd[slot] = {"expr": f"CAST({col} AS DATE)"}
            else:
                sd[slot] = {"populated_from": col, "value_mappings": {"A": "new", "B": "active", "C": "dormant", "D": "closed"},
                            "unmapped": "reject"}
        schema_tables[table] = {"primary_key": ["ID"], "columns": cols}
        sd["id"] = {"expr": f"GLOBAL_ID('{_class(c)}', '{table}', ID)"}   # several tables may feed one class
        d: dict = {"target_class": _class(c), "populated_from": table, "slot_derivations": sd,
                   "filter": "C01 IS NOT NULL",
                   "reject_when": [{"when": "ID < 0", "reason": "negative keys are test rows"}]}
        code = next((k for k in range(1, columns) if _kind(c, k) == "code"), None)
        text = next((k for k in range(2, columns) if _kind(c, k) == "text" and k % 3), None)
        if t % 4 == 0 and code and text:   # a lookup of the code's label, declared (and checked) to_one
            d["joins"] = {"lk": {"table": "LOOKUP", "on": f"lk.CODE = {table}.C{code:02d}", "cardinality": "to_one"}}
            sd[_slot(c, text)] = {"expr": f"COALESCE(lk.LABEL, TRIM(C{text:02d}))"}
        derivations[f"{_class(c)}From{name.capitalize()}T{t}"] = d
    schema = {"source": name, "dialect": "duckdb", "imported_from": "benchmarks/estate.py", "tables": schema_tables}
    mapping = {"source": name, "title": f"Legacy system {s}", "description": f"Synthetic legacy system {s}.",
               "class_derivations": derivations}
    return schema, mapping


def write_estate(root: Path, classes: int = 200, sources: int = 50, tables: int = 4, columns: int = 10,
                 rows: int = 0, seed: int = 7) -> Path:
    """Write the project (and with ``rows`` > 0 its DuckDB data) under ``root``; same arguments, same files."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "dictionary").mkdir(exist_ok=True)
    (root / "mappings").mkdir(exist_ok=True)
    _dump(root / "dictionary" / "estate.yaml", dictionary(classes, columns))
    schemas = {}
    for s in range(sources):
        schema, mapping = source(s, tables, classes, columns, rng)
        schemas[schema["source"]] = schema
        _dump(root / "mappings" / f"{schema['source']}.source.yaml", schema)
        _dump(root / "mappings" / f"{schema['source']}.yaml", mapping)
    if rows:
        write_data(root / "estate.duckdb", schemas, classes, tables, columns, rows, seed)
    return root


def write_data(path: Path, schemas: dict[str, dict], classes: int, tables: int, columns: int, rows: int, seed: int) -> None:
    """R rows over all tables, generated inside DuckDB from hashes of (seed, row number): no Python loop."""
    import duckdb

    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    per_table = max(1, rows // (len(schemas) * tables))
    for s, (name, schema) in enumerate(schemas.items()):
        con.execute(f'CREATE SCHEMA "{name}"')
        con.execute(f'CREATE TABLE "{name}"."LOOKUP" ("CODE" VARCHAR PRIMARY KEY, "LABEL" VARCHAR)')
        con.execute(f"""INSERT INTO "{name}"."LOOKUP" VALUES ('A', 'alpha'), ('B', 'beta'), ('C', 'gamma'), ('D', 'delta')""")
        for t in range(tables):
            c = (s * tables + t) % classes
            exprs = ['CASE WHEN i % 100000 = 7 THEN -i ELSE i END AS "ID"']
            for k in range(1, columns):
                h = f"hash({seed}, {s}, {t}, {k}, i)"
                kind = _kind(c, k)
                null = f"{h} % 50 = 0 AND {k} > 1"  # a few NULLs, never in the filtered column C01
                value = {
                    "text": f"' ' || upper(substr(md5(CAST({h} AS VARCHAR)), 1, 12)) || ' '",
                    "integer": f"CAST({h} % 100000 AS INTEGER)",
                    "decimal": f"CAST(round(({h} % 1000000) / 100.0, 2) AS VARCHAR)",
                    "date": f"CASE WHEN {h} % 997 = 0 THEN '2021-02-30' ELSE "
                            f"strftime(DATE '2000-01-01' + CAST({h} % 9000 AS INTEGER), '%Y-%m-%d') END",
                    "code": f"CASE WHEN {h} % 1009 = 0 THEN 'X' ELSE chr(65 + CAST({h} % 4 AS INTEGER)) END",
                }[kind]
                exprs.append(f'CASE WHEN {null} THEN NULL ELSE {value} END AS "C{k:02d}"')
            con.execute(f'CREATE TABLE "{name}"."T{t}" AS SELECT {", ".join(exprs)} FROM range(1, {per_table + 1}) r(i)')
    con.close()


def _dump(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--classes", type=int, default=200)
    ap.add_argument("--sources", type=int, default=50)
    ap.add_argument("--tables", type=int, default=4)
    ap.add_argument("--columns", type=int, default=10)
    ap.add_argument("--rows", type=int, default=0)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    write_estate(a.root, a.classes, a.sources, a.tables, a.columns, a.rows, a.seed)
    print(f"wrote {a.root}: {a.classes} classes, {a.sources} sources x {a.tables} tables x {a.columns} columns, {a.rows} rows")
