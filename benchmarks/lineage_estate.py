"""A seeded synthetic estate for the lineage and docs scale benchmark.

``write_estate(root, classes=200, sources=50)`` writes a project folder (dictionary/ and
mappings/) that `dict validate` accepts: a LinkML dictionary of ``classes`` business terms
with metadata in en/zh/fr, and ``sources`` legacy systems of ``tables`` tables x ``columns``
columns each (10,000 legacy columns by default), each table mapped onto one class with the
constructs real mappings use: copies, expressions, CASE, CAST, code maps, joins, filters,
reject rules and grouped derivations. Same seed, same files.

    python benchmarks/lineage_estate.py /tmp/estate [--classes 200 --sources 50]
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path

import yaml

WORDS = ("account asset bank branch campaign card channel claim contract coupon credit delivery device "
         "document employee event fee invoice lead ledger loan location loyalty meter offer order parcel "
         "partner payment plan policy premium price product profile quote rate receipt region refund "
         "reward route sale segment service shipment site store subscription supplier survey tariff "
         "ticket transfer unit usage vehicle visit voucher warehouse").split()
STEWARDS = ("Customer Data Office", "Finance Data Office", "Sales Operations", "Contact Centre Operations",
            "Enterprise Data Office")
PII = ("none", "personal", "sensitive")
RANGES = ("string", "string", "string", "integer", "decimal", "date", "enum")


def _class_name(i: int) -> str:
    return f"{WORDS[i % len(WORDS)].capitalize()}{WORDS[(i * 7 + 3) % len(WORDS)].capitalize()}{i:03d}"


def dictionary(classes: int, rng: random.Random) -> tuple[dict, dict[str, list[tuple[str, str]]]]:
    """The LinkML dictionary and, per class, its (slot, range kind) list."""
    enums = {}
    for e in range(20):
        enums[f"Code{e:02d}"] = {
            "title": f"Code list {e}",
            "description": f"Permissible codes of list {e}.",
            "permissible_values": {f"v{e}_{k}": {"description": f"value {k} of list {e}"} for k in range(4)},
        }
    slots: dict[str, dict] = {"id": {"title": "Identifier", "identifier": True, "range": "string",
                                     "description": "Global canonical identifier."}}
    class_defs: dict[str, dict] = {}
    class_slots: dict[str, list[tuple[str, str]]] = {}
    for c in range(classes):
        name = _class_name(c)
        own = []
        for s in range(9):
            kind = RANGES[rng.randrange(len(RANGES))] if s else "string"
            sname = f"{name.lower()}_attr{s}"
            rng_name = f"Code{rng.randrange(20):02d}" if kind == "enum" else kind
            slots[sname] = {
                "title": f"{name} attribute {s}",
                "description": f"Attribute {s} of the {name} business term, as agreed by its steward.",
                "range": rng_name,
                "required": s == 0,
                "aliases": [f"{name[:4].upper()}_A{s}", f"attr {s} of {name.lower()}"],
                "structured_aliases": [
                    {"literal_form": f"属性{s}·{c}", "in_language": "zh", "predicate": "EXACT_SYNONYM"},
                    {"literal_form": f"attribut {s} de {name.lower()}", "in_language": "fr", "predicate": "EXACT_SYNONYM"},
                ],
                "annotations": {"steward": STEWARDS[c % len(STEWARDS)], "pii": PII[(c + s) % len(PII)]},
            }
            own.append((sname, kind))
        class_slots[name] = own
        class_defs[name] = {
            "title": name,
            "description": f"The {name} business term: one record per real-world {WORDS[c % len(WORDS)]}.",
            "aliases": [WORDS[c % len(WORDS)], name.upper()[:8]],
            "structured_aliases": [
                {"literal_form": f"术语{c}", "in_language": "zh", "predicate": "EXACT_SYNONYM"},
                {"literal_form": f"terme {c}", "in_language": "fr", "predicate": "EXACT_SYNONYM"},
            ],
            "annotations": {"steward": STEWARDS[c % len(STEWARDS)], "pii": PII[c % len(PII)]},
            "slots": ["id"] + [s for s, _ in own],
        }
    doc = {
        "id": "https://example.org/dict/synthetic",
        "name": "synthetic",
        "title": "Synthetic estate dictionary",
        "description": "Generated for benchmarks.",
        "version": "1.0.0",
        "license": "CC0-1.0",
        "prefixes": {"linkml": "https://w3id.org/linkml/", "synthetic": "https://example.org/dict/synthetic/"},
        "default_prefix": "synthetic",
        "default_range": "string",
        "imports": ["linkml:types"],
        "classes": class_defs,
        "slots": slots,
        "enums": enums,
    }
    return doc, class_slots


_NATIVE = {"string": "VARCHAR(80)", "integer": "INTEGER", "decimal": "DECIMAL(12,2)", "date": "DATE", "enum": "VARCHAR(4)"}


def source(s: int, tables: int, columns: int, class_slots: dict[str, list[tuple[str, str]]],
           rng: random.Random) -> tuple[dict, dict]:
    """(source schema, mapping) of legacy system ``s``: every table mapped onto one class."""
    name = f"sys{s:02d}"
    class_names = list(class_slots)
    schema_tables: dict[str, dict] = {}
    derivations: dict[str, dict] = {}
    for t in range(tables):
        tname = f"T{s:02d}_{WORDS[(s * 11 + t) % len(WORDS)].upper()}_{t}"
        cls = class_names[(s * tables + t) % len(class_names)]
        slots = class_slots[cls]
        cols: dict[str, dict] = {"ID": {"type": "INTEGER", "nullable": False}}
        kinds = ["string", "integer", "decimal", "date", "enum"]
        for k in range(1, columns):
            kind = kinds[k % len(kinds)] if k > len(slots) else None
            cols[f"C{k:02d}"] = {"type": _NATIVE[kind or "string"]}
        # the columns each slot reads get the slot's native type
        slot_cols = {}
        for k, (slot, kind) in enumerate(slots, start=1):
            col = f"C{k:02d}"
            cols[col] = {"type": _NATIVE[kind]}
            slot_cols[slot] = (col, kind)
        schema_tables[tname] = {"primary_key": ["ID"], "columns": cols}
        # several tables of one source feed one class: each gives ids of its own (refused otherwise)
        d: dict = {"target_class": cls, "populated_from": tname,
                   "slot_derivations": {"id": {"expr": f"GLOBAL_ID('{cls}', '{tname}', ID)"}}}
        sd = d["slot_derivations"]
        for k, (slot, (col, kind)) in enumerate(slot_cols.items()):
            style = rng.randrange(6)
            if kind == "enum":
                # codes 0-3; their canonical values are filled in by write_estate from the slot's enum
                sd[slot] = {"populated_from": col, "value_mappings": {str(j): None for j in range(4)}, "unmapped": "null"}
            elif kind == "string" and style == 0:
                sd[slot] = {"expr": f"UPPER(TRIM({col}))"}
            elif kind == "string" and style == 1:
                other = f"C{columns - 1 - k:02d}"
                sd[slot] = {"expr": f"CASE WHEN {other} IS NULL THEN TRIM({col}) ELSE TRIM({col}) || ' ' || CAST({other} AS TEXT) END"}
            elif kind == "decimal" and style < 2:
                sd[slot] = {"expr": f"ROUND({col}, 2)"}
            else:
                sd[slot] = {"populated_from": col}
        if t % 3 == 0:
            d["filter"] = f"{list(slot_cols.values())[0][0]} IS NOT NULL"
        if t % 4 == 1:
            d["reject_when"] = [{"when": f"C{columns - 1:02d} = 'TEST'", "reason": "test row"}]
        derivations[f"{cls}From{t}"] = d
    schema = {"source": name, "dialect": "duckdb", "imported_from": "synthetic", "tables": schema_tables}
    mapping = {"source": name, "title": f"Legacy system {s}", "description": f"Synthetic legacy system {s}.",
               "steward": STEWARDS[s % len(STEWARDS)], "class_derivations": derivations}
    return schema, mapping


def write_estate(root: Path, classes: int = 200, sources: int = 50, tables: int = 10, columns: int = 20,
                 seed: int = 7) -> Path:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "dictionary").mkdir(exist_ok=True)
    (root / "mappings").mkdir(exist_ok=True)
    doc, class_slots = dictionary(classes, rng)
    enum_codes = {name: list(e["permissible_values"]) for name, e in doc["enums"].items()}
    for s in range(sources):
        schema, mapping = source(s, tables, columns, class_slots, rng)
        for d in mapping["class_derivations"].values():
            for slot, sd in d["slot_derivations"].items():
                vm = sd.get("value_mappings")
                if vm:
                    codes = enum_codes[doc["slots"][slot]["range"]]
                    sd["value_mappings"] = {k: codes[i % len(codes)] for i, k in enumerate(vm)}
        name = schema["source"]
        _dump(root / "mappings" / f"{name}.source.yaml", schema)
        _dump(root / "mappings" / f"{name}.yaml", mapping)
    _dump(root / "dictionary" / "synthetic.yaml", doc)
    return root


def _dump(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--classes", type=int, default=200)
    ap.add_argument("--sources", type=int, default=50)
    ap.add_argument("--tables", type=int, default=10)
    ap.add_argument("--columns", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    write_estate(a.root, a.classes, a.sources, a.tables, a.columns, a.seed)
    print(f"wrote {a.root}: {a.classes} classes, {a.sources} sources x {a.tables} tables x {a.columns} columns")
